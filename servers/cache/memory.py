"""The in-process twin of the Redis cache, for the embedded default (one process)."""

from __future__ import annotations

import time
from datetime import date
from typing import Final

from servers.cache.base import CachedNight, CacheRow, cache_row

_VERSION: Final = 4  # in a CacheRow (Final: a literal index, so the row's item type is known)
_tuple = tuple.__new__  # a CachedNight from a plain tuple, without the NamedTuple's Python __new__


class MemoryNightCache:
    """Nights kept per room type, by date: writing a room type's year through is one dict lookup and a
    loop, with no key text built per night (the Redis cache's keys only name the same thing)."""

    def __init__(self, prefix: str = "", ttl_seconds: int = 300) -> None:
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds
        # (hotel_id, room_type_code) → night → (expires at, CacheRow). Plain tuples of atomic values: the
        # garbage collector stops tracking them, so a million cached nights add nothing to its collections.
        self._rooms: dict[tuple[str, str], dict[date, tuple[float, CacheRow]]] = {}
        self._changes: dict[str, int] = {}

    async def put_nights(self, hotel_id: str, room_type_code: str, nights: list[tuple[date, CachedNight]]) -> None:
        await self.put_rows(hotel_id, room_type_code, [cache_row(night, value) for night, value in nights])

    async def put_rows(self, hotel_id: str, room_type_code: str, rows: list[CacheRow]) -> None:
        now = time.monotonic()
        expires = now + self.ttl_seconds
        room = self._rooms.setdefault((hotel_id, room_type_code), {})
        if not room:  # a first load: nothing to compare with, unless a night comes twice
            fresh = {row[0]: (expires, row) for row in rows}
            if len(fresh) == len(rows):
                room.update(fresh)
                return
        for row in rows:
            current = room.get(row[0])
            # An older version never replaces a newer one while that one lives.
            if current is None or current[0] <= now or row[_VERSION] > current[1][_VERSION]:
                room[row[0]] = (expires, row)

    async def get_nights(self, keys: list[tuple[str, date, str]]) -> list[CachedNight | None]:
        now = time.monotonic()
        return [self._live(h, d, c, now) for h, d, c in keys]

    def _live(self, hotel_id: str, night: date, room_type_code: str, now: float) -> CachedNight | None:
        room = self._rooms.get((hotel_id, room_type_code))
        if room is None:
            return None
        entry = room.get(night)
        if entry is None:
            return None
        if entry[0] <= now:
            del room[night]
            return None
        row = entry[1]
        return _tuple(CachedNight, (row[1], row[2], row[3], row[4], row[5:10]))

    async def changed(self, hotel_id: str) -> None:
        self._changes[hotel_id] = self._changes.get(hotel_id, 0) + 1

    async def change_counts(self, hotel_ids: list[str]) -> list[int]:
        return [self._changes.get(h, 0) for h in hotel_ids]

    async def close(self) -> None:
        self._rooms.clear()
