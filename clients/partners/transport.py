"""The HTTP plumbing both partner protocols share: one aiohttp session, every request one breaker call.

Not clients/http_json.JsonHttpClient, whose rules suit a channel manager: there a 429 counts against
the breaker and a missing Retry-After means 1 s. A partner limits requests per property, so a 429
says nothing about the partner's health (it is excluded from the breaker) and, without a usable
Retry-After, we wait out its whole 60 s window. The OTA protocol also posts XML, not JSON.

The protocol's `read` runs inside the breaker call, so an answer it finds untrustworthy (raised as
PartnerUnavailable) counts as a failure, while a PartnerRejected does not. No retries here: the
caller resends the whole update under the same key, which the partner dedupes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

import aiohttp

from clients.breaker import AsyncCircuitBreaker, BreakerOpen
from clients.http_json import is_breakdown, retry_after_seconds
from clients.partners.base import (
    DEFAULT_RATE_LIMIT_RETRY_SECONDS,
    PartnerRateLimited,
    PartnerRejected,
    PartnerUnavailable,
)

T = TypeVar("T")
Reader = Callable[[int, bytes], T]  # (status, body) of a 2xx or a 4xx other than 429 → the answer


class PartnerHttp:
    def __init__(self, endpoint_url: str, breaker: AsyncCircuitBreaker, timeout: float, server: str) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self.breaker = breaker
        self.server = server  # how messages name the other side, e.g. "partner json_rest"
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        breaker.exclude(PartnerRejected, PartnerRateLimited)

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def post(self, path: str, body: bytes, headers: Mapping[str, str], read: Reader[T]) -> T:
        try:
            return await self.breaker.call(self._exchange, path, body, headers, read)
        except BreakerOpen as refused:
            raise PartnerUnavailable(
                f"{self.server} at {self.endpoint_url} is failing; not calling it for now",
                retry_after=refused.retry_after,
                breaker_open=True,
            ) from refused

    async def _exchange(self, path: str, body: bytes, headers: Mapping[str, str], read: Reader[T]) -> T:
        status, retry_after, raw = await self._request(path, body, headers)
        if status == 429:
            raise PartnerRateLimited(f"{self.server} rate-limited {path}", parse_retry_after(retry_after))
        if is_breakdown(status):
            raise PartnerUnavailable(f"{self.server} answered {status} to {path}",
                                     retry_after=retry_after_seconds(retry_after))
        return read(status, raw)

    async def _request(self, path: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, str | None, bytes]:
        url = self.endpoint_url + path
        try:
            # No redirects: aiohttp would turn the POST into a GET, and a partner that moved is a
            # configuration problem the status (a breakdown) should bring to light.
            async with self._client().post(url, data=body, headers=headers, allow_redirects=False) as response:
                return response.status, response.headers.get("Retry-After"), await response.read()
        except TimeoutError as error:
            raise PartnerUnavailable(f"POST {path} to {self.server} timed out") from error
        except aiohttp.ClientError as error:
            raise PartnerUnavailable(f"POST {path} to {self.server}: {error!r}") from error

    def _client(self) -> aiohttp.ClientSession:
        # Created on first use inside the loop that uses it; no await between check and assignment.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session


def parse_retry_after(value: str | None) -> float:
    """Delta-seconds as sent; anything else (missing, an HTTP-date, junk) waits the partner's whole
    60 s window, since retrying sooner only spends more of the property's quota."""
    text = (value or "").strip()
    if text.isascii() and text.isdigit():
        return float(int(text))
    return DEFAULT_RATE_LIMIT_RETRY_SECONDS
