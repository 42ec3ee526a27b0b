"""The channel manager over HTTP (sandbox/channel_manager/PROTOCOL.md), behind a circuit breaker.

Every request goes through the breaker as one call. What counts against it is a breakdown (5xx,
429, timeout, connection error, an answer we cannot read); every refusal the channel manager
states on purpose (409 sold out, 404, 400) is a business answer and is excluded, since a hotel
selling out must never make us stop booking it.

No retry loop here: aiohttp (3.10+) already resends an idempotent request (GET) once when a pooled
connection turns out closed, and never a POST. A reserve/confirm/cancel is never repeated
silently; its caller retries it later through the retry queue, and the Idempotency-Key makes that
repeat safe at the channel manager. Timeouts are not retried: a second wait would double a guest's.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp

from clients.breaker import AsyncCircuitBreaker, BreakerOpen
from clients.channel_managers.base import (
    ChangeBatch,
    ChannelManagerError,
    ChannelManagerUnavailable,
    HoldExpired,
    HotelAri,
    NotFound,
    Reservation,
    Restricted,
    SoldOut,
)
from clients.channel_managers.parsing import (
    MalformedAnswer,
    parse_change_batch,
    parse_date,
    parse_hotel_ari,
    parse_reservation,
)

T = TypeVar("T")
OUR_CHANNEL = "hotelagg"
DEFAULT_RETRY_AFTER_SECONDS = 1.0


class HttpChannelManagerClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        breaker: AsyncCircuitBreaker,
        timeout: float = 5.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.breaker = breaker
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        breaker.exclude(ChannelManagerError)

    async def availability(
        self, hotel_code: str, start: dt.date, end: dt.date, room_type: str | None = None
    ) -> HotelAri:
        params = {"start": start.isoformat(), "end": end.isoformat()}
        if room_type is not None:
            params["room_type"] = room_type
        return await self._send("GET", f"/hotels/{_segment(hotel_code)}/ari", parse_hotel_ari, params=params)

    async def changes(self, hotel_code: str, since: int, limit: int = 500) -> ChangeBatch:
        params = {"since": str(since), "limit": str(limit)}
        return await self._send("GET", f"/hotels/{_segment(hotel_code)}/changes", parse_change_batch, params=params)

    async def reserve(
        self,
        hotel_code: str,
        room_type_code: str,
        check_in: dt.date,
        check_out: dt.date,
        rooms: int,
        hold_seconds: int,
        idempotency_key: str,
    ) -> Reservation:
        payload = {
            "hotel_code": hotel_code,
            "room_type_code": room_type_code,
            "check_in": check_in.isoformat(),
            "check_out": check_out.isoformat(),
            "rooms": rooms,
            "channel": OUR_CHANNEL,
            "hold_seconds": hold_seconds,
        }
        return await self._send("POST", "/reservations", parse_reservation, payload=payload, key=idempotency_key)

    async def confirm(self, reservation_id: str, idempotency_key: str) -> Reservation:
        path = f"/reservations/{_segment(reservation_id)}/confirm"
        return await self._send("POST", path, parse_reservation, key=idempotency_key)

    async def cancel(self, reservation_id: str, idempotency_key: str) -> Reservation:
        path = f"/reservations/{_segment(reservation_id)}/cancel"
        return await self._send("POST", path, parse_reservation, key=idempotency_key)

    async def reservation(self, reservation_id: str) -> Reservation:
        return await self._send("GET", f"/reservations/{_segment(reservation_id)}", parse_reservation)

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def __aenter__(self) -> "HttpChannelManagerClient":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _send(
        self,
        method: str,
        path: str,
        parse: Callable[[Mapping[str, Any]], T],
        *,
        params: Mapping[str, str] | None = None,
        payload: Mapping[str, Any] | None = None,
        key: str | None = None,
    ) -> T:
        try:
            return await self.breaker.call(self._exchange, method, path, parse, params, payload, key)
        except BreakerOpen as refused:
            raise ChannelManagerUnavailable(
                f"channel manager at {self.base_url} is failing; not calling it for now",
                retry_after=refused.retry_after,
                breaker_open=True,
            ) from refused

    async def _exchange(
        self,
        method: str,
        path: str,
        parse: Callable[[Mapping[str, Any]], T],
        params: Mapping[str, str] | None,
        payload: Mapping[str, Any] | None,
        key: str | None,
    ) -> T:
        """One breaker call: the request, then its answer read or refused."""
        headers = {"Idempotency-Key": key} if key is not None else {}
        try:
            status, retry_after, raw = await self._request(method, path, params, payload, headers)
        except TimeoutError as error:
            raise ChannelManagerUnavailable(f"{method} {path} timed out") from error
        except aiohttp.ClientError as error:
            raise ChannelManagerUnavailable(f"{method} {path}: {error!r}") from error
        return _answer(status, retry_after, raw, parse)

    async def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        payload: Mapping[str, Any] | None,
        headers: Mapping[str, str],
    ) -> tuple[int, str | None, bytes]:
        session = self._client()
        url = self.base_url + path
        async with session.request(method, url, params=params, json=payload, headers=headers) as response:
            return response.status, response.headers.get("Retry-After"), await response.read()

    def _client(self) -> aiohttp.ClientSession:
        # Created on first use, inside the running loop that will use it; no await between the
        # check and the assignment, so concurrent first calls still share one session.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout,
                headers={"X-Api-Key": self._api_key, "Accept": "application/json"},
            )
        return self._session


def _answer(status: int, retry_after: str | None, raw: bytes, parse: Callable[[Mapping[str, Any]], T]) -> T:
    if _is_breakdown(status):
        raise ChannelManagerUnavailable(f"channel manager answered {status}", retry_after=_seconds(retry_after))
    body = _json(raw)
    if status >= 400:
        raise _refusal(status, body)
    try:
        return parse(body)
    except MalformedAnswer as error:
        # A 2xx we cannot read is the channel manager misbehaving, not a booking rule: a breakdown.
        raise ChannelManagerUnavailable(f"unreadable answer: {error}") from error


def _is_breakdown(status: int) -> bool:
    """5xx, 429 (overloaded), and anything neither a success nor a client error (an odd 1xx/3xx)."""
    return status >= 500 or status == 429 or not (200 <= status < 300 or 400 <= status < 500)


def _refusal(status: int, body: Mapping[str, Any]) -> ChannelManagerError:
    code = str(body.get("error") or f"http_{status}")
    message = str(body.get("message") or "")
    if status == 409 and code == "sold_out":
        return SoldOut(_date_or_none(body.get("date")), message)
    if status == 409 and code == "restricted":
        return Restricted(_date_or_none(body.get("date")), str(body.get("restriction") or "unknown"), message)
    if status == 409 and code == "hold_expired":
        return HoldExpired(message)
    if status == 404:
        return NotFound(code if code != "http_404" else "not_found", message)
    return ChannelManagerError(code, message, status)


def _json(raw: bytes) -> Mapping[str, Any]:
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return body if isinstance(body, Mapping) else {}


def _date_or_none(value: Any) -> dt.date | None:
    try:
        return parse_date(value) if isinstance(value, str) else None
    except MalformedAnswer:
        return None


def _seconds(retry_after: str | None) -> float:
    # Retry-After may also be an HTTP date; the channel manager's own seconds are all we honour.
    try:
        return max(float(retry_after), 0.0) if retry_after else DEFAULT_RETRY_AFTER_SECONDS
    except ValueError:
        return DEFAULT_RETRY_AFTER_SECONDS


def _segment(value: str) -> str:
    """A hotel code or reservation id as one path segment, whatever characters it holds."""
    return quote(value, safe="")
