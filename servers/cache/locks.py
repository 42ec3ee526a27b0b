"""Locks that cut contention and serialize calls to a channel manager (ARCHITECTURE §5.1).

Correctness never rests on them (the database guards every count); they keep concurrent bookings
of the same room-nights from all calling the channel manager at once. Redis: SET NX PX with a
token, released by compare-and-delete, taken in sorted order so two callers never wait on each
other crosswise. Embedded: asyncio locks in the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from typing import Protocol

import redis.asyncio as aioredis

from servers.runtime.errors import ApiError, Code
from servers.runtime.reasons import ApiReason

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def busy(keys: list[str]) -> ApiError:
    return ApiError(Code.ABORTED, ApiReason.LOCK_BUSY, "these room-nights are being booked right now; try again",
                    {"lock": keys[0] if keys else ""}, retry_after_seconds=0.2)


class Locks(Protocol):
    def holding(self, keys: list[str], ttl_seconds: float,
                wait_seconds: float) -> contextlib.AbstractAsyncContextManager:
        ...


class MemoryLocks:
    """asyncio locks per key, kept while anyone holds or waits for them: a lock dropped while a woken
    waiter has not yet run would let a newcomer take a fresh lock for the same key beside it."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @contextlib.asynccontextmanager
    async def holding(self, keys: list[str], ttl_seconds: float = 30, wait_seconds: float = 5) -> AsyncIterator[None]:
        wanted = sorted(set(keys))
        for key in wanted:
            self._users[key] = self._users.get(key, 0) + 1
        taken: list[asyncio.Lock] = []
        try:
            async with asyncio.timeout(wait_seconds):
                for key in wanted:
                    lock = self._locks.setdefault(key, asyncio.Lock())
                    await lock.acquire()
                    taken.append(lock)
        except TimeoutError:
            self._let_go(wanted, taken)
            raise busy(keys) from None
        except BaseException:
            self._let_go(wanted, taken)
            raise
        try:
            yield
        finally:
            self._let_go(wanted, taken)

    def _let_go(self, wanted: list[str], taken: list[asyncio.Lock]) -> None:
        for lock in reversed(taken):
            lock.release()
        for key in wanted:
            self._users[key] -= 1
            if self._users[key] == 0:  # nobody holds or waits: the lock may go
                del self._users[key]
                del self._locks[key]


class RedisLocks:
    def __init__(self, client: aioredis.Redis, prefix: str = "") -> None:
        self.client = client
        self.prefix = prefix
        self._release = client.register_script(_RELEASE)

    @contextlib.asynccontextmanager
    async def holding(self, keys: list[str], ttl_seconds: float = 30, wait_seconds: float = 5) -> AsyncIterator[None]:
        token = uuid.uuid4().hex
        taken: list[str] = []
        deadline = time.monotonic() + wait_seconds
        try:
            for key in sorted(set(keys)):
                name = f"{self.prefix}lock:{key}"
                pause = 0.005
                while not await self.client.set(name, token, nx=True, px=int(ttl_seconds * 1000)):
                    if time.monotonic() >= deadline:
                        raise busy(keys)
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, 0.05)  # back off: many waiters must not flood Redis
                taken.append(name)
            yield
        finally:
            for name in reversed(taken):
                await self._release(keys=[name], args=[token])


def create_locks(redis_url: str | None, prefix: str = "") -> Locks:
    if not redis_url:
        return MemoryLocks()
    # Waiters queue for a connection instead of failing when many contend (the default pool raises).
    pool = aioredis.BlockingConnectionPool.from_url(redis_url, max_connections=200, timeout=10)
    return RedisLocks(aioredis.Redis(connection_pool=pool), prefix)
