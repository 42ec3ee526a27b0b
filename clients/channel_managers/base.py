"""What hotelagg knows of a channel manager: its ARI, reservations and change events, as typed values.

Every client (HTTP to the sandbox today, a SiteMinder adapter tomorrow) answers in these types, so
no JSON dict leaks into inventory or booking. The errors split in two on purpose: a
`ChannelManagerError` is an answer (sold out, restricted, not found) and never trips a breaker;
`ChannelManagerUnavailable` means no usable answer came back and maps to UNAVAILABLE + RetryInfo.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from clients.errors import ServiceUnavailable

# ---------------------------------------------------------------------------------------------- ARI


@dataclass(frozen=True)
class Restrictions:
    min_stay: int = 0  # 0 = none
    max_stay: int = 0
    closed_to_arrival: bool = False
    closed_to_departure: bool = False
    stop_sell: bool = False


@dataclass(frozen=True)
class Night:
    """One room type on one date: what the channel manager says every channel may still sell."""

    date: dt.date
    total: int
    available: int
    price_minor: int
    restrictions: Restrictions = Restrictions()


@dataclass(frozen=True)
class RoomTypeAri:
    code: str
    nights: tuple[Night, ...]


@dataclass(frozen=True)
class HotelAri:
    hotel_code: str
    currency: str
    sequence: int  # the latest event sequence this ARI already includes
    room_types: tuple[RoomTypeAri, ...]

    def room_type(self, code: str) -> RoomTypeAri | None:
        return next((room_type for room_type in self.room_types if room_type.code == code), None)


# --------------------------------------------------------------------------------------- reservations


class ReservationStatus(enum.Enum):
    HELD = "held"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Reservation:
    """A reservation at the channel manager; confirm/cancel answers carry only id and status."""

    reservation_id: str
    status: ReservationStatus
    hotel_code: str | None = None
    room_type_code: str | None = None
    check_in: dt.date | None = None
    check_out: dt.date | None = None
    rooms: int | None = None
    expires_at: dt.datetime | None = None


# -------------------------------------------------------------------------------------------- events


@dataclass(frozen=True)
class Delta:
    """A relative change: a sale (negative) or a cancellation/expiry (positive) on one night."""

    room_type_code: str
    date: dt.date
    available_change: int
    channel: str  # who sold: hotelagg, expedia, booking_com, direct, admin
    reservation_id: str | None


@dataclass(frozen=True)
class Snapshot:
    """Absolute nights of one room type; only ever applied if newer than what we hold."""

    room_type_code: str
    nights: Sequence[Night]  # a tuple, or (inventory's bulk path) rows that make Nights when read


@dataclass(frozen=True)
class ChannelEvent:
    event_id: str  # the dedupe key: webhooks come at least once
    hotel_code: str
    sequence: int  # per hotel, +1 per event: a gap means a missed event, so poll
    occurred_at: dt.datetime
    change: Delta | Snapshot

    # For code that has sorted events by kind already: the change as that kind (the other is a bug).
    @property
    def snapshot(self) -> Snapshot:
        if not isinstance(self.change, Snapshot):
            raise TypeError(f"event {self.event_id} is a delta, not a snapshot")
        return self.change

    @property
    def delta(self) -> Delta:
        if not isinstance(self.change, Delta):
            raise TypeError(f"event {self.event_id} is a snapshot, not a delta")
        return self.change


@dataclass(frozen=True)
class ChangeBatch:
    events: tuple[ChannelEvent, ...]
    latest: int  # the channel manager's latest sequence; more to fetch while events end below it
    # Why the event after `events` could not be read (the batch ends before it), if one could not:
    # no mirror can apply it, and the events after it would wait behind it for ever.
    unreadable: str | None = None


# -------------------------------------------------------------------------------------------- errors


class ChannelManagerError(Exception):
    """The channel manager answered and refused (a 4xx): a business answer, never a breaker failure."""

    def __init__(self, code: str, message: str = "", status: int = 400) -> None:
        self.code = code  # the protocol's snake_case error, e.g. "cancelled", "unauthorized"
        self.status = status
        super().__init__(f"{code}: {message}" if message else code)


class SoldOut(ChannelManagerError):
    def __init__(self, date: dt.date | None, message: str = "") -> None:
        self.date = date
        super().__init__("sold_out", message or f"no room left on {date}", 409)


class Restricted(ChannelManagerError):
    """A restriction (min stay, closed to arrival, stop sell...) forbids this stay."""

    def __init__(self, date: dt.date | None, restriction: str, message: str = "") -> None:
        self.date = date
        self.restriction = restriction
        super().__init__("restricted", message or f"{restriction} on {date}", 409)


class HoldExpired(ChannelManagerError):
    def __init__(self, message: str = "") -> None:
        super().__init__("hold_expired", message or "the hold expired before it was confirmed", 409)


class NotFound(ChannelManagerError):
    """Unknown hotel, room type or reservation; `code` says which."""

    def __init__(self, code: str = "not_found", message: str = "") -> None:
        super().__init__(code, message, 404)


class ChannelManagerUnavailable(ServiceUnavailable):
    """No usable answer from the channel manager: 5xx, timeout, connection error, or our breaker is open."""


# ------------------------------------------------------------------------------------------ protocol


class Breaker(Protocol):
    """What a caller asks a client's circuit breaker (clients.breaker's, or a fake's)."""

    @property
    def is_open(self) -> bool: ...

    def retry_after(self) -> float:
        """Seconds a turned-away caller should wait (0 when calls go through)."""
        ...


@runtime_checkable
class ChannelManagerClient(Protocol):
    """How inventory and booking talk to a channel manager; fakes in unit tests satisfy it too."""

    @property
    def breaker(self) -> Breaker:
        """Booking fails fast, before any hold, while it is open."""
        ...

    async def availability(
        self, hotel_code: str, start: dt.date, end: dt.date, room_type: str | None = None
    ) -> HotelAri:
        """ARI for nights start ≤ date < end."""
        ...

    async def reserve(
        self,
        hotel_code: str,
        room_type_code: str,
        check_in: dt.date,
        check_out: dt.date,
        rooms: int,
        hold_seconds: int,
        idempotency_key: str,
    ) -> Reservation:
        """Holds rooms for every night of the stay, or raises SoldOut / Restricted / NotFound."""
        ...

    async def confirm(self, reservation_id: str, idempotency_key: str) -> Reservation: ...

    async def cancel(self, reservation_id: str, idempotency_key: str) -> Reservation: ...

    async def reservation(self, reservation_id: str) -> Reservation:
        """The reservation as the channel manager sees it now (for reconciliation)."""
        ...

    async def changes(self, hotel_code: str, since: int, limit: int = 500) -> ChangeBatch:
        """Events with sequence > since, ascending: the polling fallback for missed webhooks."""
        ...

    async def aclose(self) -> None: ...
