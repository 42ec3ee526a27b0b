"""Rate limits, as a generic cell rate algorithm (GCRA): slots `interval` seconds apart.

Outbound, partners allow few requests per property per minute (a sliding window at their side): we
space requests so no 60 s window ever holds more than they allow. Inbound, a partner may call us
`inbound_requests_per_minute` times, in a burst or spread. Redis holds the state when the services
run as many processes; the embedded default keeps it in the process.
"""

from __future__ import annotations

import abc
import time

import redis.asyncio as aioredis

# Room for clocks and networks to bunch requests up: no 60 s window can catch one request too many.
_MARGIN = 1.02

_ACQUIRE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local interval, cost, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - now - burst
if wait > 0 then return tostring(wait) end
local after = tat + cost * interval
redis.call('SET', KEYS[1], tostring(after), 'PX', math.ceil((after - now) * 1000) + 1000)
return '0'
"""


def spaced(per_minute: int, cost: int = 1) -> tuple[float, float]:
    """(interval, burst) so that requests sent `cost` at a time never exceed `per_minute` in any 60 s."""
    return 60.0 * _MARGIN / max(per_minute - cost + 1, 1), 0.0


def bursty(per_minute: int) -> tuple[float, float]:
    """(interval, burst): up to `per_minute` at once, then one every 60/per_minute seconds."""
    interval = 60.0 / per_minute
    return interval, 60.0 - interval


class RateLimiter(abc.ABC):
    @abc.abstractmethod
    async def acquire(self, key: str, interval: float, burst: float = 0.0, cost: int = 1) -> float:
        """Takes `cost` slots if they are free now; returns 0.0, or the seconds to wait (nothing taken)."""

    async def close(self) -> None:  # noqa: B027 - a default on purpose: the in-process limiter holds no connection
        """Releases connections."""


class MemoryRateLimiter(RateLimiter):
    def __init__(self) -> None:
        self._next: dict[str, float] = {}

    async def acquire(self, key: str, interval: float, burst: float = 0.0, cost: int = 1) -> float:
        now = time.monotonic()
        tat = max(self._next.get(key, now), now)
        wait = tat - now - burst
        if wait > 0:
            return wait
        self._next[key] = tat + cost * interval
        return 0.0


class RedisRateLimiter(RateLimiter):
    def __init__(self, client: aioredis.Redis, prefix: str = "") -> None:
        self._client = client
        self._prefix = prefix
        self._script = client.register_script(_ACQUIRE)

    async def acquire(self, key: str, interval: float, burst: float = 0.0, cost: int = 1) -> float:
        wait = await self._script(keys=[f"{self._prefix}rate:{key}"], args=[interval, cost, burst])
        return float(wait)

    async def close(self) -> None:
        await self._client.aclose()


def create_rate_limiter(redis_url: str | None, prefix: str = "") -> RateLimiter:
    if not redis_url:
        return MemoryRateLimiter()
    pool = aioredis.BlockingConnectionPool.from_url(redis_url, max_connections=50, timeout=10)
    return RedisRateLimiter(aioredis.Redis(connection_pool=pool), prefix)
