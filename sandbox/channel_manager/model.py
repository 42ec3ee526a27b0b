"""The channel manager's nouns: hotels, room types, nights, reservations, and their JSON shapes.

Pure data, no I/O. `state.py` holds the rules that change them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from ..common.errors import ProtocolError

CHANNELS = ("hotelagg", "expedia", "booking_com", "direct", "admin")
ACTIVE = ("held", "confirmed")  # statuses whose rooms are taken off `available`


class CMError(ProtocolError):
    """A refusal PROTOCOL.md names; its HTTP status is `plumbing.STATUS[code]`."""


def bad_request(field_name: str, message: str) -> CMError:
    return CMError("bad_request", f"{field_name}: {message}", field=field_name)


def rfc3339(timestamp: float) -> str:
    """Whole seconds, as in PROTOCOL.md; callers round instants they promise (expires_at) up first."""
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def date_range(start: dt.date, end: dt.date) -> list[dt.date]:
    """Nights from start up to, not including, end."""
    return [start + dt.timedelta(days=i) for i in range((end - start).days)]


@dataclass
class Restrictions:
    min_stay: int = 0  # 0 means no limit, for both stays
    max_stay: int = 0
    closed_to_arrival: bool = False
    closed_to_departure: bool = False
    stop_sell: bool = False

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class Night:
    date: dt.date
    total: int
    available: int
    price_minor: int
    restrictions: Restrictions = field(default_factory=Restrictions)
    # Rooms held or confirmed by reservations. Kept apart from `available` because an admin may set
    # `available` or `total` by hand: omitting `available` then means "total minus what is sold",
    # and a release may give back only what `total - sold` allows (see State._move_rooms).
    sold: int = 0

    def to_json(self) -> dict:
        return {
            "date": self.date.isoformat(),
            "total": self.total,
            "available": self.available,
            "price_minor": self.price_minor,
            "restrictions": self.restrictions.to_json(),
        }


@dataclass
class NightUpdate:
    """An admin ARI change of one night: None keeps the current value."""

    date: dt.date
    total: int | None = None
    available: int | None = None
    price_minor: int | None = None
    restrictions: Restrictions | None = None


@dataclass
class RoomTypeSpec:
    code: str
    name: str
    total: int
    price_minor: int
    nights: list[Night] | None = None  # explicit nights (demo data); otherwise generated flat


@dataclass
class HotelSpec:
    hotel_code: str
    name: str
    currency: str
    start: dt.date
    nights: int
    room_types: list[RoomTypeSpec]
    city: str = ""
    # False: the hotel was selling before it was connected, as with a real channel manager whose feed
    # starts at the first change after connection; no snapshot announces its ARI, only the ARI read does.
    announce: bool = True


@dataclass
class RoomType:
    code: str
    name: str
    total: int
    nights: dict[dt.date, Night] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"code": self.code, "name": self.name, "total": self.total}


@dataclass
class Hotel:
    code: str
    name: str
    currency: str
    city: str
    room_types: dict[str, RoomType]
    # The change feed: event with sequence n sits at index n - 1, so `since` is a slice.
    events: list[dict] = field(default_factory=list)

    @property
    def sequence(self) -> int:
        return len(self.events)

    def to_json(self) -> dict:
        return {
            "hotel_code": self.code,
            "name": self.name,
            "currency": self.currency,
            "city": self.city,
            "room_types": [rt.to_json() for rt in self.room_types.values()],
        }


@dataclass
class ReserveRequest:
    hotel_code: str
    room_type_code: str
    check_in: dt.date
    check_out: dt.date
    rooms: int
    channel: str = "hotelagg"
    hold_seconds: int = 900

    @property
    def nights(self) -> list[dt.date]:
        return date_range(self.check_in, self.check_out)


@dataclass
class Reservation:
    reservation_id: str
    request: ReserveRequest
    status: str
    created_at: float
    expires_at: float
    total_price_minor: int
    currency: str
    updated_at: float = 0.0

    def to_json(self) -> dict:
        r = self.request
        return {
            "reservation_id": self.reservation_id,
            "status": self.status,
            "expires_at": rfc3339(self.expires_at),
            "hotel_code": r.hotel_code,
            "room_type_code": r.room_type_code,
            "check_in": r.check_in.isoformat(),
            "check_out": r.check_out.isoformat(),
            "rooms": r.rooms,
            "channel": r.channel,
            "hold_seconds": r.hold_seconds,
            "created_at": rfc3339(self.created_at),
            "updated_at": rfc3339(self.updated_at or self.created_at),
            "total_price_minor": self.total_price_minor,
            "currency": self.currency,
        }
