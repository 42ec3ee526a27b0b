"""Leases: which copy of a periodic job (or which poller, for one hotel) does the work right now.

Several replicas run the same jobs; each round first asks for its lease by name ("booking-expiry",
"channel-poller:<hotel id>") and does nothing when another copy holds it. Waiting is never asked for:
a copy that does not get the lease skips this round and asks again at its next tick.

On PostgreSQL a lease is a session-level advisory lock (`pg_try_advisory_lock`) on a connection of its
own, kept open while the holder works and unlocked after. A holder that dies takes its lock with it: its
connection closes with its process (kill -9 included, the kernel closes the socket and the backend, idle
in its read, ends at once), or, when its host or network vanishes instead, the server's keepalive probes
(set below for these sessions only) end the backend within KEEPALIVE_BOUND_SECONDS. Nothing to expire,
renew or clean up, and no clock shared between hosts. SQLite is one process: an asyncio lock per name.

A lease keeps copies from doing the same round at once; it is not what keeps a round correct. A holder
cut off mid-round (its lease connection terminated) may finish that round while another takes the lease,
so every job's writes stay guarded transitions (servers/booking/jobs.py, the poller's cursor, SKIP LOCKED).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol, TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

log = logging.getLogger("hotelagg.leases")

T = TypeVar("T")

# Server-side keepalive for lease sessions: idle 5 s, then 3 probes 1 s apart. A holder whose host died
# without closing its socket loses its leases within ~8 s; its process dying frees them at once.
KEEPALIVE_IDLE_SECONDS = 5
KEEPALIVE_INTERVAL_SECONDS = 1
KEEPALIVE_COUNT = 3
KEEPALIVE_BOUND_SECONDS = KEEPALIVE_IDLE_SECONDS + KEEPALIVE_INTERVAL_SECONDS * KEEPALIVE_COUNT

# One lock space with the idempotency keys' advisory locks (storage/idempotency.py): the prefix keeps a
# lease's name from ever hashing as a key does.
_KEY = "hashtextextended('lease' || E'\\n' || :name, 0)"


class Leases(Protocol):
    def hold(self, name: str) -> AbstractAsyncContextManager[bool]:
        """Tries for the lease `name`: yields True when held (until the block ends), False when another holds it."""
        ...

    async def close(self) -> None: ...


class LocalLeases:
    """One process's leases (SQLite, the embedded default): a lock per name, tried and never waited for."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[bool]:
        lock = self._locks.setdefault(name, asyncio.Lock())
        if lock.locked():
            yield False
            return
        async with lock:
            yield True

    async def close(self) -> None:
        self._locks.clear()


class AdvisoryLeases:
    """Leases across every process on one PostgreSQL database: session advisory locks, one connection each
    while held. The connections come from a small pool of their own, so a lease never waits behind the
    work it guards for a connection (nor the work behind leases)."""

    def __init__(self, url: str, pool_size: int = 2, max_overflow: int = 10) -> None:
        options = (f"-c tcp_keepalives_idle={KEEPALIVE_IDLE_SECONDS} "
                   f"-c tcp_keepalives_interval={KEEPALIVE_INTERVAL_SECONDS} "
                   f"-c tcp_keepalives_count={KEEPALIVE_COUNT}")
        # The client probes the same way: a holder cut off from the server gets an error, not a hang, at unlock.
        self.engine = create_async_engine(url, pool_size=pool_size, max_overflow=max_overflow, pool_recycle=1800,
                                          pool_pre_ping=True,
                                          connect_args={"options": options, "keepalives": 1,
                                                        "keepalives_idle": KEEPALIVE_IDLE_SECONDS,
                                                        "keepalives_interval": KEEPALIVE_INTERVAL_SECONDS,
                                                        "keepalives_count": KEEPALIVE_COUNT})

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[bool]:
        async with self.engine.connect() as conn:
            try:
                held = bool(await conn.scalar(text(f"SELECT pg_try_advisory_lock({_KEY})"), {"name": name}))
                await conn.commit()  # a session lock outlives the transaction; the session is left idle, not in one
            except BaseException:
                # Cut short (cancelled, or the server went away) the lock may be had without our knowing:
                # the connection is dropped rather than pooled, and the lock with it.
                await conn.invalidate()
                raise
            try:
                yield held
            finally:
                if held:
                    await _unlock(conn, name)

    async def close(self) -> None:
        await self.engine.dispose()


async def _unlock(conn: AsyncConnection, name: str) -> None:
    try:
        still_held = await conn.scalar(text(f"SELECT pg_advisory_unlock({_KEY})"), {"name": name})
        await conn.commit()
    except asyncio.CancelledError:
        # Cancelled mid-unlock: the connection may be left mid-statement; dropping it frees the lock.
        await conn.invalidate()
        raise
    except Exception:  # noqa: BLE001 - the connection is gone, and the lock with it: nothing left to free
        log.warning("lease connection lost while held; another copy may have taken over", extra={"lease": name})
        return
    if not still_held:
        log.warning("lease was no longer held at its end", extra={"lease": name})


def create_leases(database_url: str) -> Leases:
    """Advisory leases on PostgreSQL; in-process ones on SQLite (one process by construction)."""
    return LocalLeases() if database_url.startswith("sqlite") else AdvisoryLeases(database_url)


def leased(leases: Leases, name: str, job: Callable[[], Awaitable[T]]) -> Callable[[], Awaitable[T | None]]:
    """The job, run only by the copy holding its lease; the others skip the round (None) and try next tick."""

    async def run_if_leased() -> T | None:
        async with leases.hold(name) as held:
            if not held:
                log.debug("another copy holds the job's lease; skipping this round", extra={"job": name})
                return None
            return await job()

    return run_if_leased
