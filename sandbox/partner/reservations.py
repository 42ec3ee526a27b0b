"""Rooms the partner sells: its reservations, their revisions, and the rooms they take locally.

Every change makes a new revision (BOOKED 1, then MODIFIED or CANCELLED), which `notifier.py` tells
hotelagg about. The rooms come off the partner's own nights, as a real OTA sells what it shows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
import time
from dataclasses import dataclass, field

from .catalogue import Catalogue
from .inventory import Inventory
from .model import PartnerError, stay_dates

BOOKED, MODIFIED, CANCELLED = "BOOKED", "MODIFIED", "CANCELLED"


@dataclass(frozen=True)
class Stay:
    property_code: str
    room_code: str
    check_in: dt.date
    check_out: dt.date  # the departure day, not a night
    rooms: int
    guests: int
    guest_name: str
    total_minor: int
    currency: str

    def to_json(self) -> dict:
        return {**dataclasses.asdict(self), "check_in": self.check_in.isoformat(),
                "check_out": self.check_out.isoformat()}


@dataclass
class NotifyState:
    """How telling hotelagg about the current revision went."""

    revision: int
    state: str = "pending"  # pending (retrying in the background) | accepted | refused (for good)
    attempts: int = 0
    booking_id: str | None = None
    over_capacity: bool = False
    last_error: dict | None = None  # {code, reason, message} of the latest failed attempt

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class Reservation:
    reservation_id: str
    stay: Stay
    revision: int = 1
    status: str = BOOKED
    taken: dict[dt.date, int] = field(default_factory=dict)  # rooms actually taken off each night
    notify: NotifyState = field(default_factory=lambda: NotifyState(1))
    updated_at: float = field(default_factory=time.time)

    def to_json(self) -> dict:
        return {"reservation_id": self.reservation_id, "revision": self.revision, "status": self.status,
                **self.stay.to_json(), "notify": self.notify.to_json(), "updated_at": self.updated_at}


class Reservations:
    def __init__(self, inventory: Inventory, catalogue: Catalogue) -> None:
        self._inventory = inventory
        self._catalogue = catalogue
        self._by_id: dict[str, Reservation] = {}

    def book(self, stay: Stay, reservation_id: str | None = None) -> Reservation:
        self._catalogue.check(stay.property_code, [stay.room_code])
        reservation_id = reservation_id or f"PR-{secrets.token_hex(5).upper()}"
        if reservation_id in self._by_id:
            raise PartnerError("RESERVATION_EXISTS", f"reservation {reservation_id} exists",
                               reservation_id=reservation_id)
        reservation = Reservation(reservation_id, stay, taken=self._take(stay))
        self._by_id[reservation_id] = reservation
        return reservation

    def modify(self, reservation_id: str, stay: Stay) -> Reservation:
        """The old nights go back before the new ones are taken, so a shifted stay can reuse them."""
        reservation = self.open(reservation_id)
        self._give_back(reservation)
        reservation.stay, reservation.taken = stay, self._take(stay)
        return self._next_revision(reservation, MODIFIED)

    def cancel(self, reservation_id: str) -> Reservation:
        reservation = self.open(reservation_id)
        self._give_back(reservation)
        reservation.taken = {}
        return self._next_revision(reservation, CANCELLED)

    def get(self, reservation_id: str) -> Reservation:
        reservation = self._by_id.get(reservation_id)
        if reservation is None:
            raise PartnerError("UNKNOWN_RESERVATION", f"no reservation {reservation_id}",
                               reservation_id=reservation_id)
        return reservation

    def open(self, reservation_id: str) -> Reservation:
        """A reservation that may still change: cancelled is final."""
        reservation = self.get(reservation_id)
        if reservation.status == CANCELLED:
            raise PartnerError("CANCELLED", f"reservation {reservation_id} is cancelled",
                               reservation_id=reservation_id)
        return reservation

    def all(self) -> list[Reservation]:
        return list(self._by_id.values())

    def clear(self) -> None:
        self._by_id.clear()

    def _take(self, stay: Stay) -> dict[dt.date, int]:
        return self._inventory.take(stay.property_code, stay.room_code,
                                    stay_dates(stay.check_in, stay.check_out), stay.rooms)

    def _give_back(self, reservation: Reservation) -> None:
        self._inventory.give_back(reservation.stay.property_code, reservation.stay.room_code, reservation.taken)

    @staticmethod
    def _next_revision(reservation: Reservation, status: str) -> Reservation:
        reservation.revision += 1
        reservation.status = status
        reservation.notify = NotifyState(reservation.revision)
        reservation.updated_at = time.time()
        return reservation
