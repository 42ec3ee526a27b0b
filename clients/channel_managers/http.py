"""The channel manager over HTTP (sandbox/channel_manager/PROTOCOL.md), behind a circuit breaker.

The session, breaker and answer plumbing is clients/http_json.py. Every refusal the channel manager
states on purpose (409 sold out, 404, 400) is a business answer and is excluded from the breaker,
since a hotel selling out must never make us stop booking it.

A reserve/confirm/cancel is never repeated silently; its caller retries it later through the retry
queue, and the Idempotency-Key makes that repeat safe at the channel manager.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, TypeVar

from clients.breaker import AsyncCircuitBreaker
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
from clients.http_json import JsonHttpClient, segment

T = TypeVar("T")
OUR_CHANNEL = "hotelagg"


class HttpChannelManagerClient(JsonHttpClient):
    server = "channel manager"
    unavailable = ChannelManagerUnavailable
    refused = ChannelManagerError

    def __init__(
        self,
        base_url: str,
        api_key: str,
        breaker: AsyncCircuitBreaker,
        timeout: float = 5.0,
    ) -> None:
        super().__init__(base_url, breaker, timeout, {"X-Api-Key": api_key})

    async def availability(
        self, hotel_code: str, start: dt.date, end: dt.date, room_type: str | None = None
    ) -> HotelAri:
        params = {"start": start.isoformat(), "end": end.isoformat()}
        if room_type is not None:
            params["room_type"] = room_type
        return await self._send("GET", f"/hotels/{segment(hotel_code)}/ari", parse_hotel_ari, params=params)

    async def changes(self, hotel_code: str, since: int, limit: int = 500) -> ChangeBatch:
        params = {"since": str(since), "limit": str(limit)}
        return await self._send("GET", f"/hotels/{segment(hotel_code)}/changes", parse_change_batch, params=params)

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
        path = f"/reservations/{segment(reservation_id)}/confirm"
        return await self._send("POST", path, parse_reservation, key=idempotency_key)

    async def cancel(self, reservation_id: str, idempotency_key: str) -> Reservation:
        path = f"/reservations/{segment(reservation_id)}/cancel"
        return await self._send("POST", path, parse_reservation, key=idempotency_key)

    async def reservation(self, reservation_id: str) -> Reservation:
        return await self._send("GET", f"/reservations/{segment(reservation_id)}", parse_reservation)

    async def _send(self, method: str, path: str, parse: Callable[[Mapping[str, Any]], T], **request: Any) -> T:
        return await self._call(method, path, partial(_read, parse), **request)

    def _refusal(self, status: int, body: Mapping[str, Any], retry_after: float) -> ChannelManagerError:
        return _refusal(status, body)


def _read(parse: Callable[[Mapping[str, Any]], T], body: Mapping[str, Any]) -> T:
    try:
        return parse(body)
    except MalformedAnswer as error:
        # A 2xx we cannot read is the channel manager misbehaving, not a booking rule: a breakdown.
        raise ChannelManagerUnavailable(f"unreadable answer: {error}") from error


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


def _date_or_none(value: Any) -> dt.date | None:
    try:
        return parse_date(value) if isinstance(value, str) else None
    except MalformedAnswer:
        return None
