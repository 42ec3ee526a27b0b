"""The search cache on Redis: one EVALSHA writes a room type's nights, one MGET reads a page."""

from __future__ import annotations

from datetime import date

import redis.asyncio as aioredis

from servers.cache.base import CachedNight, CacheRow, cache_json, cache_row, night_key

# Writes each key only if its stored version is older, so a late write-through never
# replaces a newer count. KEYS: night keys; ARGV: ttl, then (version, json) per key.
_PUT_IF_NEWER = """
local ttl = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local version = tonumber(ARGV[2 * i])
  local current = redis.call('GET', key)
  local stored = -1
  if current then
    local ok, value = pcall(cjson.decode, current)
    if ok and value.version then stored = tonumber(value.version) end
  end
  if version > stored then redis.call('SET', key, ARGV[2 * i + 1], 'EX', ttl) end
end
return 0
"""


class RedisNightCache:
    def __init__(self, client: aioredis.Redis, prefix: str = "", ttl_seconds: int = 300) -> None:
        self.client = client
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds
        self._put = client.register_script(_PUT_IF_NEWER)

    @classmethod
    def from_url(cls, url: str, prefix: str = "", ttl_seconds: int = 300) -> RedisNightCache:
        return cls(aioredis.from_url(url), prefix, ttl_seconds)

    async def put_nights(self, hotel_id: str, room_type_code: str, nights: list[tuple[date, CachedNight]]) -> None:
        await self.put_rows(hotel_id, room_type_code, [cache_row(night, value) for night, value in nights])

    async def put_rows(self, hotel_id: str, room_type_code: str, rows: list[CacheRow]) -> None:
        """One EVALSHA for the room type's nights; the script keeps a newer version where Redis has one."""
        if not rows:
            return
        keys = [night_key(self.prefix, hotel_id, row[0], room_type_code) for row in rows]
        args: list[int | str] = [self.ttl_seconds]
        for row in rows:
            args.extend((row[4], cache_json(row[1], row[2], row[3], row[4], row[5:10])))
        await self._put(keys=keys, args=args)

    async def get_nights(self, keys: list[tuple[str, date, str]]) -> list[CachedNight | None]:
        if not keys:
            return []
        raw = await self.client.mget([night_key(self.prefix, h, d, c) for h, d, c in keys])
        return [None if value is None else CachedNight.from_json(value) for value in raw]

    def _change_key(self, hotel_id: str) -> str:
        return f"{self.prefix}hotel-changes:{hotel_id}"

    async def changed(self, hotel_id: str) -> None:
        await self.client.incr(self._change_key(hotel_id))

    async def change_counts(self, hotel_ids: list[str]) -> list[int]:
        if not hotel_ids:
            return []
        return [int(v or 0) for v in await self.client.mget([self._change_key(h) for h in hotel_ids])]

    async def close(self) -> None:
        await self.client.aclose()
