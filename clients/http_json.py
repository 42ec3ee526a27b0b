"""The HTTP plumbing the channel-manager and payment clients share: one aiohttp session, every request
one circuit-breaker call, and the answer sorted into a breakdown, a refusal or a JSON body.

What counts against the breaker is a breakdown (5xx, 429, timeout, connection error, an answer we
cannot read), raised as the subclass's `unavailable` type; a refusal the server states on purpose is
a business answer, raised as its `refused` type, which the breaker excludes.

No retry loop here: aiohttp (3.10+) already resends an idempotent request (GET) once when a pooled
connection turns out closed, and never a POST. A timed-out POST may still complete at the server,
and only the caller knows whether to try again (through the retry queue, with the same idempotency
key, which makes the repeat safe). Timeouts are not retried: a second wait would double a guest's.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self, TypeVar
from urllib.parse import quote

import aiohttp

from clients.breaker import AsyncCircuitBreaker, BreakerOpen
from clients.errors import ServiceUnavailable

T = TypeVar("T")
DEFAULT_RETRY_AFTER_SECONDS = 1.0


class JsonHttpClient(abc.ABC):
    """Base of a JSON-over-HTTP client; a subclass names the server and its error types."""

    server: ClassVar[str]  # how messages name the other side, e.g. "payment gateway"
    unavailable: ClassVar[type[ServiceUnavailable]]
    refused: ClassVar[type[Exception]]

    def __init__(self, base_url: str, breaker: AsyncCircuitBreaker, timeout: float,
                 auth_headers: Mapping[str, str]) -> None:
        self.base_url = base_url.rstrip("/")
        self.breaker = breaker
        self._headers = {**auth_headers, "Accept": "application/json"}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        breaker.exclude(self.refused)

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @abc.abstractmethod
    def _refusal(self, status: int, body: Mapping[str, Any], retry_after: float) -> Exception:
        """The `refused` (or `unavailable`) error for a 4xx answer other than 429."""

    async def _call(
        self,
        method: str,
        path: str,
        read: Callable[[Mapping[str, Any]], T],
        *,
        params: Mapping[str, str] | None = None,
        payload: Mapping[str, Any] | None = None,
        key: str | None = None,
    ) -> T:
        """`read` turns a 2xx body into the answer, raising `unavailable` if it cannot."""
        try:
            return await self.breaker.call(self._exchange, method, path, read, params, payload, key)
        except BreakerOpen as refused:
            raise self.unavailable(
                f"{self.server} at {self.base_url} is failing; not calling it for now",
                retry_after=refused.retry_after,
                breaker_open=True,
            ) from refused

    async def _exchange(
        self,
        method: str,
        path: str,
        read: Callable[[Mapping[str, Any]], T],
        params: Mapping[str, str] | None,
        payload: Mapping[str, Any] | None,
        key: str | None,
    ) -> T:
        """One breaker call: the request, then its answer read or refused."""
        status, retry_after, raw = await self._request(method, path, params, payload, key)
        if is_breakdown(status):
            raise self.unavailable(f"{self.server} answered {status}", retry_after=retry_after_seconds(retry_after),
                                   maybe_done=False)
        body = json_object(raw)
        if status >= 400:
            raise self._refusal(status, body, retry_after_seconds(retry_after))
        return read(body)

    async def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        payload: Mapping[str, Any] | None,
        key: str | None,
    ) -> tuple[int, str | None, bytes]:
        """Status, Retry-After and body; a timeout or a connection error is `unavailable`."""
        headers = {"Idempotency-Key": key} if key is not None else {}
        url = self.base_url + path
        try:
            async with self._client().request(method, url, params=params, json=payload, headers=headers) as response:
                return response.status, response.headers.get("Retry-After"), await response.read()
        except TimeoutError as error:
            raise self.unavailable(f"{method} {path} timed out") from error
        except aiohttp.ClientConnectorError as error:
            raise self.unavailable(f"{method} {path}: {error!r}", maybe_done=False) from error
        except aiohttp.ClientError as error:
            raise self.unavailable(f"{method} {path}: {error!r}") from error

    def _client(self) -> aiohttp.ClientSession:
        # Created on first use, inside the running loop that will use it; no await between the
        # check and the assignment, so concurrent first calls still share one session.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout, headers=self._headers)
        return self._session


def is_breakdown(status: int) -> bool:
    """5xx, 429 (overloaded), and anything neither a success nor a client error (an odd 1xx/3xx)."""
    return status >= 500 or status == 429 or not (200 <= status < 300 or 400 <= status < 500)


def json_object(raw: bytes) -> Mapping[str, Any]:
    """The body as a JSON object; anything else (empty, not JSON, a list) reads as `{}`."""
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return body if isinstance(body, Mapping) else {}


def retry_after_seconds(retry_after: str | None) -> float:
    # Retry-After may also be an HTTP date; the server's own seconds are all we honour.
    try:
        return max(float(retry_after), 0.0) if retry_after else DEFAULT_RETRY_AFTER_SECONDS
    except ValueError:
        return DEFAULT_RETRY_AFTER_SECONDS


def segment(value: str) -> str:
    """A hotel code, reservation or payment id as one path segment, whatever characters it holds."""
    return quote(value, safe="")
