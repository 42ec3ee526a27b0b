"""Receiving ARI, whatever the protocol: rate limit, idempotency key, validation, then the nights.

Synchronous from the key lookup to storing the key, so two concurrent requests under one key
cannot both apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .catalogue import Catalogue
from .idempotency import AppliedKeys
from .inventory import Inventory
from .model import NightChange, PartnerError, invalid
from .ratelimit import RateLimiter
from .validation import CODE


@dataclass(frozen=True)
class AriRequest:
    message: str  # "ari" (json_rest) or the OTA message name: keys are scoped by it
    property_code: str
    key: str | None
    key_field: str  # where the key travels: "Idempotency-Key" or "EchoToken"
    max_key: int
    parse: Callable[[], list[NightChange]]  # raises PartnerError for a malformed body


@dataclass(frozen=True)
class Outcome:
    kind: str  # applied | replay | refused | rate_limited (ledger.COUNTERS)
    nights: int = 0
    retry_after: int = 0  # whole seconds, for rate_limited
    error: PartnerError | None = None  # for refused


class AriDesk:
    def __init__(self, inventory: Inventory, keys: AppliedKeys, limiter: RateLimiter,
                 catalogue: Catalogue) -> None:
        self.inventory = inventory
        self.keys = keys
        self.limiter = limiter
        self.catalogue = catalogue

    def receive(self, request: AriRequest) -> Outcome:
        """Every request counts against its property's window, replays and malformed ones included
        (PROTOCOL.md); a refused one changes nothing."""
        if not CODE.match(request.property_code):
            return Outcome("refused", error=invalid("property_code", f"must match {CODE.pattern}"))
        if (wait := self.limiter.admit(request.property_code)) is not None:
            return Outcome("rate_limited", retry_after=wait)
        key = request.key
        if not key or len(key) > request.max_key:
            return Outcome("refused", error=invalid(
                request.key_field, f"must be 1 to {request.max_key} characters"))
        if (applied := self.keys.get(request.message, key)) is not None:
            return Outcome("replay", applied.nights)
        try:
            changes = self._checked(request)
        except PartnerError as error:
            return Outcome("refused", error=error)
        self.inventory.apply(request.property_code, changes)
        self.keys.put(request.message, key, len(changes))
        return Outcome("applied", len(changes))

    def _checked(self, request: AriRequest) -> list[NightChange]:
        self.catalogue.check(request.property_code)
        changes = request.parse()
        self.catalogue.check(request.property_code, sorted({c.room_code for c in changes}))
        return changes
