"""The payment gateway over HTTP (sandbox/payment_gateway/PROTOCOL.md), behind a circuit breaker.

The session, breaker and answer plumbing is clients/http_json.py. Every refusal the gateway states
on purpose (402 declined, 409, 404, 400, 401) is a business answer and is excluded from the breaker:
guests with declined cards must never make us stop taking payments.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from clients.breaker import AsyncCircuitBreaker
from clients.http_json import JsonHttpClient, segment
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


class HttpPaymentProvider(JsonHttpClient):
    server = "payment gateway"
    unavailable = PaymentUnavailable
    refused = PaymentError

    def __init__(self, base_url: str, api_key: str, breaker: AsyncCircuitBreaker, timeout: float = 5.0) -> None:
        super().__init__(base_url, breaker, timeout, {"Authorization": f"Bearer {api_key}"})

    async def authorize(
        self, token: str, amount_minor: int, currency: str, idempotency_key: str, description: str = ""
    ) -> Payment:
        payload: dict[str, Any] = {"token": token, "amount_minor": amount_minor, "currency": currency}
        if description:
            payload["description"] = description
        return await self._send("POST", "/v1/payments", payload, idempotency_key)

    async def capture(self, payment_id: str, amount_minor: int, idempotency_key: str) -> Payment:
        path = f"/v1/payments/{segment(payment_id)}/capture"
        return await self._send("POST", path, {"amount_minor": amount_minor}, idempotency_key)

    async def void(self, payment_id: str, idempotency_key: str) -> Payment:
        return await self._send("POST", f"/v1/payments/{segment(payment_id)}/void", None, idempotency_key)

    async def refund(self, payment_id: str, amount_minor: int, idempotency_key: str) -> Payment:
        path = f"/v1/payments/{segment(payment_id)}/refund"
        return await self._send("POST", path, {"amount_minor": amount_minor}, idempotency_key)

    async def payment(self, payment_id: str) -> Payment:
        return await self._send("GET", f"/v1/payments/{segment(payment_id)}", None, None)

    async def _send(self, method: str, path: str, payload: Mapping[str, Any] | None, key: str | None) -> Payment:
        return await self._call(method, path, partial(_read_payment, path), payload=payload, key=key)

    def _refusal(self, status: int, body: Mapping[str, Any], retry_after: float) -> PaymentError:
        return _refusal(status, body, retry_after)


def _read_payment(path: str, body: Mapping[str, Any]) -> Payment:
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


def _status_or_none(value: Any) -> PaymentStatus | None:
    try:
        return PaymentStatus(value)
    except ValueError:
        return None
