"""The in-process twin of the Redis cache, for the embedded default (one process)."""

from __future__ import annotations

import time
from datetime import date

from servers.cache.base import CachedNight, night_key


class MemoryNightCache:
    def __init__(self, prefix: str = "", ttl_seconds: int = 300) -> None:
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds
        self._entries: dict[str, tuple[float, CachedNight]] = {}
        self._changes: dict[str, int] = {}

    async def put_nights(self, hotel_id: str, room_type_code: str, nights: list[tuple[date, CachedNight]]) -> None:
        now = time.monotonic()
        for night, value in nights:
            key = night_key(self.prefix, hotel_id, night, room_type_code)
            current = self._live(key, now)
            if current is None or value.version > current.version:
                self._entries[key] = (now + self.ttl_seconds, value)

    async def get_nights(self, keys: list[tuple[str, date, str]]) -> list[CachedNight | None]:
        now = time.monotonic()
        return [self._live(night_key(self.prefix, h, d, c), now) for h, d, c in keys]

    def _live(self, key: str, now: float) -> CachedNight | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= now:
            del self._entries[key]
            return None
        return entry[1]

    async def changed(self, hotel_id: str) -> None:
        self._changes[hotel_id] = self._changes.get(hotel_id, 0) + 1

    async def change_counts(self, hotel_ids: list[str]) -> list[int]:
        return [self._changes.get(h, 0) for h in hotel_ids]

    async def close(self) -> None:
        self._entries.clear()
