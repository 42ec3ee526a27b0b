"""What every client of an outside service (channel manager, payment gateway) raises when no usable
answer came back. Each client subclasses it, so callers still catch that client's own type."""

from __future__ import annotations


class ServiceUnavailable(Exception):
    """No usable answer: 5xx, timeout, connection error, or our breaker is open.

    `retry_after` is in seconds, ready for ApiError(Code.UNAVAILABLE, ..., retry_after_seconds=...).
    """

    def __init__(self, message: str, retry_after: float = 1.0, breaker_open: bool = False) -> None:
        self.retry_after = retry_after
        self.breaker_open = breaker_open
        super().__init__(message)
