"""JSON request bodies checked field by field, for the channel manager and the partner: every
refusal names the field it is about.

The refusal itself stays each sandbox's own (`refuse(field, message)` builds it): their protocols
answer with different codes and shapes (`bad_request` flat, `INVALID_REQUEST` nested).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable

from .errors import ProtocolError

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")  # fromisoformat alone would also take 20261201
_MISSING = object()  # the default of a field that may not be left out


class JsonFields:
    """One sandbox's field checks; its validation module hands the bound methods out as functions.

    Two things the sandboxes answer differently, kept apart so that no answer changes:
    - `null_is_absent`: the channel manager reads `"x": null` as `x` left out; the partner reads it
      as a value, because there `price_minor: null` means "no rate" (get_int's `nullable`).
    - `quote_bad_date`: whether "is not a calendar date" repeats the value (the channel manager's does).
    """

    def __init__(self, refuse: Callable[[str, str], ProtocolError], *, null_is_absent: bool,
                 quote_bad_date: bool) -> None:
        self.refuse = refuse
        self.null_is_absent = null_is_absent
        self.quote_bad_date = quote_bad_date

    def parse_json(self, raw: bytes) -> dict:
        try:
            body = json.loads(raw or b"{}")
        except (ValueError, UnicodeDecodeError) as error:
            raise self.refuse("body", f"not JSON ({error})") from None
        if not isinstance(body, dict):
            raise self.refuse("body", "must be a JSON object")
        return body

    def reject_unknown(self, body: dict, allowed: Iterable[str], prefix: str = "") -> None:
        unknown = sorted(set(body) - set(allowed))
        if unknown:
            raise self.refuse(prefix + unknown[0], "unknown field")

    def get_str(self, body: dict, name: str, *, default=_MISSING, pattern: re.Pattern | None = None,
                max_len: int = 200, prefix: str = "") -> str:
        value = self._get(body, name, default, prefix)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, str) or not value or len(value) > max_len:
            raise self.refuse(prefix + name, f"must be a non-empty string of at most {max_len} characters")
        if pattern is not None and not pattern.match(value):
            raise self.refuse(prefix + name, f"must match {pattern.pattern}")
        return value

    def get_int(self, body: dict, name: str, *, lo: int, hi: int, default=_MISSING, prefix: str = "",
                nullable: bool = False) -> int | None:
        value = self._get(body, name, default, prefix)
        if (value is default and default is not _MISSING) or (value is None and nullable):
            return value
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise self.refuse(prefix + name,
                              f"must be an integer in [{lo}, {hi}]" + (" or null" if nullable else ""))
        return value

    def get_number(self, body: dict, name: str, *, lo: float, hi: float, default=_MISSING,
                   prefix: str = "") -> float:
        # A default is range-checked like a sent value: callers pass the current setting.
        value = self._get(body, name, default, prefix)
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            # NaN fails the range test too, which is what we want
            raise self.refuse(prefix + name, f"must be a number in [{lo}, {hi}]")
        return float(value)

    def get_bool(self, body: dict, name: str, *, default=_MISSING, prefix: str = "") -> bool:
        value = self._get(body, name, default, prefix)
        if not isinstance(value, bool):
            raise self.refuse(prefix + name, "must be true or false")
        return value

    def get_list(self, body: dict, name: str, *, max_len: int, prefix: str = "") -> list:
        value = self._get(body, name, _MISSING, prefix)
        if not isinstance(value, list) or not 0 < len(value) <= max_len:
            raise self.refuse(prefix + name, f"must be a list of 1 to {max_len} items")
        return value

    def get_object(self, items: list, index: int, prefix: str) -> dict:
        item = items[index]
        if not isinstance(item, dict):
            raise self.refuse(f"{prefix}[{index}]", "must be a JSON object")
        return item

    def get_date(self, body: dict, name: str, *, default=_MISSING, prefix: str = "") -> dt.date:
        value = self._get(body, name, default, prefix)
        if value is default and default is not _MISSING:
            return value
        return self.to_date(value, prefix + name)

    def to_date(self, value: object, field_name: str) -> dt.date:
        """Also for dates outside a JSON body: query parameters, XML attributes."""
        if not isinstance(value, str) or not DATE.match(value):
            raise self.refuse(field_name, "must be a date YYYY-MM-DD")
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            message = f"{value} is not a calendar date" if self.quote_bad_date else "is not a calendar date"
            raise self.refuse(field_name, message) from None

    def _get(self, body: dict, name: str, default: object, prefix: str) -> object:
        if name in body and not (self.null_is_absent and body[name] is None):
            return body[name]
        if default is _MISSING:
            raise self.refuse(prefix + name, "is required")
        return default
