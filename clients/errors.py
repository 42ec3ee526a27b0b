"""What every client of an outside service (channel manager, payment gateway) raises when no usable
answer came back. Each client subclasses it, so callers still catch that client's own type."""

from __future__ import annotations


class ServiceUnavailable(Exception):
    """No usable answer: 5xx, timeout, connection error, or our breaker is open.

    `retry_after` is in seconds, ready for ApiError(Code.UNAVAILABLE, ..., retry_after_seconds=...).
    `maybe_done` is False only when the call surely did nothing: never sent (breaker open, no
    connection), or answered 5xx/429 (the protocols promise those changed nothing). A timeout or a
    connection lost mid-call may have done it all: only asking again under its key tells.
    """

    def __init__(self, message: str, retry_after: float = 1.0, breaker_open: bool = False,
                 maybe_done: bool = True) -> None:
        self.retry_after = retry_after
        self.breaker_open = breaker_open
        self.maybe_done = maybe_done and not breaker_open
        super().__init__(message)
