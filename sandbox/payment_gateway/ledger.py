"""The gateway's in-memory truth: payments, the state machine that moves them, and the money totals.

Every operation is synchronous and never awaits, so on one event loop each runs atomically: two
captures of one payment cannot both see it `authorized`.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable

from .model import (
    AUTHORIZED,
    CAPTURED,
    EXPIRED,
    PARTIALLY_REFUNDED,
    REFUNDABLE,
    REFUNDED,
    STATUSES,
    VOIDED,
    Payment,
    PaymentError,
)
from .validation import AuthorizeRequest

SEVEN_DAYS = 7 * 24 * 3600.0


class Ledger:
    def __init__(self, clock: Callable[[], float] = time.time, authorization_ttl: float = SEVEN_DAYS) -> None:
        self.clock = clock
        self.authorization_ttl = authorization_ttl
        self.payments: dict[str, Payment] = {}
        self.declines: Counter[str] = Counter()
        # Per currency: minor units authorized, captured and refunded, ever (what /admin/stats sums).
        self.totals: dict[str, Counter[str]] = defaultdict(Counter)

    def authorize(self, request: AuthorizeRequest) -> Payment:
        card = request.card
        if card.processing_error:
            raise PaymentError("processing_error", "the card network failed (test card tok_processing_error)")
        if card.decline:
            self.declines[card.decline] += 1
            raise PaymentError(card.decline, f"the card was refused ({card.token})")
        now = self.clock()
        payment = Payment(
            payment_id=f"pay_{uuid.uuid4().hex[:24]}", token=card.token,
            amount_minor=request.amount_minor, currency=request.currency, description=request.description,
            created_at=now, expires_at=now + self.authorization_ttl,
            capture_failures_left=card.capture_failures,
        )
        self.payments[payment.payment_id] = payment
        self.totals[payment.currency]["authorized_minor"] += payment.amount_minor
        return payment

    def capture(self, payment_id: str, amount_minor: int | None) -> Payment:
        payment = self._in(payment_id, (AUTHORIZED,))
        amount_minor = payment.amount_minor if amount_minor is None else amount_minor
        _at_most(amount_minor, payment.amount_minor)
        if payment.capture_failures_left:
            # Checked after the request is known to be valid, so only real attempts use one up.
            payment.capture_failures_left -= 1
            raise PaymentError("processing_error", "capture failed at the card network (tok_capture_fails)")
        payment.status, payment.captured_minor = CAPTURED, amount_minor
        self.totals[payment.currency]["captured_minor"] += amount_minor
        return payment

    def void(self, payment_id: str) -> Payment:
        payment = self._in(payment_id, (AUTHORIZED,))
        payment.status = VOIDED
        return payment

    def refund(self, payment_id: str, amount_minor: int | None) -> Payment:
        payment = self._in(payment_id, REFUNDABLE)
        amount_minor = payment.refundable_minor if amount_minor is None else amount_minor
        _at_most(amount_minor, payment.refundable_minor)
        payment.refunded_minor += amount_minor
        payment.status = REFUNDED if payment.refundable_minor == 0 else PARTIALLY_REFUNDED
        self.totals[payment.currency]["refunded_minor"] += amount_minor
        return payment

    def payment(self, payment_id: str) -> Payment:
        payment = self.payments.get(payment_id)
        if payment is None:
            raise PaymentError("unknown_payment", f"no payment {payment_id}", payment_id=payment_id)
        # Lapsed on access: nobody can act on an authorization between its expiry and a sweep.
        if payment.status == AUTHORIZED and self.clock() >= payment.expires_at:
            payment.status = EXPIRED
        return payment

    def stats(self) -> dict:
        by_status = Counter(self.payment(pid).status for pid in list(self.payments))
        return {
            "payments": {status: by_status[status] for status in STATUSES},
            "totals": {currency: {k: totals[k] for k in ("authorized_minor", "captured_minor", "refunded_minor")}
                       for currency, totals in sorted(self.totals.items())},
            "declines": dict(self.declines),
        }

    def _in(self, payment_id: str, allowed: tuple[str, ...]) -> Payment:
        payment = self.payment(payment_id)
        if payment.status not in allowed:
            raise PaymentError("invalid_state", f"payment {payment_id} is {payment.status}",
                               status=payment.status, payment_id=payment_id)
        return payment


def _at_most(amount_minor: int, max_minor: int) -> None:
    if amount_minor > max_minor:
        raise PaymentError("amount_too_large", f"amount_minor: at most {max_minor}",
                           field="amount_minor", max_minor=max_minor)
