"""Idempotency keys (ARCHITECTURE §5.3): same key and request → the stored response.

The key, the state change and the stored response share one transaction: a crash leaves either
all of them or none, so a retry after a crash simply runs again. A concurrent duplicate is told at
once (ABORTED, REQUEST_IN_PROGRESS) instead of queueing behind the first: on PostgreSQL a
transaction-scoped advisory lock on the key says whether another transaction is working on it
(across every replica); on SQLite, the one process keeps the keys in flight itself. A rejected
request stores nothing, so the key may be used again once the client has fixed the request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import TypeVar

from google.protobuf.message import Message
from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from servers.runtime.errors import ApiError, aborted, failed_precondition, invalid
from servers.storage.database import Database, UnitOfWork
from servers.storage.tables import idempotency_keys as keys

R = TypeVar("R", bound=Message)

MAX_KEY_LENGTH = 128
_INSERT = insert(keys)


def request_hash(request: Message) -> str:
    copy = type(request)()
    copy.CopyFrom(request)
    copy.ClearField("request_id")
    return hashlib.sha256(copy.SerializeToString(deterministic=True)).hexdigest()


def _check_key(key: str) -> None:
    if not key:
        raise invalid("request_id", "required: an idempotency key, e.g. a UUID")
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise invalid("request_id", f"at most {MAX_KEY_LENGTH} printable characters")


class Idempotency:
    def __init__(self, db: Database, ttl: timedelta = timedelta(hours=24)) -> None:
        self.db = db
        self.ttl = ttl
        self._in_flight: set[tuple[str, str]] = set()

    async def run(
        self,
        scope: str,
        request: Message,
        response_type: type[R],
        work: Callable[[UnitOfWork], Awaitable[R]],
    ) -> R:
        """Runs `work` once per (scope, request.request_id), in the transaction that stores its answer.

        `work` must not commit; its changes commit together with the stored response.
        """
        key = request.request_id  # type: ignore[attr-defined]
        _check_key(key)
        digest = request_hash(request)
        if (scope, key) in self._in_flight:
            raise _in_progress(key)
        self._in_flight.add((scope, key))
        try:
            async with self.db.unit_of_work() as uow:
                stored = await _claim(uow, scope, key, digest)
                if stored is not None:
                    return response_type.FromString(stored)
                response = await work(uow)
                await self._store(uow, scope, key, digest, response)
                await uow.commit()
                return response
        finally:
            self._in_flight.discard((scope, key))

    async def _store(self, uow: UnitOfWork, scope: str, key: str, digest: str, response: Message) -> None:
        now = datetime.now(timezone.utc)
        try:
            await uow.connection.execute(_INSERT, dict(
                scope=scope, key=key, request_hash=digest, status="done",
                response=response.SerializeToString(deterministic=True),
                locked_until=now, created_at=now, expires_at=now + self.ttl,
            ))
        except IntegrityError:
            # Another replica finished the same key first (possible only without the advisory lock).
            raise _in_progress(key) from None

    async def purge_expired(self) -> int:
        async with self.db.unit_of_work() as uow:
            result = await uow.connection.execute(
                delete(keys).where(keys.c.expires_at < datetime.now(timezone.utc))
            )
            await uow.commit()
            return result.rowcount


# Whether another transaction holds the key (PostgreSQL only), and what was stored under it: one round trip.
_LOCK_AND_READ = select(
    func.pg_try_advisory_xact_lock(func.hashtextextended(bindparam("lock_name"), 0)).label("locked"),
    select(keys.c.request_hash).where(keys.c.scope == bindparam("scope"), keys.c.key == bindparam("key"))
    .scalar_subquery().label("request_hash"),
    select(keys.c.response).where(keys.c.scope == bindparam("scope"), keys.c.key == bindparam("key"))
    .scalar_subquery().label("response"),
)
_READ = select(keys.c.request_hash, keys.c.response).where(
    keys.c.scope == bindparam("scope"), keys.c.key == bindparam("key"))


async def _claim(uow: UnitOfWork, scope: str, key: str, digest: str) -> bytes | None:
    """Takes the key for this transaction; returns the stored response if the key was done before."""
    if uow.is_sqlite:
        row = (await uow.connection.execute(_READ, {"scope": scope, "key": key})).first()
    else:
        # Keys are printable, so a newline cannot occur in one: scope and key stay apart.
        params = {"lock_name": f"{scope}\n{key}", "scope": scope, "key": key}
        row = (await uow.connection.execute(_LOCK_AND_READ, params)).one()
        if not row.locked:
            raise _in_progress(key)
        if row.request_hash is None:
            return None
    if row is None:
        return None
    if row.request_hash != digest:
        raise failed_precondition(
            "IDEMPOTENCY_KEY_REUSED", "this request_id was used for a different request", request_id=key
        )
    return row.response


def _in_progress(key: str) -> ApiError:
    return aborted("REQUEST_IN_PROGRESS", "a request with this request_id is in progress", request_id=key)
