"""Search results kept for a moment, for identical queries over hotels that did not change since.

A result is keyed by the query and by each candidate hotel's count of committed inventory changes
(read in the same round trip as the cache would be): any hold, booking, sync or update of one of its
hotels changes the key, so a kept result is never older than the last change it could show. The
short lifetime bounds what the key cannot see: time (ages, a mirror going stale).
"""

from __future__ import annotations

import time
from collections import OrderedDict

MAX_ENTRIES = 4096


class ResultMemo:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: OrderedDict[tuple, tuple[float, list, str]] = OrderedDict()

    def get(self, key: tuple) -> tuple[list | None, str]:
        entry = self._entries.get(key) if self.seconds else None
        if entry is None or time.monotonic() - entry[0] > self.seconds:
            return None, ""
        self._entries.move_to_end(key)
        return entry[1], entry[2]

    def put(self, key: tuple, page: list, token: str) -> None:
        if not self.seconds:
            return
        self._entries[key] = (time.monotonic(), page, token)
        self._entries.move_to_end(key)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)
