"""What hotelagg knows of a payment provider: payments as typed values, and how it refuses.

Every provider (HTTP to the sandbox gateway today, Stripe or Adyen tomorrow) answers in these types,
so no JSON dict leaks into booking. The errors split in two on purpose: a `PaymentError` is an answer
(declined, wrong state, not found) and never trips a breaker; `PaymentUnavailable` means no usable
answer came back and maps to UNAVAILABLE + RetryInfo.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from clients.errors import ServiceUnavailable


class PaymentStatus(enum.Enum):
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    VOIDED = "voided"
    EXPIRED = "expired"  # the authorization lapsed uncaptured (7 days at the sandbox)
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


@dataclass(frozen=True)
class Payment:
    payment_id: str
    status: PaymentStatus
    amount_minor: int  # authorized, in minor units of `currency`
    currency: str
    captured_minor: int
    refunded_minor: int

    @property
    def refundable_minor(self) -> int:
        return self.captured_minor - self.refunded_minor


# -------------------------------------------------------------------------------------------- errors


class PaymentError(Exception):
    """The provider answered and refused (a 4xx): a business answer, never a breaker failure."""

    def __init__(self, code: str, message: str = "", http_status: int = 400) -> None:
        self.code = code  # the protocol's snake_case error, e.g. "amount_too_large", "unauthorized"
        self.http_status = http_status
        super().__init__(f"{code}: {message}" if message else code)


class PaymentDeclined(PaymentError):
    """The card was refused; the guest must use another card. `reason`: card_declined, insufficient_funds."""

    def __init__(self, reason: str, message: str = "") -> None:
        self.reason = reason
        super().__init__(reason, message, 402)


class PaymentStateError(PaymentError):
    """The payment's status forbids this (capture after void, refund before capture...)."""

    def __init__(self, status: PaymentStatus | None, message: str = "") -> None:
        self.status = status  # None when the provider named a status we do not know
        super().__init__("invalid_state", message or f"payment is {status.value if status else 'unknown'}", 409)


class PaymentNotFound(PaymentError):
    def __init__(self, payment_id: str, message: str = "") -> None:
        self.payment_id = payment_id
        super().__init__("unknown_payment", message or f"no payment {payment_id}", 404)


class IdempotencyKeyReused(PaymentError):
    """Our bug: one idempotency key sent with two different requests. Never retry it."""

    def __init__(self, message: str = "") -> None:
        super().__init__("idempotency_key_reused", message, 409)


class PaymentInProgress(PaymentError):
    """A request under this idempotency key is still being processed (a retry overtook a slow first
    attempt). Not a breakdown: retry the same key after `retry_after` seconds (ABORTED, rule 3)."""

    def __init__(self, retry_after: float = 1.0, message: str = "") -> None:
        self.retry_after = retry_after
        super().__init__("idempotency_key_in_use", message, 409)


class PaymentUnavailable(ServiceUnavailable):
    """No usable answer from the provider: 5xx, timeout, connection error, or our breaker is open.

    The operation may or may not have happened at the provider (a timeout says nothing); retrying it
    with the same idempotency key settles that.
    """


# ------------------------------------------------------------------------------------------ protocol


@runtime_checkable
class PaymentProvider(Protocol):
    """How booking talks to a payment provider; fakes in unit tests satisfy it too.

    Every mutating call takes an idempotency key: the same key and arguments give the same answer
    however often they are sent, so a caller that lost an answer simply sends the call again.
    """

    async def authorize(
        self, token: str, amount_minor: int, currency: str, idempotency_key: str, description: str = ""
    ) -> Payment:
        """Holds the amount on the card, or raises PaymentDeclined."""
        ...

    async def capture(self, payment_id: str, amount_minor: int, idempotency_key: str) -> Payment:
        """Takes amount_minor (≤ authorized) and releases the rest; once, from AUTHORIZED."""
        ...

    async def void(self, payment_id: str, idempotency_key: str) -> Payment:
        """Releases an uncaptured authorization."""
        ...

    async def refund(self, payment_id: str, amount_minor: int, idempotency_key: str) -> Payment:
        """Gives back amount_minor (≤ captured - refunded)."""
        ...

    async def payment(self, payment_id: str) -> Payment:
        """The payment as the provider sees it now (for reconciliation)."""
        ...

    async def aclose(self) -> None: ...
