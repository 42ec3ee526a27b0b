"""The channel manager's in-memory truth: ARI, reservations, and the per-hotel event log.

Every operation is synchronous and never awaits, so on one event loop each runs atomically:
a reserve checks and takes all its nights before any other request is looked at.
Deltas come only from `_move_rooms`, snapshots only from `_snapshot`; both append through `_emit`,
which is what keeps each hotel's sequence contiguous and the change feed complete.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import time
import uuid
from collections import defaultdict
from collections.abc import Callable

from .idempotency import IdempotencyStore
from .model import (
    ACTIVE,
    CMError,
    Hotel,
    HotelSpec,
    Night,
    NightUpdate,
    Reservation,
    ReserveRequest,
    Restrictions,
    RoomType,
    RoomTypeSpec,
    bad_request,
    date_range,
    rfc3339,
)

Listener = Callable[[dict], None]


class State:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.hotels: dict[str, Hotel] = {}
        self.reservations: dict[str, Reservation] = {}
        self.idempotency = IdempotencyStore(clock)
        self.listeners: list[Listener] = []  # told of every event as it is appended (webhooks)
        self._expiries: list[tuple[float, str]] = []  # heap of (expires_at, reservation_id)
        self.event_count = 0

    # ---- hotels and ARI -------------------------------------------------------------------------

    def put_hotel(self, spec: HotelSpec) -> Hotel:
        """Create or replace a hotel. A replaced hotel keeps its sequence and the rooms its live
        reservations hold, so mirrors following the feed see one snapshot per room type, not a reset."""
        old = self.hotels.get(spec.hotel_code)
        sold = self._sold_rooms(spec.hotel_code)
        room_types = {rs.code: self._build_room_type(rs, spec, sold) for rs in spec.room_types}
        hotel = Hotel(spec.hotel_code, spec.name, spec.currency, spec.city, room_types,
                      old.events if old else [])
        self.hotels[hotel.code] = hotel
        if spec.announce:
            for rt in room_types.values():
                self._snapshot(hotel, rt, list(rt.nights.values()))
        return hotel

    def set_nights(self, hotel_code: str, room_type_code: str, updates: list[NightUpdate]) -> int:
        hotel = self.hotel(hotel_code)
        rt = self.room_type(hotel, room_type_code)
        # Validate every night before touching one: an admin change is all or nothing too.
        planned = [self._planned_night(rt, u, f"nights[{i}]") for i, u in enumerate(updates)]
        extends = any(night.date not in rt.nights for night in planned)
        for night in planned:
            rt.nights[night.date] = night
        if extends:  # new dates may land before old ones; readers rely on date order
            rt.nights = dict(sorted(rt.nights.items()))
        self._snapshot(hotel, rt, planned)
        return hotel.sequence

    def ari(self, hotel_code: str, start: dt.date, end: dt.date, room_type: str | None = None) -> dict:
        hotel = self.hotel(hotel_code)
        chosen = [self.room_type(hotel, room_type)] if room_type else list(hotel.room_types.values())
        dates = date_range(start, end)
        return {
            "hotel_code": hotel.code,
            "currency": hotel.currency,
            "sequence": hotel.sequence,
            "room_types": [
                {"code": rt.code, "nights": [rt.nights[d].to_json() for d in dates if d in rt.nights]}
                for rt in chosen
            ],
        }

    def changes(self, hotel_code: str, since: int, limit: int) -> dict:
        hotel = self.hotel(hotel_code)
        return {"events": hotel.events[since:since + limit], "latest": hotel.sequence}

    # ---- reservations ---------------------------------------------------------------------------

    def reserve(self, req: ReserveRequest) -> Reservation:
        self.expire_due()  # an expired hold never blocks a sale (ARCHITECTURE §5 rule 2)
        hotel = self.hotel(req.hotel_code)
        rt = self.room_type(hotel, req.room_type_code)
        nights = self._stay_nights(rt, req)
        check_restrictions(req, nights, rt.nights.get(req.check_out))
        for night in nights:
            if night.available < req.rooms:
                raise CMError("sold_out", f"only {night.available} room(s) left on {night.date}",
                              date=night.date.isoformat())
        now = self.clock()
        # Rounded up to a whole second so the expires_at we print is exactly the instant we enforce.
        expires_at = float(math.ceil(now + req.hold_seconds))
        res = Reservation(f"r-{uuid.uuid4().hex[:16]}", req, "held", now, expires_at,
                          sum(n.price_minor for n in nights) * req.rooms, hotel.currency)
        self.reservations[res.reservation_id] = res
        for night in nights:
            self._move_rooms(hotel, rt, night, req.rooms, res)
        heapq.heappush(self._expiries, (expires_at, res.reservation_id))
        return res

    def confirm(self, reservation_id: str) -> Reservation:
        res = self.reservation(reservation_id)
        if res.status == "expired":
            raise CMError("hold_expired", f"the hold expired at {rfc3339(res.expires_at)}",
                          reservation_id=reservation_id, status=res.status)
        if res.status == "cancelled":
            raise CMError("cancelled", "the reservation was cancelled",
                          reservation_id=reservation_id, status=res.status)
        if res.status == "held":
            self._set_status(res, "confirmed")
        return res

    def cancel(self, reservation_id: str) -> Reservation:
        """Cancelling a cancelled (or already expired) reservation changes nothing and says so."""
        res = self.reservation(reservation_id)
        if res.status in ACTIVE:
            self._release(res, "cancelled")
        return res

    def reservation(self, reservation_id: str) -> Reservation:
        res = self.reservations.get(reservation_id)
        if res is None:
            raise CMError("unknown_reservation", f"no reservation {reservation_id}",
                          reservation_id=reservation_id)
        self._expire_if_due(res)  # the sweeper may lag; nobody should see a dead hold as held
        return res

    def forget(self, reservation_id: str) -> None:
        """What a real channel manager does to a reservation it purged or lost in a restart: the record is
        gone (every call about it answers 404), the rooms it took stay taken."""
        del self.reservations[reservation_id]

    def expire_due(self) -> int:
        now, expired = self.clock(), 0
        while self._expiries and self._expiries[0][0] <= now:
            _, reservation_id = heapq.heappop(self._expiries)
            if reservation_id in self.reservations:  # not forgotten meanwhile
                expired += self._expire_if_due(self.reservations[reservation_id])
        return expired

    def reservation_counts(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for res in self.reservations.values():
            counts[res.request.channel][res.status] += 1
        return {channel: dict(by_status) for channel, by_status in counts.items()}

    # ---- lookups --------------------------------------------------------------------------------

    def hotel(self, hotel_code: str) -> Hotel:
        hotel = self.hotels.get(hotel_code)
        if hotel is None:
            raise CMError("unknown_hotel", f"no hotel {hotel_code}", hotel_code=hotel_code)
        return hotel

    @staticmethod
    def room_type(hotel: Hotel, code: str) -> RoomType:
        rt = hotel.room_types.get(code)
        if rt is None:
            raise CMError("unknown_room_type", f"hotel {hotel.code} has no room type {code}",
                          hotel_code=hotel.code, room_type_code=code)
        return rt

    # ---- internals ------------------------------------------------------------------------------

    def _stay_nights(self, rt: RoomType, req: ReserveRequest) -> list[Night]:
        nights = []
        for day in req.nights:
            night = rt.nights.get(day)
            if night is None:  # no ARI loaded: nothing to sell that night
                raise CMError("sold_out", f"no inventory loaded for {day}", date=day.isoformat())
            nights.append(night)
        return nights

    def _expire_if_due(self, res: Reservation) -> int:
        if res.status == "held" and res.expires_at <= self.clock():
            self._release(res, "expired")
            return 1
        return 0

    def _release(self, res: Reservation, status: str) -> None:
        hotel = self.hotels.get(res.request.hotel_code)
        rt = hotel.room_types.get(res.request.room_type_code) if hotel else None
        self._set_status(res, status)
        if rt is None:  # the hotel was replaced without this room type: nothing left to give back
            return
        for day in res.request.nights:
            if (night := rt.nights.get(day)) is not None:
                self._move_rooms(hotel, rt, night, -res.request.rooms, res)

    def _set_status(self, res: Reservation, status: str) -> None:
        res.status = status
        res.updated_at = self.clock()

    def _move_rooms(self, hotel: Hotel, rt: RoomType, night: Night, rooms: int, res: Reservation) -> None:
        """The one place availability moves by sale (rooms > 0) or release (rooms < 0).

        A release gives rooms back only up to `total - sold`: after an admin cut `total` below the
        rooms sold, the night stays at 0 until enough is released. It never takes availability away
        (an admin may have set more than `total - sold` on purpose). The delta reports what really
        moved, so snapshot + deltas always equals `available`."""
        night.sold += rooms
        before = night.available
        if rooms > 0:
            night.available = before - rooms  # the caller checked there were enough
        else:
            night.available = max(before, min(before - rooms, night.total - night.sold))
        self._emit(hotel, "delta", {
            "room_type_code": rt.code,
            "date": night.date.isoformat(),
            "available_change": night.available - before,
            "channel": res.request.channel,
            "reservation_id": res.reservation_id,
        })

    def emit_unchecked(self, hotel_code: str, kind: str, payload: dict) -> int:
        """A fault: an event whose change is whatever the caller wrote, unchecked and unapplied (a buggy
        channel manager signs and feeds garbage too). It takes the next sequence like any event."""
        hotel = self.hotel(hotel_code)
        self._emit(hotel, kind, payload)
        return hotel.sequence

    def _snapshot(self, hotel: Hotel, rt: RoomType, nights: list[Night]) -> None:
        self._emit(hotel, "snapshot", {"room_type_code": rt.code, "nights": [n.to_json() for n in nights]})

    def _emit(self, hotel: Hotel, kind: str, payload: dict) -> None:
        event = {
            "event_id": uuid.uuid4().hex,
            "hotel_code": hotel.code,
            "sequence": hotel.sequence + 1,
            "occurred_at": rfc3339(self.clock()),
            "type": kind,
            kind: payload,
        }
        hotel.events.append(event)
        self.event_count += 1
        for listener in self.listeners:
            listener(event)

    def _sold_rooms(self, hotel_code: str) -> dict[tuple[str, dt.date], int]:
        sold: dict[tuple[str, dt.date], int] = defaultdict(int)
        for res in self.reservations.values():
            if res.request.hotel_code == hotel_code and res.status in ACTIVE:
                for day in res.request.nights:
                    sold[(res.request.room_type_code, day)] += res.request.rooms
        return sold

    @staticmethod
    def _build_room_type(rs: RoomTypeSpec, spec: HotelSpec, sold: dict[tuple[str, dt.date], int]) -> RoomType:
        if rs.nights is not None:
            nights = [Night(n.date, n.total, n.available, n.price_minor, n.restrictions) for n in rs.nights]
        else:
            end = spec.start + dt.timedelta(days=spec.nights)
            nights = [Night(d, rs.total, rs.total, rs.price_minor) for d in date_range(spec.start, end)]
        for night in nights:
            night.sold = sold.get((rs.code, night.date), 0)
            night.available = max(0, min(night.available, night.total - night.sold))
        return RoomType(rs.code, rs.name, rs.total, {n.date: n for n in sorted(nights, key=lambda n: n.date)})

    @staticmethod
    def _planned_night(rt: RoomType, update: NightUpdate, where: str) -> Night:
        current = rt.nights.get(update.date)
        if current is None and (update.total is None or update.price_minor is None):
            raise bad_request(where, f"{update.date} has no ARI yet: give total and price_minor")
        sold = current.sold if current else 0
        total = update.total if update.total is not None else current.total
        available = update.available if update.available is not None else max(0, total - sold)
        if available > total:
            raise bad_request(f"{where}.available", f"{available} is more than total {total}")
        return Night(
            update.date, total, available,
            update.price_minor if update.price_minor is not None else current.price_minor,
            update.restrictions or (current.restrictions if current else Restrictions()),
            sold,
        )


def check_restrictions(req: ReserveRequest, nights: list[Night], departure: Night | None) -> None:
    """Stay limits and arrival are judged on the arrival night, departure on the check-out night
    (which is not part of the stay and may not be loaded), stop-sell on every night."""
    arrival, length = nights[0].restrictions, len(nights)
    day = req.check_in.isoformat()
    if arrival.closed_to_arrival:
        raise _restricted(day, "closed_to_arrival", "no arrivals on this date")
    if arrival.min_stay and length < arrival.min_stay:
        raise _restricted(day, "min_stay", f"stays from this date last at least {arrival.min_stay} nights",
                          min_stay=arrival.min_stay)
    if arrival.max_stay and length > arrival.max_stay:
        raise _restricted(day, "max_stay", f"stays from this date last at most {arrival.max_stay} nights",
                          max_stay=arrival.max_stay)
    for night in nights:
        if night.restrictions.stop_sell:
            raise _restricted(night.date.isoformat(), "stop_sell", "sales are stopped on this date")
    if departure is not None and departure.restrictions.closed_to_departure:
        raise _restricted(req.check_out.isoformat(), "closed_to_departure", "no departures on this date")


def _restricted(day: str, restriction: str, message: str, **extra: object) -> CMError:
    return CMError("restricted", f"{restriction} on {day}: {message}", date=day, restriction=restriction, **extra)
