"""The reasons any service answers with: bad input, idempotency, credentials, locks, optimistic concurrency.

A reason is the ErrorInfo.reason clients match on (ARCHITECTURE §7), so it never changes once sent. Every
registry (this one, servers/hotel/reasons.py for the reasons that cross a service boundary, and one per
service) is a StrEnum: a member is the very string on the wire, and code matches it by member (`is`, `in`),
never by a literal. One wire value lives in one registry only (tests/unit/test_reasons.py).
"""

from __future__ import annotations

import enum
from typing import TypeVar

E = TypeVar("E", bound=enum.StrEnum)


class ApiReason(enum.StrEnum):
    INVALID_FIELD = "INVALID_FIELD"
    INTERNAL = "INTERNAL"
    # credentials (runtime/credentials.py, partner/auth.py)
    CREDENTIALS_REQUIRED = "CREDENTIALS_REQUIRED"
    BAD_CREDENTIALS = "BAD_CREDENTIALS"
    SERVICE_ONLY = "SERVICE_ONLY"
    NOT_BOOKING_OWNER = "NOT_BOOKING_OWNER"
    # idempotency (rule §5.3)
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    REQUEST_IN_PROGRESS = "REQUEST_IN_PROGRESS"
    # contention and optimistic concurrency
    LOCK_BUSY = "LOCK_BUSY"
    ETAG_MISMATCH = "ETAG_MISMATCH"
    CONCURRENT_UPDATE = "CONCURRENT_UPDATE"


def parse(registry: type[E], reason: str) -> E | str:
    """A reason read back from the wire, as its member of the registry; one the registry does not know
    (a newer server's, or none at all) stays the string it came as, so it still relays unchanged."""
    try:
        return registry(reason)
    except ValueError:
        return reason
