"""The partner's nouns: the refusal it answers with, a night as it stores it, and a change to one.

Pure data, no I/O. `inventory.py` keeps the nights; `ari_json.py` and `ari_ota.py` turn requests into
`NightChange`s.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from ..common.errors import ProtocolError

PROTOCOLS = ("json_rest", "ota_xml")


class PartnerError(ProtocolError):
    """A refusal PROTOCOL.md names (UPPER_SNAKE code); its HTTP status is `plumbing.STATUS[code]`."""

    def to_json(self) -> dict:
        # PROTOCOL.md nests the error, unlike the other sandboxes' flat shape.
        return {"error": {"code": self.code, "message": self.message, **self.extra}}


def invalid(field_name: str, message: str) -> PartnerError:
    return PartnerError("INVALID_REQUEST", f"{field_name}: {message}", field=field_name)


@dataclass
class Night:
    """One room type on one date, as the partner shows it to its shoppers."""

    available: int = 0
    price_minor: int | None = None  # None: no rate, not sellable
    currency: str | None = None  # None until a rate (OTA) or a json_rest update named one
    min_stay: int = 0  # 0: no limit, for both stays
    max_stay: int = 0
    closed_to_arrival: bool = False
    closed_to_departure: bool = False
    stop_sell: bool = False

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


NIGHT_FIELDS = tuple(f.name for f in dataclasses.fields(Night))


@dataclass(frozen=True)
class NightChange:
    """Absolute values for some fields of one night; the fields it leaves out keep their value
    (an OTA avail message leaves the rate alone, a rates message the rest)."""

    room_code: str
    date: dt.date
    values: tuple[tuple[str, object], ...]


def stay_dates(check_in: dt.date, check_out: dt.date) -> list[dt.date]:
    """The nights of a stay: check-in up to, not including, check-out."""
    return [check_in + dt.timedelta(days=i) for i in range((check_out - check_in).days)]


def inclusive_dates(start: dt.date, end: dt.date) -> list[dt.date]:
    """An OTA Start..End range: both ends are nights."""
    return stay_dates(start, end + dt.timedelta(days=1))
