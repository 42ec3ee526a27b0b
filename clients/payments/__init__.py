"""Payment providers: typed payments, the errors booking maps to gRPC, and the HTTP gateway client.

Import from here: `from clients.payments import HttpPaymentProvider, PaymentDeclined, PaymentUnavailable`.
"""

from clients.payments.base import (
    IdempotencyKeyReused,
    Payment,
    PaymentDeclined,
    PaymentError,
    PaymentInProgress,
    PaymentNotFound,
    PaymentProvider,
    PaymentStateError,
    PaymentStatus,
    PaymentUnavailable,
)
from clients.payments.http import HttpPaymentProvider, parse_payment

__all__ = [
    "HttpPaymentProvider",
    "IdempotencyKeyReused",
    "Payment",
    "PaymentDeclined",
    "PaymentError",
    "PaymentInProgress",
    "PaymentNotFound",
    "PaymentProvider",
    "PaymentStateError",
    "PaymentStatus",
    "PaymentUnavailable",
    "parse_payment",
]
