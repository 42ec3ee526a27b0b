"""The time the services read: one clock, passed in, so rules about holds, expiry and back-off can be
tested without waiting (a ManualClock) and production reads the system clock (SYSTEM_CLOCK)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class ManualClock:
    """A clock that moves only when told: unit tests of time rules."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)
        if self._now.tzinfo is None:
            raise ValueError("a clock tells aware times")

    def now(self) -> datetime:
        return self._now

    def advance(self, by: timedelta) -> datetime:
        self._now += by
        return self._now


SYSTEM_CLOCK: Clock = SystemClock()
