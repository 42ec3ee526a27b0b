"""Who is calling the Partner Gateway: an operator (bearer token) or a partner (its API key).

Partners send `x-api-key`; we keep only the key's SHA-256, so a lookup hashes what came in. A partner
sees only its own data: another partner's is answered NOT_FOUND, exactly like data that does not exist,
so ids cannot be probed. Every partner call counts against its inbound rate.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass

from sqlalchemy.engine import Row

from servers.partner import domain, store
from servers.partner.rate_limit import RateLimiter, bursty
from servers.partner.reasons import PartnerReason
from servers.runtime.errors import ApiError, Code, not_found
from servers.runtime.reasons import ApiReason
from servers.storage.database import Database

_KEY_CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class Caller:
    partner: Row | None  # None: an operator

    @property
    def is_operator(self) -> bool:
        return self.partner is None

    def require_operator(self) -> None:
        if not self.is_operator:
            raise ApiError(Code.PERMISSION_DENIED, PartnerReason.OPERATOR_ONLY, "this call needs an operator token")

    def require_partner(self) -> Row:
        if self.partner is None:
            raise ApiError(Code.PERMISSION_DENIED, PartnerReason.PARTNER_ONLY,
                           "this call is made by a partner, with its API key")
        return self.partner

    def scope(self, owner: str, what: str, **metadata: str) -> None:
        """Raises NOT_FOUND when a partner asks about data of `owner`, another partner."""
        if self.partner is not None and owner and owner != self.partner.id:
            raise not_found(what.upper().replace(" ", "_") + "_NOT_FOUND", what, **metadata)


def unauthenticated(reason: str, message: str) -> ApiError:
    return ApiError(Code.UNAUTHENTICATED, reason, message)


class Gate:
    def __init__(self, db: Database, operator_token: str, limiter: RateLimiter) -> None:
        self._db = db
        self._operator_token = operator_token.encode()
        self._limiter = limiter
        self._partners: dict[str, tuple[float, Row | None]] = {}

    async def caller(self, metadata) -> Caller:
        headers = {k.lower(): v for k, v in metadata}
        authorization = headers.get("authorization", "")
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), self._operator_token):
                raise unauthenticated(ApiReason.BAD_CREDENTIALS, "the operator token is not valid")
            return Caller(None)
        return Caller(await self.partner_for_key(
            headers.get("x-api-key", ""), "send x-api-key (partners) or authorization: Bearer (operators)"))

    async def partner_for_key(self, api_key: str, missing: str) -> Row:
        """The partner whose key this is: CREDENTIALS_REQUIRED (with `missing` as message) for no key at all,
        BAD_CREDENTIALS for a key that is not a partner's, RATE_LIMITED over its inbound rate."""
        if not api_key:
            raise unauthenticated(ApiReason.CREDENTIALS_REQUIRED, missing)
        partner = await self._lookup(domain.key_hash(api_key))
        if partner is None:
            raise unauthenticated(ApiReason.BAD_CREDENTIALS, "the API key is not valid")
        wait = await self._limiter.acquire(f"partner-in:{partner.id}", *bursty(partner.inbound_requests_per_minute))
        if wait > 0:
            rate = f"{partner.inbound_requests_per_minute} requests per minute"
            raise ApiError(Code.RESOURCE_EXHAUSTED, PartnerReason.RATE_LIMITED, f"over this partner's limit of {rate}",
                           {"partner_id": partner.id}, retry_after_seconds=wait,
                           quota_violation=(f"partner:{partner.id}", rate))
        return partner

    async def _lookup(self, api_key_hash: str) -> Row | None:
        now = time.monotonic()
        cached = self._partners.get(api_key_hash)
        if cached is not None and cached[0] > now:
            return cached[1]
        async with self._db.reading_primary() as conn:
            partner = await store.partner_by_key(conn, api_key_hash)
        if len(self._partners) > 10_000:
            self._partners.clear()  # bounded: guessed keys must not grow it forever
        self._partners[api_key_hash] = (now + _KEY_CACHE_SECONDS, partner)
        return partner
