"""The search cache (ARCHITECTURE §6): Redis, or its in-process twin in embedded mode."""

from servers.cache.base import CachedNight, NightCache, night_key
from servers.cache.memory import MemoryNightCache


def night_cache(redis_url: str | None, prefix: str = "", ttl_seconds: int = 300) -> NightCache:
    if not redis_url:
        return MemoryNightCache(prefix, ttl_seconds)
    from servers.cache.redis_cache import RedisNightCache

    return RedisNightCache.from_url(redis_url, prefix, ttl_seconds)


__all__ = ["CachedNight", "NightCache", "MemoryNightCache", "night_cache", "night_key"]
