"""Request parsing: JSON in, model objects out, or a 400 `bad_request` that names the field.

Public bodies ignore unknown fields (hotelagg may send more than we read); admin bodies reject
them, because a typo in a fault or ARI setting would otherwise pass silently.
"""

from __future__ import annotations

import datetime as dt
import re

from yarl import URL

from ..common.fields import JsonFields
from .model import (
    CHANNELS,
    HotelSpec,
    NightUpdate,
    ReserveRequest,
    Restrictions,
    RoomTypeSpec,
    bad_request,
)

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_ARI_NIGHTS = 400
MAX_STAY_NIGHTS = 365
MAX_HOLD_SECONDS = 86_400

# A null field counts as left out (an ARI night's null `total` leaves it as it is), and a date that
# is no calendar date is quoted back in the refusal.
_fields = JsonFields(bad_request, null_is_absent=True, quote_bad_date=True)
parse_json = _fields.parse_json
reject_unknown = _fields.reject_unknown
get_str = _fields.get_str
get_int = _fields.get_int
get_number = _fields.get_number
get_bool = _fields.get_bool
get_date = _fields.get_date
parse_date = _fields.to_date


# ---- request bodies ----------------------------------------------------------------------------

def parse_reserve(body: dict) -> ReserveRequest:
    req = ReserveRequest(
        hotel_code=get_str(body, "hotel_code", max_len=64),
        room_type_code=get_str(body, "room_type_code", max_len=64),
        check_in=get_date(body, "check_in"),
        check_out=get_date(body, "check_out"),
        rooms=get_int(body, "rooms", lo=1, hi=1000),
        channel=get_str(body, "channel", default="hotelagg"),
        hold_seconds=get_int(body, "hold_seconds", lo=1, hi=MAX_HOLD_SECONDS, default=900),
    )
    if req.channel not in CHANNELS:
        raise bad_request("channel", f"must be one of {', '.join(CHANNELS)}")
    stay = (req.check_out - req.check_in).days
    if not 1 <= stay <= MAX_STAY_NIGHTS:
        raise bad_request("check_out", f"must be 1 to {MAX_STAY_NIGHTS} nights after check_in")
    return req


def parse_hotel(body: dict) -> HotelSpec:
    reject_unknown(body, ("hotel_code", "name", "currency", "city", "start", "nights", "room_types",
                         "announce"))
    spec = HotelSpec(
        hotel_code=get_str(body, "hotel_code", pattern=CODE),
        name=get_str(body, "name"),
        currency=get_str(body, "currency", pattern=CURRENCY),
        start=get_date(body, "start", default=dt.datetime.now(dt.UTC).date()),
        nights=get_int(body, "nights", lo=1, hi=1000, default=365),
        room_types=[],
        city=get_str(body, "city", default=""),
        announce=get_bool(body, "announce", default=True),
    )
    room_types = body.get("room_types")
    if not isinstance(room_types, list) or not room_types:
        raise bad_request("room_types", "must be a non-empty list")
    spec.room_types = [_parse_room_type(rt, f"room_types[{i}].") for i, rt in enumerate(room_types)]
    if len({rt.code for rt in spec.room_types}) != len(spec.room_types):
        raise bad_request("room_types", "room type codes must be unique")
    return spec


def _parse_room_type(body: object, prefix: str) -> RoomTypeSpec:
    if not isinstance(body, dict):
        raise bad_request(prefix.rstrip("."), "must be an object")
    reject_unknown(body, ("code", "name", "total", "price_minor"), prefix)
    return RoomTypeSpec(
        code=get_str(body, "code", pattern=CODE, prefix=prefix),
        name=get_str(body, "name", prefix=prefix),
        total=get_int(body, "total", lo=0, hi=100_000, prefix=prefix),
        price_minor=get_int(body, "price_minor", lo=0, hi=10**12, prefix=prefix),
    )


def parse_ari_update(body: dict) -> tuple[str, str, list[NightUpdate]]:
    reject_unknown(body, ("hotel_code", "room_type_code", "nights"))
    hotel_code = get_str(body, "hotel_code", max_len=64)
    room_type_code = get_str(body, "room_type_code", max_len=64)
    nights = body.get("nights")
    if not isinstance(nights, list) or not nights or len(nights) > 1000:
        raise bad_request("nights", "must be a list of 1 to 1000 nights")
    updates = [_parse_night(n, f"nights[{i}].") for i, n in enumerate(nights)]
    if len({u.date for u in updates}) != len(updates):
        raise bad_request("nights", "each date may appear once")
    return hotel_code, room_type_code, updates


def _parse_night(body: object, prefix: str) -> NightUpdate:
    if not isinstance(body, dict):
        raise bad_request(prefix.rstrip("."), "must be an object")
    reject_unknown(body, ("date", "total", "available", "price_minor", "restrictions"), prefix)
    restrictions = body.get("restrictions")
    return NightUpdate(
        date=get_date(body, "date", prefix=prefix),
        total=get_int(body, "total", lo=0, hi=100_000, default=None, prefix=prefix),
        available=get_int(body, "available", lo=0, hi=100_000, default=None, prefix=prefix),
        price_minor=get_int(body, "price_minor", lo=0, hi=10**12, default=None, prefix=prefix),
        restrictions=None if restrictions is None else _parse_restrictions(restrictions, prefix + "restrictions."),
    )


def _parse_restrictions(body: object, prefix: str) -> Restrictions:
    """Absolute, like the rest of the night: a restriction left out is lifted."""
    if not isinstance(body, dict):
        raise bad_request(prefix.rstrip("."), "must be an object")
    reject_unknown(body, Restrictions.__dataclass_fields__, prefix)
    return Restrictions(
        min_stay=get_int(body, "min_stay", lo=0, hi=MAX_STAY_NIGHTS, default=0, prefix=prefix),
        max_stay=get_int(body, "max_stay", lo=0, hi=MAX_STAY_NIGHTS, default=0, prefix=prefix),
        closed_to_arrival=get_bool(body, "closed_to_arrival", default=False, prefix=prefix),
        closed_to_departure=get_bool(body, "closed_to_departure", default=False, prefix=prefix),
        stop_sell=get_bool(body, "stop_sell", default=False, prefix=prefix),
    )


def parse_unchecked_event(body: dict) -> tuple[str, str, dict]:
    """`{"hotel_code", "type": "delta"|"snapshot", <type>: {...}}`: only the envelope is checked."""
    reject_unknown(body, {"hotel_code", "type", "delta", "snapshot"})
    kind = get_str(body, "type")
    if kind not in ("delta", "snapshot"):
        raise bad_request("type", "delta or snapshot")
    change = body.get(kind)
    if not isinstance(change, dict):
        raise bad_request(kind, "an object")
    return get_str(body, "hotel_code"), kind, change


def parse_subscription(body: dict) -> tuple[str, str]:
    url = get_str(body, "url", max_len=2000)
    try:
        parsed = URL(url)
    except ValueError:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise bad_request("url", "must be an absolute http:// or https:// URL")
    return url, get_str(body, "secret", max_len=500)


def parse_ari_query(query) -> tuple[dt.date, dt.date, str | None]:
    start = parse_date(query.get("start"), "start")
    end = parse_date(query.get("end"), "end")
    if not 1 <= (end - start).days <= MAX_ARI_NIGHTS:
        raise bad_request("end", f"must be 1 to {MAX_ARI_NIGHTS} nights after start (end is exclusive)")
    return start, end, query.get("room_type") or None


def parse_changes_query(query) -> tuple[int, int]:
    return _query_int(query, "since", 0, 0, 2**62), _query_int(query, "limit", 500, 1, 1000)


def _query_int(query, name: str, default: int, lo: int, hi: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(name, "must be an integer") from None
    if not lo <= value <= hi:
        raise bad_request(name, f"must be in [{lo}, {hi}]")
    return value
