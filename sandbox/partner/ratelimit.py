"""The partner's rate limit: `requests_per_minute` per property over a sliding 60 s window."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 60.0


class RateLimiter:
    """Counts the requests it admits; a refused one does not count, so a client that waits the
    Retry-After it was given gets in."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute  # 0: no limit
        self._clock = clock
        self._windows: dict[str, deque[float]] = {}

    def admit(self, property_code: str) -> int | None:
        """None when admitted; otherwise the whole seconds (at least 1) until a slot frees up."""
        now = self._clock()
        window = self._windows.setdefault(property_code, deque())
        while window and window[0] <= now - WINDOW_SECONDS:
            window.popleft()
        if self.per_minute and len(window) >= self.per_minute:
            return max(1, math.ceil(window[0] + WINDOW_SECONDS - now))
        window.append(now)
        return None

    def clear(self) -> None:
        self._windows.clear()
