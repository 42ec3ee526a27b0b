"""Engines and the unit of work, on SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

log = logging.getLogger("hotelagg.storage")


def _sqlite_engine(url: str, *, immediate: bool) -> AsyncEngine:
    database = make_url(url).database
    if database and database != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(database)), exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, say when a transaction begins (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the write lock up front: a deferred transaction that reads, then writes,
        # can fail with SQLITE_BUSY instead of waiting its turn.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _postgres_engine(url: str, pool_size: int) -> AsyncEngine:
    # No pre-ping: it costs a round trip per transaction on the hot path. A dead pooled
    # connection fails its statement instead, and pool_recycle retires connections before
    # server or proxy idle timeouts cut them.
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)


class Database:
    """The primary (writes and consistent reads) and the engine searches read from."""

    def __init__(self, url: str, read_url: str | None = None, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine = _sqlite_engine(url, immediate=True)
            # WAL readers never wait for the writer, so reads get their own engine.
            self.read_engine = _sqlite_engine(read_url or url, immediate=False)
        else:
            self.engine = _postgres_engine(url, pool_size)
            self.read_engine = _postgres_engine(read_url, pool_size) if read_url else self.engine

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.is_sqlite)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction on the read engine (the replica, when there is one)."""
        async with self.read_engine.connect() as connection:
            async with connection.begin():
                yield connection

    @asynccontextmanager
    async def reading_primary(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction on the primary, ended by COMMIT: what was just written is seen, and
        (unlike a ROLLBACK) psycopg keeps its prepared statements."""
        async with self.engine.connect() as connection:
            async with connection.begin():
                yield connection

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


class UnitOfWork:
    """One write transaction that rolls back unless committed.

    async with db.unit_of_work() as uow:
        await uow.connection.execute(...)
        await uow.commit()
    """

    def __init__(self, engine: AsyncEngine, is_sqlite: bool) -> None:
        self._engine = engine
        self.is_sqlite = is_sqlite
        self._connection: AsyncConnection | None = None
        self._committed = False
        self._after_commit: list[Callable[[], Awaitable[None]]] = []

    @property
    def connection(self) -> AsyncConnection:
        if self._connection is None:
            raise RuntimeError("unit of work used outside 'async with'")
        return self._connection

    async def __aenter__(self) -> UnitOfWork:
        self._connection = await self._engine.connect()
        await self._connection.begin()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        connection, self._connection = self._connection, None
        try:
            if connection is not None and not self._committed and connection.in_transaction():
                await connection.rollback()
        finally:
            if connection is not None:
                await connection.close()

    async def commit(self) -> None:
        await self.connection.commit()
        self._committed = True
        hooks, self._after_commit = self._after_commit, []
        for hook in hooks:
            try:
                await hook()
            except Exception:  # noqa: BLE001 - the change is committed; a failed side effect must not undo the answer
                log.exception("after-commit hook failed")

    def after_commit(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Runs hook once the transaction is committed (never if it rolls back): cache writes, streams."""
        self._after_commit.append(hook)

    def for_update(self, statement: Any, of: Any = None) -> Any:
        """Locks the rows read (only those of table `of` in a join: locking the joined catalog rows
        would make every booking insert, which key-share-locks them, wait on us, and deadlock)."""
        # SQLite has no row locks: BEGIN IMMEDIATE already serializes writers.
        return statement if self.is_sqlite else statement.with_for_update(of=of)
