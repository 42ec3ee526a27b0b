"""Inventory rules, in plain Python: what a valid hotel, room type and night are, and how an
update of a range of nights changes them. No grpc, no SQL here."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, NamedTuple
from zoneinfo import available_timezones

from servers.hotel.etags import etag
from servers.hotel.ids import (
    CHANNEL_MANAGER_ID,
    CHANNEL_MANAGER_ID_RULE,
    COUNTRY_CODE,
    CURRENCY_CODE,
    check_hotel_id,
    check_room_type_code,
)
from servers.hotel.limits import MAX_DAYS_AHEAD
from servers.hotel.nights import Night, Restrictions
from servers.inventory.reasons import InventoryReason
from servers.runtime.errors import Violations, failed_precondition

MAX_RANGE_NIGHTS = 366
MAX_ROOMS = 10_000
MAX_OCCUPANCY = 20
MAX_STAY_LIMIT = 365
MAX_PRICE_MINOR = 10**10
MAX_ROOMS_PER_HOLD = 50
_TIME_ZONES = frozenset(available_timezones())


@dataclass(frozen=True)
class NewHotel:
    hotel_id: str
    name: str
    city: str
    country_code: str
    latitude: float
    longitude: float
    time_zone: str
    currency_code: str
    overbooking_allowance: int = 0
    free_cancellation_hours: int = 24
    cancellation_fee_percent: int = 100
    channel_manager_id: str | None = None
    channel_manager_url: str | None = None
    channel_manager_hotel_code: str | None = None


@dataclass(frozen=True)
class NewRoomType:
    code: str
    name: str
    max_occupancy: int
    total_rooms: int


@dataclass(frozen=True)
class NightsPatch:
    """What UpdateInventory changes on every night of its range; None keeps the value."""

    total_rooms: int | None = None
    price_minor: int | None = None
    min_stay: int | None = None
    max_stay: int | None = None
    closed_to_arrival: bool | None = None
    closed_to_departure: bool | None = None
    stop_sell: bool | None = None

    def is_empty(self) -> bool:
        return all(value is None for value in vars(self).values())


@dataclass(frozen=True)
class PartnerSale:
    """A reservation a partner sold for a direct hotel, at one revision (flows/partner_sales.py records it)."""

    hotel_id: str
    room_type_code: str
    partner_id: str
    reservation_id: str
    revision: int
    cancelled: bool
    check_in: date
    check_out: date
    rooms: int
    guests: int
    guest_name: str
    total_minor: int
    currency_code: str


def _check_text(v: Violations, value: str, field: str, limit: int) -> None:
    v.check(bool(value.strip()), field, "required")
    v.check(len(value) <= limit, field, f"at most {limit} characters")


def validate_hotel(hotel: NewHotel, prefix: str = "hotel") -> None:
    v = Violations()
    check_hotel_id(v, hotel.hotel_id)
    _check_text(v, hotel.name, f"{prefix}.name", 200)
    _check_text(v, hotel.city, f"{prefix}.city", 100)
    v.check(bool(COUNTRY_CODE.fullmatch(hotel.country_code)), f"{prefix}.country_code",
            "ISO 3166-1 alpha-2 code, e.g. FR")
    v.check(math.isfinite(hotel.latitude) and -90 <= hotel.latitude <= 90, f"{prefix}.latitude",
            "between -90 and 90")
    v.check(math.isfinite(hotel.longitude) and -180 <= hotel.longitude <= 180, f"{prefix}.longitude",
            "between -180 and 180")
    v.check(hotel.time_zone in _TIME_ZONES, f"{prefix}.time_zone", "an IANA time zone, e.g. Europe/Paris")
    v.check(bool(CURRENCY_CODE.fullmatch(hotel.currency_code)), f"{prefix}.currency_code",
            "ISO 4217 code, e.g. EUR")
    v.check(0 <= hotel.overbooking_allowance <= 100, f"{prefix}.overbooking_allowance", "0 to 100 rooms")
    v.check(0 <= hotel.free_cancellation_hours <= 24 * 365, f"{prefix}.free_cancellation_hours", "0 to 8760 hours")
    v.check(0 <= hotel.cancellation_fee_percent <= 100, f"{prefix}.cancellation_fee_percent", "0 to 100")
    if hotel.channel_manager_id is not None:
        cm = f"{prefix}.channel_manager"
        v.check(bool(CHANNEL_MANAGER_ID.fullmatch(hotel.channel_manager_id)), f"{cm}.channel_manager_id",
                CHANNEL_MANAGER_ID_RULE)
        url = hotel.channel_manager_url or ""
        v.check(url.startswith(("http://", "https://")) and len(url) <= 500, f"{cm}.base_url",
                "an http(s) URL of at most 500 characters")
        _check_text(v, hotel.channel_manager_hotel_code or "", f"{cm}.hotel_code", 100)
    v.raise_if_any()


def validate_room_type(room_type: NewRoomType, prefix: str = "room_type") -> None:
    v = Violations()
    check_room_type_code(v, room_type.code, f"{prefix}.code")
    _check_text(v, room_type.name, f"{prefix}.name", 100)
    v.check(1 <= room_type.max_occupancy <= MAX_OCCUPANCY, f"{prefix}.max_occupancy",
            f"1 to {MAX_OCCUPANCY} guests")
    v.check(0 <= room_type.total_rooms <= MAX_ROOMS, f"{prefix}.total_rooms", f"0 to {MAX_ROOMS} rooms")
    v.raise_if_any()


def check_range(v: Violations, start: date | None, end: date | None, today: date,
                start_field: str = "start_date", end_field: str = "end_date",
                allow_past: bool = True) -> None:
    """A range of nights [start, end): not empty, not over the limit, within the calendar we keep."""
    if start is None or end is None:
        return
    if not v.check(end > start, end_field, f"must be after {start_field}"):
        return
    v.check((end - start).days <= MAX_RANGE_NIGHTS, end_field,
            f"at most {MAX_RANGE_NIGHTS} nights after {start_field}")
    v.check(end <= today + timedelta(days=MAX_DAYS_AHEAD), end_field,
            f"at most {MAX_DAYS_AHEAD} days ahead")
    if not allow_past:
        # A day of slack: the hotel's today may still be our yesterday.
        v.check(start >= today - timedelta(days=1), start_field, "must not be in the past")


def validate_patch(v: Violations, patch: NightsPatch) -> None:
    if patch.is_empty():
        v.add("total_rooms", "nothing to update: set rooms, price or a restriction")
    if patch.total_rooms is not None:
        v.check(0 <= patch.total_rooms <= MAX_ROOMS, "total_rooms", f"0 to {MAX_ROOMS} rooms")
    if patch.price_minor is not None:
        v.check(0 <= patch.price_minor <= MAX_PRICE_MINOR, "price.amount_minor",
                f"0 to {MAX_PRICE_MINOR}")
    for name in ("min_stay", "max_stay"):
        value = getattr(patch, name)
        if value is not None:
            v.check(0 <= value <= MAX_STAY_LIMIT, name, f"0 to {MAX_STAY_LIMIT} nights")


class FreedRooms(NamedTuple):
    """How rooms coming free on a night divide (free_rooms)."""

    absorbed: int  # go to guests sold a room beyond capacity: `oversold` falls by as many
    available: int  # the rest: `available` grows by as many


def free_rooms(rooms: Any, oversold: Any, least: Callable[[Any, Any], Any] = min) -> FreedRooms:
    """The one rule for rooms coming free on a night, whether given back (a partner's cancellation or
    modification, a sale of ours cancelled) or added to its total by UpdateInventory: they first absorb
    the rooms sold beyond capacity (`oversold`), and only the rest become available. `rooms` >= 0.

    Plain ints by default; the SQL side passes column expressions and a `least` that builds a CASE,
    so that its UPDATE statements apply this same rule in the database, in one statement.
    """
    absorbed = least(rooms, oversold)
    return FreedRooms(absorbed, rooms - absorbed)


def holds_ended(night: Night, rooms: int) -> Night:
    """The night once `rooms` of its held rooms are given back unsold (a hold released or expired):
    free_rooms's rule, as store/holds.py applies it in SQL."""
    freed = free_rooms(rooms, night.oversold)
    return replace(night, held=night.held - rooms, available=night.available - freed.absorbed,
                   oversold=night.oversold - freed.absorbed)


def apply_patch(current: Night | None, night: date, patch: NightsPatch, default_total: int) -> Night:
    """The night after the patch; a night not loaded yet starts from the room type's total. Rooms added
    to the total come free like any other (free_rooms): they first absorb the night's oversold rooms."""
    base = current or Night(night=night, total=default_total, available=default_total)
    total = base.total if patch.total_rooms is None else patch.total_rooms
    if total < base.sold + base.held:
        raise failed_precondition(
            InventoryReason.ROOMS_IN_USE,
            f"{night.isoformat()} has {base.sold} rooms sold and {base.held} held; total_rooms cannot go below that",
            night=night.isoformat(), sold=str(base.sold), held=str(base.held),
        )
    r = base.restrictions
    restrictions = Restrictions(
        min_stay=r.min_stay if patch.min_stay is None else patch.min_stay,
        max_stay=r.max_stay if patch.max_stay is None else patch.max_stay,
        closed_to_arrival=r.closed_to_arrival if patch.closed_to_arrival is None else patch.closed_to_arrival,
        closed_to_departure=(r.closed_to_departure if patch.closed_to_departure is None
                             else patch.closed_to_departure),
        stop_sell=r.stop_sell if patch.stop_sell is None else patch.stop_sell,
    )
    if restrictions.max_stay and restrictions.min_stay > restrictions.max_stay:
        raise failed_precondition(
            InventoryReason.RESTRICTION_CONFLICT,
            f"{night.isoformat()}: min_stay {restrictions.min_stay} is above max_stay {restrictions.max_stay}",
            night=night.isoformat(),
        )
    added = total - base.total
    freed = free_rooms(added, base.oversold) if added > 0 else FreedRooms(0, added)
    return replace(
        base,
        total=total,
        available=base.available + freed.available,
        oversold=base.oversold - freed.absorbed,
        price_minor=base.price_minor if patch.price_minor is None else patch.price_minor,
        restrictions=restrictions,
        version=base.version + 1,
    )


def range_etag(room_type_id: int, nights: list[Night]) -> str:
    return etag(room_type_id, *(f"{n.night.isoformat()}:{n.version}" for n in nights))
