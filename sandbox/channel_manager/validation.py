"""Request parsing: JSON in, model objects out, or a 400 `bad_request` that names the field.

Public bodies ignore unknown fields (hotelagg may send more than we read); admin bodies reject
them, because a typo in a fault or ARI setting would otherwise pass silently.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable

from yarl import URL

from .model import (
    CHANNELS, HotelSpec, NightUpdate, ReserveRequest, Restrictions, RoomTypeSpec, bad_request,
)

_MISSING = object()
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")  # fromisoformat alone would also take 20261201
MAX_ARI_NIGHTS = 400
MAX_STAY_NIGHTS = 365
MAX_HOLD_SECONDS = 86_400


def parse_json(raw: bytes) -> dict:
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError) as error:
        raise bad_request("body", f"not JSON ({error})") from None
    if not isinstance(body, dict):
        raise bad_request("body", "must be a JSON object")
    return body


def reject_unknown(body: dict, allowed: Iterable[str], prefix: str = "") -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise bad_request(prefix + unknown[0], "unknown field")


def get_str(body: dict, name: str, *, default=_MISSING, pattern: re.Pattern | None = None,
            max_len: int = 200, prefix: str = "") -> str:
    value = _get(body, name, default, prefix)
    if value is default and default is not _MISSING:
        return value
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise bad_request(prefix + name, f"must be a non-empty string of at most {max_len} characters")
    if pattern is not None and not pattern.match(value):
        raise bad_request(prefix + name, f"must match {pattern.pattern}")
    return value


def get_int(body: dict, name: str, *, lo: int, hi: int, default=_MISSING, prefix: str = "") -> int:
    value = _get(body, name, default, prefix)
    if value is default and default is not _MISSING:
        return value
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise bad_request(prefix + name, f"must be an integer in [{lo}, {hi}]")
    return value


def get_number(body: dict, name: str, *, lo: float, hi: float, default=_MISSING, prefix: str = "") -> float:
    value = _get(body, name, default, prefix)
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        # NaN fails the range test too, which is what we want
        raise bad_request(prefix + name, f"must be a number in [{lo}, {hi}]")
    return float(value)


def get_bool(body: dict, name: str, *, default=_MISSING, prefix: str = "") -> bool:
    value = _get(body, name, default, prefix)
    if not isinstance(value, bool):
        raise bad_request(prefix + name, "must be true or false")
    return value


def get_date(body: dict, name: str, *, default=_MISSING, prefix: str = "") -> dt.date:
    value = _get(body, name, default, prefix)
    if isinstance(value, dt.date):
        return value
    return parse_date(value, prefix + name)


def parse_date(value: object, name: str) -> dt.date:
    if not isinstance(value, str) or not DATE.match(value):
        raise bad_request(name, "must be a date YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise bad_request(name, f"{value} is not a calendar date") from None


def _get(body: dict, name: str, default: object, prefix: str) -> object:
    if name in body and body[name] is not None:
        return body[name]
    if default is _MISSING:
        raise bad_request(prefix + name, "is required")
    return default


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
    reject_unknown(body, ("hotel_code", "name", "currency", "city", "start", "nights", "room_types"))
    spec = HotelSpec(
        hotel_code=get_str(body, "hotel_code", pattern=CODE),
        name=get_str(body, "name"),
        currency=get_str(body, "currency", pattern=CURRENCY),
        start=get_date(body, "start", default=dt.datetime.now(dt.UTC).date()),
        nights=get_int(body, "nights", lo=1, hi=1000, default=365),
        room_types=[],
        city=get_str(body, "city", default=""),
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
