"""The gateway's nouns: payments, their statuses, and the refusals PROTOCOL.md names. Pure data, no I/O."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from ..common.errors import ProtocolError

AUTHORIZED = "authorized"
CAPTURED = "captured"
VOIDED = "voided"
EXPIRED = "expired"
PARTIALLY_REFUNDED = "partially_refunded"
REFUNDED = "refunded"
STATUSES = (AUTHORIZED, CAPTURED, VOIDED, EXPIRED, PARTIALLY_REFUNDED, REFUNDED)
REFUNDABLE = (CAPTURED, PARTIALLY_REFUNDED)

# The HTTP status of every error code; anything unlisted is a 500.
HTTP_STATUS = {
    "bad_request": 400, "amount_too_large": 400, "unauthorized": 401,
    "card_declined": 402, "insufficient_funds": 402,
    "unknown_payment": 404, "not_found": 404, "method_not_allowed": 405,
    "invalid_state": 409, "idempotency_key_reused": 409, "idempotency_key_in_use": 409,
    "processing_error": 500, "unavailable": 503, "gateway_timeout": 504,
}


class PaymentError(ProtocolError):
    """A refusal PROTOCOL.md names."""

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 500)


def bad_request(field_name: str, message: str) -> PaymentError:
    return PaymentError("bad_request", f"{field_name}: {message}", field=field_name)


def rfc3339(timestamp: float) -> str:
    # Rounded up: an instant we promise (expires_at) must never read earlier than the real one.
    return dt.datetime.fromtimestamp(math.ceil(timestamp), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Payment:
    payment_id: str
    token: str
    amount_minor: int
    currency: str
    description: str
    created_at: float
    expires_at: float  # when an uncaptured authorization lapses
    status: str = AUTHORIZED
    captured_minor: int = 0
    refunded_minor: int = 0
    capture_failures_left: int = 0  # tok_capture_fails: capture attempts still to answer 500

    @property
    def refundable_minor(self) -> int:
        return self.captured_minor - self.refunded_minor

    def to_json(self) -> dict:
        return {
            "payment_id": self.payment_id,
            "status": self.status,
            "amount_minor": self.amount_minor,
            "currency": self.currency,
            "captured_minor": self.captured_minor,
            "refunded_minor": self.refunded_minor,
            "description": self.description,
            "created_at": rfc3339(self.created_at),
            "expires_at": rfc3339(self.expires_at),
        }
