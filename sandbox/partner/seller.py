"""The partner's own shoppers: random sales at `--sell-rate` per second from the nights it shows.

Each sale books like `POST /admin/reservations` and notifies hotelagg, so a run sees partner bookings
arrive while it pushes ARI.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random

from .model import Night, stay_dates
from .notifier import Notifier
from .plumbing import PartnerState
from .reservations import Reservation, Stay

log = logging.getLogger("sandbox.partner")

GUESTS = ("Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov", "Donald Knuth")
MAX_NIGHTS = 3


def sellable(night: Night | None) -> bool:
    return night is not None and night.available > 0 and night.price_minor is not None and not night.stop_sell


class Seller:
    def __init__(self, state: PartnerState, notifier: Notifier, rate: float, rng: random.Random) -> None:
        self._state = state
        self._notifier = notifier
        self._rate = rate
        self._rng = rng

    async def run(self) -> None:
        if self._rate <= 0:
            return
        while True:
            await asyncio.sleep(self._rng.expovariate(self._rate))  # Poisson arrivals, like real shoppers
            try:
                await self.sell_one()
            except Exception:  # noqa: BLE001 - one bad sale must not stop the shoppers
                log.exception("background sale failed")

    async def sell_one(self) -> Reservation | None:
        """A random stay starting on a sellable night; None when nothing is for sale."""
        stay = self._pick()
        if stay is None:
            return None
        reservation = self._state.reservations.book(stay)
        await self._notifier.notify(reservation)
        return reservation

    def _pick(self) -> Stay | None:
        inventory = self._state.inventory
        listed = [(p, r, [d for d in dates if sellable(inventory.night(p, r, d))])
                  for p, r, dates in inventory.listed()]
        listed = [entry for entry in listed if entry[2]]
        if not listed:
            return None
        property_code, room_code, dates = self._rng.choice(listed)
        check_in = self._rng.choice(dates)
        check_out = check_in + dt.timedelta(days=self._rng.randint(1, MAX_NIGHTS))
        nights = [inventory.night(property_code, room_code, d) for d in stay_dates(check_in, check_out)]
        first = nights[0]
        total = sum(n.price_minor for n in nights if n is not None and n.price_minor is not None)
        return Stay(property_code, room_code, check_in, check_out, rooms=1, guests=2,
                    guest_name=self._rng.choice(GUESTS), total_minor=total, currency=first.currency or "EUR")
