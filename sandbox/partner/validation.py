"""JSON field checks that answer a 400 INVALID_REQUEST naming the field.

Used by the json_rest ARI body (unknown fields ignored: hotelagg may send more than a partner reads)
and by admin bodies (unknown fields refused: a typo in a fault setting would otherwise pass silently).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable

from .model import invalid

_MISSING = object()
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")  # fromisoformat alone would also take 20261201
MAX_MINOR = 10**12  # a trillion minor units: no night or stay costs more


def parse_json(raw: bytes) -> dict:
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError) as error:
        raise invalid("body", f"not JSON ({error})") from None
    if not isinstance(body, dict):
        raise invalid("body", "must be a JSON object")
    return body


def reject_unknown(body: dict, allowed: Iterable[str], prefix: str = "") -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise invalid(prefix + unknown[0], "unknown field")


def _get(body: dict, name: str, default, prefix: str):
    if name in body:
        return body[name]
    if default is _MISSING:
        raise invalid(prefix + name, "is required")
    return default


def get_str(body: dict, name: str, *, default=_MISSING, pattern: re.Pattern | None = None,
            max_len: int = 200, prefix: str = "") -> str:
    value = _get(body, name, default, prefix)
    if value is default and default is not _MISSING:
        return value
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise invalid(prefix + name, f"must be a non-empty string of at most {max_len} characters")
    if pattern is not None and not pattern.match(value):
        raise invalid(prefix + name, f"must match {pattern.pattern}")
    return value


def get_int(body: dict, name: str, *, lo: int, hi: int, default=_MISSING, prefix: str = "",
            nullable: bool = False) -> int | None:
    value = _get(body, name, default, prefix)
    if (value is default and default is not _MISSING) or (value is None and nullable):
        return value
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise invalid(prefix + name, f"must be an integer in [{lo}, {hi}]" + (" or null" if nullable else ""))
    return value


def get_number(body: dict, name: str, *, lo: float, hi: float, prefix: str = "") -> float:
    value = _get(body, name, _MISSING, prefix)
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        # NaN fails the range test too, which is what we want
        raise invalid(prefix + name, f"must be a number in [{lo}, {hi}]")
    return float(value)


def get_bool(body: dict, name: str, *, default=_MISSING, prefix: str = "") -> bool:
    value = _get(body, name, default, prefix)
    if not isinstance(value, bool):
        raise invalid(prefix + name, "must be true or false")
    return value


def get_list(body: dict, name: str, *, max_len: int, prefix: str = "") -> list:
    value = _get(body, name, _MISSING, prefix)
    if not isinstance(value, list) or not 0 < len(value) <= max_len:
        raise invalid(prefix + name, f"must be a list of 1 to {max_len} items")
    return value


def get_date(body: dict, name: str, *, default=_MISSING, prefix: str = "") -> dt.date:
    value = _get(body, name, default, prefix)
    if value is default and default is not _MISSING:
        return value
    return to_date(value, prefix + name)


def to_date(value: object, field_name: str) -> dt.date:
    if not isinstance(value, str) or not DATE.match(value):
        raise invalid(field_name, "must be a date YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise invalid(field_name, "is not a calendar date") from None


def get_object(items: list, index: int, prefix: str) -> dict:
    item = items[index]
    if not isinstance(item, dict):
        raise invalid(f"{prefix}[{index}]", "must be a JSON object")
    return item
