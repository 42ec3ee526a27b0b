"""Idempotency keys (ARCHITECTURE §5.3): same key and request → the stored response.

A call first claims its key in a short transaction of its own, so a concurrent duplicate sees the
claim at once (ABORTED, REQUEST_IN_PROGRESS) instead of waiting. The response is stored in the
same transaction as the state change it reports, so a crash can never leave a change without its
response. A claim whose owner died is taken over once `locked_until` passes; a rejected request
drops its claim, so the key may be used again once the client has fixed the request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import TypeVar

from google.protobuf.message import Message
from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from servers.runtime.errors import ApiError, aborted, failed_precondition, invalid
from servers.storage.database import Database, UnitOfWork
from servers.storage.tables import idempotency_keys as keys

R = TypeVar("R", bound=Message)

CLAIM_SECONDS = 60
MAX_KEY_LENGTH = 128


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

    async def run(
        self,
        scope: str,
        request: Message,
        response_type: type[R],
        work: Callable[[UnitOfWork], Awaitable[R]],
    ) -> R:
        """Runs `work` once per (scope, request.request_id); `work` must not commit."""
        key = request.request_id  # type: ignore[attr-defined]
        _check_key(key)
        digest = request_hash(request)
        stored = await self._claim(scope, key, digest)
        if stored is not None:
            return response_type.FromString(stored)
        try:
            async with self.db.unit_of_work() as uow:
                response = await work(uow)
                await self._complete(uow, scope, key, response)
                await uow.commit()
            return response
        except BaseException:
            await self._drop_claim(scope, key)
            raise

    async def _claim(self, scope: str, key: str, digest: str) -> bytes | None:
        now = datetime.now(timezone.utc)
        async with self.db.unit_of_work() as uow:
            row = (
                await uow.connection.execute(
                    uow.for_update(select(keys).where(keys.c.scope == scope, keys.c.key == key))
                )
            ).one_or_none()
            if row is None:
                try:
                    await uow.connection.execute(
                        insert(keys).values(
                            scope=scope,
                            key=key,
                            request_hash=digest,
                            status="in_progress",
                            locked_until=now + timedelta(seconds=CLAIM_SECONDS),
                            created_at=now,
                            expires_at=now + self.ttl,
                        )
                    )
                    await uow.commit()
                except IntegrityError:
                    raise _in_progress(key) from None
                return None
            if row.request_hash != digest:
                raise failed_precondition(
                    "IDEMPOTENCY_KEY_REUSED",
                    "this request_id was used for a different request",
                    request_id=key,
                )
            if row.status == "done":
                return row.response
            if row.locked_until > now:
                raise _in_progress(key)
            # The owner died mid-call: take the claim over.
            await uow.connection.execute(
                update(keys)
                .where(keys.c.scope == scope, keys.c.key == key)
                .values(locked_until=now + timedelta(seconds=CLAIM_SECONDS))
            )
            await uow.commit()
            return None

    async def _complete(self, uow: UnitOfWork, scope: str, key: str, response: Message) -> None:
        await uow.connection.execute(
            update(keys)
            .where(keys.c.scope == scope, keys.c.key == key)
            .values(status="done", response=response.SerializeToString(deterministic=True))
        )

    async def _drop_claim(self, scope: str, key: str) -> None:
        async with self.db.unit_of_work() as uow:
            await uow.connection.execute(
                delete(keys).where(
                    and_(keys.c.scope == scope, keys.c.key == key, keys.c.status == "in_progress")
                )
            )
            await uow.commit()

    async def purge_expired(self) -> int:
        async with self.db.unit_of_work() as uow:
            result = await uow.connection.execute(
                delete(keys).where(keys.c.expires_at < datetime.now(timezone.utc))
            )
            await uow.commit()
            return result.rowcount


def _in_progress(key: str) -> ApiError:
    return aborted("REQUEST_IN_PROGRESS", "a request with this request_id is in progress", request_id=key)
