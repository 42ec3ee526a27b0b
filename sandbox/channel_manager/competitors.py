"""Simulated Expedia / Booking.com demand, selling the same rooms as hotelagg.

It books through `State` like any other channel, so every sale it makes moves `available`, emits
deltas and can lose to (or beat) hotelagg for the last room; it never writes ARI directly.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import time
from dataclasses import dataclass, field

from .model import CMError, ReserveRequest, bad_request
from .state import State
from .validation import get_number, reject_unknown

log = logging.getLogger("sandbox.channel_manager.competitors")

CHANNELS = ("expedia", "booking_com")
MAX_RATE = 1000.0
TICK_SECONDS = 0.02
PICKS_PER_BOOKING = 5  # tries at a random stay before concluding nothing is left to sell


@dataclass
class CompetitorSettings:
    rate_per_second: float = 0.0
    cancel_ratio: float = 0.2
    hotel_codes: list[str] = field(default_factory=list)  # empty: every hotel

    def update(self, body: dict, known_hotels: set[str]) -> None:
        reject_unknown(body, self.__dataclass_fields__)
        rate = get_number(body, "rate_per_second", lo=0.0, hi=MAX_RATE, default=self.rate_per_second)
        ratio = get_number(body, "cancel_ratio", lo=0.0, hi=1.0, default=self.cancel_ratio)
        codes = body.get("hotel_codes", self.hotel_codes)
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise bad_request("hotel_codes", "must be a list of hotel codes")
        unknown = [c for c in codes if c not in known_hotels]
        if unknown:
            raise bad_request("hotel_codes", f"unknown hotel {unknown[0]}")
        self.rate_per_second, self.cancel_ratio, self.hotel_codes = rate, ratio, list(codes)

    def to_json(self) -> dict:
        return {"rate_per_second": self.rate_per_second, "cancel_ratio": self.cancel_ratio,
                "hotel_codes": list(self.hotel_codes)}


class Competitors:
    def __init__(self, state: State, settings: CompetitorSettings, rng: random.Random | None = None) -> None:
        self.state = state
        self.settings = settings
        self.rng = rng or random.Random()
        self.confirmed: list[str] = []  # its own live confirmed bookings, the pool it cancels from

    async def run(self) -> None:
        """Books `rate_per_second` on average: credit accrues with time and is spent whole, so high
        rates work with a coarse tick and a stalled loop does not come back with a burst."""
        credit, last = 0.0, time.monotonic()
        while True:
            await asyncio.sleep(TICK_SECONDS)
            now = time.monotonic()
            rate = self.settings.rate_per_second
            credit = min(credit + rate * (now - last), max(rate, 1.0))
            last = now
            while credit >= 1.0:
                credit -= 1.0
                self._safely(self.book_one)

    def _safely(self, action) -> None:
        try:
            action()
        except Exception:  # noqa: BLE001 - a bug here must not silently end the demand loop
            log.exception("competitor booking failed")

    def book_one(self) -> str | None:
        """Reserve then confirm one room for 1-3 nights somewhere; None when the picks found nothing."""
        for _ in range(PICKS_PER_BOOKING):
            request = self._pick()
            if request is None:
                return None
            try:
                reservation = self.state.reserve(request)
                self.state.confirm(reservation.reservation_id)
            except CMError:
                continue
            self.confirmed.append(reservation.reservation_id)
            self._maybe_cancel()
            return reservation.reservation_id
        return None

    def _pick(self) -> ReserveRequest | None:
        codes = [c for c in (self.settings.hotel_codes or self.state.hotels) if c in self.state.hotels]
        if not codes:
            return None
        hotel = self.state.hotels[self.rng.choice(codes)]
        room_type = self.rng.choice(list(hotel.room_types.values()))
        dates = list(room_type.nights)
        stay = self.rng.randint(1, 3)
        if len(dates) < stay:
            return None
        check_in = dates[self.rng.randrange(len(dates) - stay + 1)]
        return ReserveRequest(hotel.code, room_type.code, check_in, check_in + dt.timedelta(days=stay),
                              rooms=1, channel=self.rng.choice(CHANNELS))

    def _maybe_cancel(self) -> None:
        """Each booking made gives one cancellation a `cancel_ratio` chance, so over time that
        share of its bookings is cancelled; which one is random, like real guests."""
        if not self.confirmed or self.rng.random() >= self.settings.cancel_ratio:
            return
        index = self.rng.randrange(len(self.confirmed))
        self.confirmed[index], self.confirmed[-1] = self.confirmed[-1], self.confirmed[index]
        self.state.cancel(self.confirmed.pop())
