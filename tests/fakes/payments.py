"""A payment provider (clients.payments.PaymentProvider) in dicts: authorizations, captures, voids and
refunds idempotent by key, refusing as the HTTP client raises (PaymentDeclined, PaymentStateError,
PaymentNotFound), and PaymentUnavailable when down or timing out."""

from __future__ import annotations

import dataclasses
import uuid

from clients.payments import (
    Payment,
    PaymentDeclined,
    PaymentNotFound,
    PaymentStateError,
    PaymentStatus,
    PaymentUnavailable,
)
from tests.fakes.faults import Faults, unavailable

DECLINED_TOKEN = "tok_declined"


class FakePayments:
    def __init__(self) -> None:
        self.payments: dict[str, Payment] = {}
        self._answers: dict[str, Payment] = {}  # by idempotency key: a repeated call gets the same answer
        self.faults = Faults(unavailable(PaymentUnavailable))

    @property
    def calls(self):
        return self.faults.calls

    def status_of(self, payment_id: str) -> PaymentStatus:
        return self.payments[payment_id].status

    def lapse(self, payment_id: str) -> None:
        """The authorization lapsed uncaptured (7 days at the sandbox): it can no longer be captured."""
        self._set(self.payments[payment_id], status=PaymentStatus.EXPIRED)

    async def authorize(self, token: str, amount_minor: int, currency: str, idempotency_key: str,
                        description: str = "") -> Payment:
        self.faults.called("authorize", idempotency_key, token, amount_minor, currency)
        if idempotency_key not in self._answers:
            if token == DECLINED_TOKEN:
                raise PaymentDeclined("card_declined")
            payment = Payment(f"pay_{uuid.uuid4().hex[:12]}", PaymentStatus.AUTHORIZED, amount_minor, currency, 0, 0)
            self.payments[payment.payment_id] = self._answers[idempotency_key] = payment
        self.faults.answered("authorize")
        return self._answers[idempotency_key]

    async def capture(self, payment_id: str, amount_minor: int, idempotency_key: str) -> Payment:
        self.faults.called("capture", idempotency_key, payment_id, amount_minor)
        if idempotency_key not in self._answers:
            payment = self._payment(payment_id)
            if payment.status != PaymentStatus.AUTHORIZED:
                raise PaymentStateError(payment.status)
            self._answers[idempotency_key] = self._set(payment, status=PaymentStatus.CAPTURED,
                                                       captured_minor=amount_minor)
        self.faults.answered("capture")
        return self._answers[idempotency_key]

    async def void(self, payment_id: str, idempotency_key: str) -> Payment:
        self.faults.called("void", idempotency_key, payment_id)
        if idempotency_key not in self._answers:
            payment = self._payment(payment_id)
            if payment.status != PaymentStatus.AUTHORIZED:
                raise PaymentStateError(payment.status)
            self._answers[idempotency_key] = self._set(payment, status=PaymentStatus.VOIDED)
        self.faults.answered("void")
        return self._answers[idempotency_key]

    async def refund(self, payment_id: str, amount_minor: int, idempotency_key: str) -> Payment:
        self.faults.called("refund", idempotency_key, payment_id, amount_minor)
        if idempotency_key not in self._answers:
            payment = self._payment(payment_id)
            if payment.status not in (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED) \
                    or amount_minor > payment.refundable_minor:
                raise PaymentStateError(payment.status)
            refunded = payment.refunded_minor + amount_minor
            status = PaymentStatus.REFUNDED if refunded == payment.captured_minor else PaymentStatus.PARTIALLY_REFUNDED
            self._answers[idempotency_key] = self._set(payment, status=status, refunded_minor=refunded)
        self.faults.answered("refund")
        return self._answers[idempotency_key]

    async def payment(self, payment_id: str) -> Payment:
        self.faults.called("payment", payment_id)
        return self._payment(payment_id)

    async def aclose(self) -> None:
        pass

    def _payment(self, payment_id: str) -> Payment:
        if payment_id not in self.payments:
            raise PaymentNotFound(payment_id)
        return self.payments[payment_id]

    def _set(self, payment: Payment, **values) -> Payment:
        payment = dataclasses.replace(payment, **values)
        self.payments[payment.payment_id] = payment
        return payment
