"""json_rest ARI bodies (PROTOCOL.md "json_rest") → night changes, or a 400 naming the field."""

from __future__ import annotations

from .model import NightChange, invalid
from .validation import (
    CODE,
    CURRENCY,
    MAX_MINOR,
    get_bool,
    get_date,
    get_int,
    get_list,
    get_object,
    get_str,
)

MAX_ROOMS = 100
MAX_NIGHTS = 1000  # per room type and request: more than two years
MAX_STAY = 999
MAX_AVAILABLE = 100_000
RESTRICTIONS = ("closed_to_arrival", "closed_to_departure", "stop_sell")


def parse_ari(body: dict) -> list[NightChange]:
    """Every night of every room, all fields absolute; a (room, date) named twice is refused,
    since which of the two values the sender meant is unknowable."""
    changes: list[NightChange] = []
    seen: set[tuple[str, object]] = set()
    rooms = get_list(body, "rooms", max_len=MAX_ROOMS)
    for r in range(len(rooms)):
        prefix = f"rooms[{r}]."
        room = get_object(rooms, r, "rooms")
        room_code = get_str(room, "room_code", pattern=CODE, prefix=prefix)
        currency = get_str(room, "currency", pattern=CURRENCY, prefix=prefix)
        nights = get_list(room, "nights", max_len=MAX_NIGHTS, prefix=prefix)
        for n in range(len(nights)):
            change = _night(get_object(nights, n, prefix + "nights"), room_code, currency,
                            f"{prefix}nights[{n}].")
            if (room_code, change.date) in seen:
                raise invalid(f"{prefix}nights[{n}].date", f"{change.date} of {room_code} is given twice")
            seen.add((room_code, change.date))
            changes.append(change)
    return changes


def _night(night: dict, room_code: str, currency: str, prefix: str) -> NightChange:
    date = get_date(night, "date", prefix=prefix)
    values = {
        "available": get_int(night, "available", lo=0, hi=MAX_AVAILABLE, prefix=prefix),
        "price_minor": get_int(night, "price_minor", lo=0, hi=MAX_MINOR, prefix=prefix, nullable=True),
        "currency": currency,
        "min_stay": get_int(night, "min_stay", lo=0, hi=MAX_STAY, prefix=prefix),
        "max_stay": get_int(night, "max_stay", lo=0, hi=MAX_STAY, prefix=prefix),
        **{name: get_bool(night, name, prefix=prefix) for name in RESTRICTIONS},
    }
    if values["max_stay"] and values["max_stay"] < values["min_stay"]:
        raise invalid(prefix + "max_stay", "is below min_stay (0 means no limit)")
    return NightChange(room_code, date, tuple(values.items()))
