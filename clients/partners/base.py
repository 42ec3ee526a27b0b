"""What hotelagg sends a partner aggregator (sandbox/partner/PROTOCOL.md), and how a partner refuses.

Every protocol client (json_rest, ota_xml) takes the same `AriUpdate`, so the partner gateway never
builds a wire message itself. The errors split three ways on purpose:

- `PartnerUnavailable`: no usable answer (5xx, timeout, connection error, our breaker open, an
  answer we cannot trust). The only one that counts against the breaker; retry later, same key.
- `PartnerRateLimited`: the partner is healthy but we sent too much for this property; wait
  `retry_after` seconds. A subclass of PartnerUnavailable so a caller that only knows "try again
  later" still does the right thing, but excluded from the breaker: one busy property must not
  stop the updates of every other property at that partner.
- `PartnerRejected`: a permanent refusal (a 4xx, an OTA <Errors>, an answer we cannot read). Sending
  the same update again gets the same answer; drop it or fix the data.
"""

from __future__ import annotations

import abc
import datetime as dt
from dataclasses import dataclass
from typing import Self

from clients.errors import ServiceUnavailable

DEFAULT_RATE_LIMIT_RETRY_SECONDS = 60.0
MAX_IDEMPOTENCY_KEY_LENGTH = 200  # the json_rest partner refuses longer keys with a 400


@dataclass(frozen=True)
class AriNight:
    """One room on one night, as an absolute value: it replaces whatever the partner held."""

    night: dt.date
    available: int
    price_minor: int | None  # None: no rate, not sellable (OTA closes it with Master Close)
    min_stay: int = 0  # 0 = no limit
    max_stay: int = 0
    closed_to_arrival: bool = False
    closed_to_departure: bool = False
    stop_sell: bool = False

    def __post_init__(self) -> None:
        counts = (self.available, self.min_stay, self.max_stay)
        if any(value < 0 for value in counts) or (self.price_minor is not None and self.price_minor < 0):
            raise ValueError(f"negative value in the ARI of {self.night}: {self}")


@dataclass(frozen=True)
class RoomAri:
    room_code: str
    currency: str
    nights: tuple[AriNight, ...]

    def __post_init__(self) -> None:
        # Two values for one night would leave the partner with whichever it applied last.
        dates = [night.night for night in self.nights]
        if len(set(dates)) != len(dates):
            raise ValueError(f"room {self.room_code}: a night appears twice")


@dataclass(frozen=True)
class AriUpdate:
    property_code: str
    rooms: tuple[RoomAri, ...]
    idempotency_key: str  # the same key for every retry of this update

    def __post_init__(self) -> None:
        if not 1 <= len(self.idempotency_key) <= MAX_IDEMPOTENCY_KEY_LENGTH:
            raise ValueError(f"idempotency key must be 1..{MAX_IDEMPOTENCY_KEY_LENGTH} characters")

    @property
    def night_count(self) -> int:
        return sum(len(room.nights) for room in self.rooms)


@dataclass(frozen=True)
class Receipt:
    """What a delivered update cost and what the partner remarked.

    `requests`: HTTP requests actually sent (0 for an update without nights). `warnings`: the
    partner's remarks as "CODE: text" (or just "CODE"), e.g. "REPLAY: ..." for an update it had
    already applied under this key.
    """

    requests: int
    warnings: tuple[str, ...] = ()


# -------------------------------------------------------------------------------------------- errors


class PartnerUnavailable(ServiceUnavailable):
    """No usable answer: 5xx, timeout, connection error, an untrustworthy answer, or our breaker is open.

    The update may or may not have been applied; sending it again under the same key settles that.
    """


class PartnerRateLimited(PartnerUnavailable):
    """429: over the partner's requests per minute for this property; nothing was applied."""

    def __init__(self, message: str, retry_after: float = DEFAULT_RATE_LIMIT_RETRY_SECONDS) -> None:
        super().__init__(message, retry_after=retry_after)


class PartnerRejected(Exception):
    """A refusal for good: the same update would be refused again."""

    def __init__(self, code: str, message: str = "", http_status: int | None = None) -> None:
        self.code = code  # the partner's code (UNKNOWN_PROPERTY, INVALID_REQUEST...) or HTTP_<status>
        self.message = message
        self.http_status = http_status
        super().__init__(f"{code}: {message}" if message else code)


# ------------------------------------------------------------------------------------------ interface


class PartnerClient(abc.ABC):
    """Sends ARI to one partner endpoint, behind that partner's circuit breaker."""

    @abc.abstractmethod
    async def send_ari(self, update: AriUpdate) -> Receipt:
        """Delivers the whole update or raises PartnerUnavailable / PartnerRateLimited / PartnerRejected."""

    @abc.abstractmethod
    async def aclose(self) -> None: ...

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
