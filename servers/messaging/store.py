"""The outbox table as a queue: claim due rows under a lease, then settle them.

A claimed row stays `pending` with `available_at` pushed past the lease and `attempts` + 1; the
(id, attempts) pair is the claim's fencing token, so a worker whose lease ran out (and whose row was
claimed again) cannot settle it twice. A worker that dies mid-handler loses its lease: the row is due
again once it expires.

PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED lets many workers and processes claim side by side.
SQLite: the unit of work begins IMMEDIATE, which serializes claimers (one writer at a time).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from servers.messaging.bus import Outcome
from servers.messaging.outbox import Message, utcnow
from servers.storage.database import Database
from servers.storage.purge import purge
from servers.storage.tables import outbox

PENDING, PUBLISHED, PARKED = "pending", "published", "parked"

_COLUMNS = (
    outbox.c.id, outbox.c.topic, outbox.c.message_key, outbox.c.payload, outbox.c.attempts, outbox.c.last_error
)


def _due_query(limit: int, topics: Sequence[str] | None, heads_only: bool):
    now = utcnow()
    query = select(*_COLUMNS).where(outbox.c.status == PENDING, outbox.c.available_at <= now)
    if topics is not None:
        query = query.where(outbox.c.topic.in_(topics))
    if heads_only:
        # Per-key order: only the oldest unfinished message of a (topic, key) may run. A leased or
        # retry-scheduled predecessor is still pending, so it holds back the ones behind it.
        earlier = outbox.alias("earlier")
        query = query.where(~exists().where(
            earlier.c.topic == outbox.c.topic,
            earlier.c.message_key == outbox.c.message_key,
            earlier.c.status == PENDING,
            earlier.c.id < outbox.c.id,
        ))
    return query.order_by(outbox.c.id).limit(limit)


async def claim(
    db: Database,
    *,
    limit: int,
    lease_seconds: float,
    topics: Sequence[str] | None = None,
    heads_only: bool = False,
) -> list[Message]:
    """Leases up to `limit` due rows (oldest first) in one short transaction; attempt = attempts + 1."""
    if limit <= 0 or (topics is not None and not topics):
        return []
    if db.is_sqlite and not await _any_due(db, topics):
        return []  # an idle poll must not take SQLite's one write lock from the API's transactions
    async with db.unit_of_work() as uow:
        query = _due_query(limit, topics, heads_only)
        if not uow.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        rows = (await uow.connection.execute(query)).all()
        if rows:
            await uow.connection.execute(
                update(outbox)
                .where(outbox.c.id.in_([row.id for row in rows]))
                .values(attempts=outbox.c.attempts + 1, available_at=utcnow() + timedelta(seconds=lease_seconds))
            )
        await uow.commit()
    return [
        Message(row.id, row.topic, row.message_key, row.payload, row.attempts + 1, row.last_error) for row in rows
    ]


async def _any_due(db: Database, topics: Sequence[str] | None) -> bool:
    query = select(outbox.c.id).where(outbox.c.status == PENDING, outbox.c.available_at <= utcnow())
    if topics is not None:
        query = query.where(outbox.c.topic.in_(topics))
    async with _primary(db) as connection:
        return (await connection.execute(query.limit(1))).first() is not None


def _claimed(message: Message):
    return and_(outbox.c.id == message.id, outbox.c.status == PENDING, outbox.c.attempts == message.attempt)


def _outcome_values(outcome: Outcome) -> dict:
    now = utcnow()
    if outcome.action == "done":
        return {"status": PUBLISHED, "published_at": now, "last_error": None}
    if outcome.action == "retry":
        return {"available_at": now + timedelta(seconds=outcome.delay), "last_error": outcome.error}
    return {"status": PARKED, "last_error": outcome.error}


async def settle(db: Database, message: Message, outcome: Outcome) -> bool:
    """Records the outcome of a claimed delivery; False if the claim was lost (its lease ran out)."""
    async with db.unit_of_work() as uow:
        result = await uow.connection.execute(
            update(outbox).where(_claimed(message)).values(**_outcome_values(outcome))
        )
        await uow.commit()
    return result.rowcount == 1


async def extend_lease(db: Database, message: Message, lease_seconds: float) -> bool:
    async with db.unit_of_work() as uow:
        result = await uow.connection.execute(
            update(outbox)
            .where(_claimed(message))
            .values(available_at=utcnow() + timedelta(seconds=lease_seconds))
        )
        await uow.commit()
    return result.rowcount == 1


async def mark_published(db: Database, ids: Iterable[int]) -> None:
    ids = list(ids)
    if not ids:
        return
    async with db.unit_of_work() as uow:
        await uow.connection.execute(
            update(outbox)
            .where(outbox.c.id.in_(ids), outbox.c.status == PENDING)
            .values(status=PUBLISHED, published_at=utcnow(), last_error=None)
        )
        await uow.commit()


async def release(db: Database, failures: Sequence[tuple[int, str]], delay_seconds: float) -> None:
    """Makes rows whose publication failed due again after delay_seconds, with the reason."""
    if not failures:
        return
    available_at = utcnow() + timedelta(seconds=delay_seconds)
    async with db.unit_of_work() as uow:
        for message_id, error in failures:
            await uow.connection.execute(
                update(outbox)
                .where(outbox.c.id == message_id, outbox.c.status == PENDING)
                .values(available_at=available_at, last_error=error)
            )
        await uow.commit()


@asynccontextmanager
async def _primary(db: Database) -> AsyncIterator[AsyncConnection]:
    """Reads that must see the latest commits: never a lagging PostgreSQL replica."""
    if db.is_sqlite:
        async with db.reading() as connection:  # same file, and no write lock for a read
            yield connection
        return
    async with db.engine.connect() as connection:
        yield connection


async def count_pending(db: Database, topics: Sequence[str] | None = None) -> int:
    query = select(func.count()).select_from(outbox).where(outbox.c.status == PENDING)
    if topics is not None:
        query = query.where(outbox.c.topic.in_(topics))
    async with _primary(db) as connection:
        return int((await connection.execute(query)).scalar_one())


async def parked_rows(db: Database, topic: str, limit: int) -> list[Message]:
    query = (
        select(*_COLUMNS)
        .where(outbox.c.status == PARKED, outbox.c.topic == topic)
        .order_by(outbox.c.id)
        .limit(limit)
    )
    async with _primary(db) as connection:
        rows = (await connection.execute(query)).all()
    return [Message(r.id, r.topic, r.message_key, r.payload, r.attempts, r.last_error) for r in rows]


async def requeue_parked_rows(db: Database, topic: str) -> int:
    """Parked rows of a topic become due now with a fresh retry budget (last_error kept until success)."""
    async with db.unit_of_work() as uow:
        result = await uow.connection.execute(
            update(outbox)
            .where(outbox.c.status == PARKED, outbox.c.topic == topic)
            .values(status=PENDING, attempts=0, available_at=utcnow())
        )
        await uow.commit()
    return result.rowcount


async def purge_published(db: Database, older_than: timedelta, batch: int = 1000) -> int:
    """Deletes rows published longer ago than `older_than` (the housekeeping job); parked rows stay."""
    cutoff = utcnow() - older_than
    return await purge(db, outbox, and_(outbox.c.status == PUBLISHED, outbox.c.published_at < cutoff), batch)
