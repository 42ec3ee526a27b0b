"""The payment gateway over HTTP (sandbox/payment_gateway/PROTOCOL.md), behind a circuit breaker.

Every request goes through the breaker as one call. What counts against it is a breakdown (5xx,
429, timeout, connection error, an answer we cannot read); every refusal the gateway states on
purpose (402 declined, 409, 404, 400, 401) is a business answer and is excluded: guests with
declined cards must never make us stop taking payments.

No retry loop here, as in the channel-manager client: a timed-out authorize may still complete at
the gateway, and only the caller knows whether to try again (through the retry queue, with the same
idempotency key, which makes the repeat safe). aiohttp never resends a POST by itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import aiohttp

from clients.breaker import AsyncCircuitBreaker, BreakerOpen
from clients.payments.base import (
    IdempotencyKeyReused,
    Payment,
    PaymentDeclined,
    PaymentError,
    PaymentInProgress,
    PaymentNotFound,
    PaymentStateError,
    PaymentStatus,
    PaymentUnavailable,
)

DEFAULT_RETRY_AFTER_SECONDS = 1.0


class HttpPaymentProvider:
    def __init__(self, base_url: str, api_key: str, breaker: AsyncCircuitBreaker, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.breaker = breaker
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        breaker.exclude(PaymentError)

    async def authorize(
        self, token: str, amount_minor: int, currency: str, idempotency_key: str, description: str = ""
    ) -> Payment:
        payload: dict[str, Any] = {"token": token, "amount_minor": amount_minor, "currency": currency}
        if description:
            payload["description"] = description
        return await self._send("POST", "/v1/payments", payload, idempotency_key)

    async def capture(self, payment_id: str, amount_minor: int, idempotency_key: str) -> Payment:
        path = f"/v1/payments/{_segment(payment_id)}/capture"
        return await self._send("POST", path, {"amount_minor": amount_minor}, idempotency_key)

    async def void(self, payment_id: str, idempotency_key: str) -> Payment:
        return await self._send("POST", f"/v1/payments/{_segment(payment_id)}/void", None, idempotency_key)

    async def refund(self, payment_id: str, amount_minor: int, idempotency_key: str) -> Payment:
        path = f"/v1/payments/{_segment(payment_id)}/refund"
        return await self._send("POST", path, {"amount_minor": amount_minor}, idempotency_key)

    async def payment(self, payment_id: str) -> Payment:
        return await self._send("GET", f"/v1/payments/{_segment(payment_id)}", None, None)

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def __aenter__(self) -> "HttpPaymentProvider":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _send(self, method: str, path: str, payload: Mapping[str, Any] | None, key: str | None) -> Payment:
        try:
            return await self.breaker.call(self._exchange, method, path, payload, key)
        except BreakerOpen as refused:
            raise PaymentUnavailable(
                f"payment gateway at {self.base_url} is failing; not calling it for now",
                retry_after=refused.retry_after,
                breaker_open=True,
            ) from refused

    async def _exchange(self, method: str, path: str, payload: Mapping[str, Any] | None, key: str | None) -> Payment:
        """One breaker call: the request, then its answer read or refused."""
        headers = {"Idempotency-Key": key} if key is not None else {}
        url = self.base_url + path
        try:
            async with self._client().request(method, url, json=payload, headers=headers) as response:
                status, retry_after, raw = response.status, response.headers.get("Retry-After"), await response.read()
        except TimeoutError as error:
            raise PaymentUnavailable(f"{method} {path} timed out") from error
        except aiohttp.ClientError as error:
            raise PaymentUnavailable(f"{method} {path}: {error!r}") from error
        return _answer(status, _seconds(retry_after), raw, path)

    def _client(self) -> aiohttp.ClientSession:
        # Created on first use, inside the running loop that will use it; no await between the
        # check and the assignment, so concurrent first calls still share one session.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout,
                headers={"Authorization": f"Bearer {self._api_key}", "Accept": "application/json"},
            )
        return self._session


def _answer(status: int, retry_after: float, raw: bytes, path: str) -> Payment:
    if status >= 500 or status == 429 or not (200 <= status < 300 or 400 <= status < 500):
        raise PaymentUnavailable(f"payment gateway answered {status}", retry_after=retry_after)
    body = _json(raw)
    if status >= 400:
        raise _refusal(status, body, retry_after)
    try:
        return parse_payment(body)
    except (KeyError, TypeError, ValueError) as error:
        # A 2xx we cannot read is the gateway misbehaving, not a payment rule: a breakdown.
        raise PaymentUnavailable(f"unreadable payment from {path}: {error!r}") from error


def _refusal(status: int, body: Mapping[str, Any], retry_after: float) -> PaymentError:
    code = str(body.get("error") or f"http_{status}")
    message = str(body.get("message") or "")
    if status == 402:
        return PaymentDeclined(code, message)
    if status == 409 and code == "invalid_state":
        return PaymentStateError(_status_or_none(body.get("status")), message)
    if status == 409 and code == "idempotency_key_reused":
        return IdempotencyKeyReused(message)
    if status == 409 and code == "idempotency_key_in_use":
        return PaymentInProgress(retry_after, message)
    if status == 404 and code == "unknown_payment":
        return PaymentNotFound(str(body.get("payment_id") or ""), message)
    # Anything else (401, 400, a 404 from a wrong base URL) is still an answer, not a breakdown.
    return PaymentError(code, message, status)


def parse_payment(body: Mapping[str, Any]) -> Payment:
    """Strict: a wrong type or a missing field raises, rather than booking a payment we misread."""
    amounts = [body["amount_minor"], body["captured_minor"], body["refunded_minor"]]
    if any(isinstance(a, bool) or not isinstance(a, int) or a < 0 for a in amounts):
        raise ValueError(f"amounts must be non-negative integers: {amounts}")
    payment_id, currency = body["payment_id"], body["currency"]
    if not isinstance(payment_id, str) or not payment_id or not isinstance(currency, str):
        raise ValueError("payment_id and currency must be strings")
    return Payment(payment_id, PaymentStatus(body["status"]), amounts[0], currency, amounts[1], amounts[2])


def _json(raw: bytes) -> Mapping[str, Any]:
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return body if isinstance(body, Mapping) else {}


def _status_or_none(value: Any) -> PaymentStatus | None:
    try:
        return PaymentStatus(value)
    except ValueError:
        return None


def _seconds(retry_after: str | None) -> float:
    # Retry-After may also be an HTTP date; the gateway's own seconds are all we honour.
    try:
        return max(float(retry_after), 0.0) if retry_after else DEFAULT_RETRY_AFTER_SECONDS
    except ValueError:
        return DEFAULT_RETRY_AFTER_SECONDS


def _segment(value: str) -> str:
    """A payment id as one path segment, whatever characters it holds."""
    return quote(value, safe="")
