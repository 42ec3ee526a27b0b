"""A channel manager (clients.channel_managers.ChannelManagerClient) in dicts: reservations held for
hold_seconds by the clock, idempotent by key, refusing as the HTTP client raises (SoldOut, HoldExpired,
NotFound, ChannelManagerError("cancelled")), and ChannelManagerUnavailable when down or timing out."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from clients.channel_managers import (
    ChannelManagerError,
    ChannelManagerUnavailable,
    HoldExpired,
    NotFound,
    Reservation,
    ReservationStatus,
)
from servers.runtime.clock import Clock
from tests.fakes.faults import Faults, unavailable


@dataclasses.dataclass
class FakeBreaker:
    """The client's circuit breaker as booking asks it: open or not, and for how long."""

    is_open: bool = False
    seconds_left: float = 30.0

    def retry_after(self) -> float:
        return self.seconds_left if self.is_open else 0.0


class FakeChannelManager:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.breaker = FakeBreaker()
        self.reservations: dict[str, Reservation] = {}
        self._by_key: dict[str, str] = {}
        self.faults = Faults(unavailable(ChannelManagerUnavailable))

    @property
    def calls(self):
        return self.faults.calls

    def status_of(self, reservation_id: str) -> ReservationStatus:
        return self._current(reservation_id).status

    async def reserve(self, hotel_code: str, room_type_code: str, check_in: dt.date, check_out: dt.date,
                      rooms: int, hold_seconds: int, idempotency_key: str) -> Reservation:
        self.faults.called("reserve", idempotency_key, hotel_code, room_type_code, check_in, check_out, rooms,
                           hold_seconds)
        if idempotency_key not in self._by_key:
            reservation = Reservation(str(uuid.uuid4()), ReservationStatus.HELD, hotel_code, room_type_code,
                                      check_in, check_out, rooms,
                                      self.clock.now() + dt.timedelta(seconds=hold_seconds))
            self.reservations[reservation.reservation_id] = reservation
            self._by_key[idempotency_key] = reservation.reservation_id
        self.faults.answered("reserve")
        return self.reservations[self._by_key[idempotency_key]]

    async def confirm(self, reservation_id: str, idempotency_key: str) -> Reservation:
        self.faults.called("confirm", idempotency_key, reservation_id)
        reservation = self._current(reservation_id)
        if reservation.status == ReservationStatus.EXPIRED:
            raise HoldExpired()
        if reservation.status == ReservationStatus.CANCELLED:
            raise ChannelManagerError("cancelled", "the reservation was cancelled", 409)
        reservation = self._set(reservation, ReservationStatus.CONFIRMED)
        self.faults.answered("confirm")
        return reservation

    async def cancel(self, reservation_id: str, idempotency_key: str) -> Reservation:
        self.faults.called("cancel", idempotency_key, reservation_id)
        reservation = self._set(self._current(reservation_id), ReservationStatus.CANCELLED)
        self.faults.answered("cancel")
        return reservation

    async def reservation(self, reservation_id: str) -> Reservation:
        self.faults.called("reservation", reservation_id)
        return self._current(reservation_id)

    async def availability(self, *args, **kwargs):
        raise NotImplementedError("booking never asks a channel manager for ARI")

    async def changes(self, *args, **kwargs):
        raise NotImplementedError("booking never polls a channel manager's changes")

    async def aclose(self) -> None:
        pass

    def forget(self, reservation_id: str) -> None:
        """The channel manager lost the reservation (purged, a restart): it answers 404 from now on."""
        del self.reservations[reservation_id]

    def _current(self, reservation_id: str) -> Reservation:
        reservation = self.reservations.get(reservation_id)
        if reservation is None:
            raise NotFound("unknown_reservation", f"no reservation {reservation_id}")
        if (reservation.status == ReservationStatus.HELD and reservation.expires_at is not None
                and reservation.expires_at <= self.clock.now()):
            reservation = self._set(reservation, ReservationStatus.EXPIRED)
        return reservation

    def _set(self, reservation: Reservation, status: ReservationStatus) -> Reservation:
        reservation = dataclasses.replace(reservation, status=status)
        self.reservations[reservation.reservation_id] = reservation
        return reservation
