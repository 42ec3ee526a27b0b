"""Idempotency keys (ARCHITECTURE §5.3): same key and request → the stored response.

The key, the state change and the stored response share one transaction: a crash leaves either
all of them or none, so a retry after a crash simply runs again. A concurrent duplicate is told at
once (ABORTED, REQUEST_IN_PROGRESS) instead of queueing behind the first: on PostgreSQL a
transaction-scoped advisory lock on the key says whether another transaction is working on it
(across every replica); on SQLite, the one process keeps the keys in flight itself. A rejected
request stores nothing, so the key may be used again once the client has fixed the request.

RPCs that call out (`run_outside`) cannot hold a transaction open across the call, so they claim the
key first as an `in_progress` row with a lease; the claim is what refuses duplicates on every replica,
and a lapsed lease (its replica died) may be taken over.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, TypeVar

from google.protobuf.message import Message
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from servers.runtime.clock import SYSTEM_CLOCK, Clock
from servers.runtime.errors import ApiError, aborted, failed_precondition, invalid
from servers.runtime.reasons import ApiReason
from servers.storage.database import Database, UnitOfWork
from servers.storage.purge import purge
from servers.storage.tables import idempotency_keys as keys
from servers.storage.upsert import insert_on_conflict

log = logging.getLogger("hotelagg.idempotency")

R = TypeVar("R", bound=Message)

MAX_KEY_LENGTH = 128
_INSERT = insert(keys)


def request_hash(request: Message) -> str:
    """The request without its key, hashed. The key is taken out and put back in place (no await in
    between, so nothing sees it missing) instead of hashing a copy: copying a snapshot of thousands of
    nights cost as much as serializing it."""
    key = request.request_id  # type: ignore[attr-defined]
    request.ClearField("request_id")
    try:
        return hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest()
    finally:
        request.request_id = key  # type: ignore[attr-defined]


def _check_key(key: str) -> None:
    if not key:
        raise invalid("request_id", "required: an idempotency key, e.g. a UUID")
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise invalid("request_id", f"at most {MAX_KEY_LENGTH} printable characters")


@dataclass(frozen=True)
class Claim:
    """One request's key, taken for the transaction that will store its answer."""

    scope: str
    key: str
    digest: str


class Idempotency:
    def __init__(self, db: Database, ttl: timedelta = timedelta(hours=24),
                 lease: timedelta = timedelta(seconds=90), clock: Clock = SYSTEM_CLOCK) -> None:
        self.db = db
        self.ttl = ttl
        self.clock = clock  # when a key was stored, when it is forgotten, when a claim's lease ran out
        # How long work outside a transaction may hold its key before another caller may take it over:
        # longer than any such work runs (its lock waits and outside calls are bounded well below it).
        self.lease = lease
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
        claim = self.enter(scope, request)
        try:
            async with self.db.unit_of_work() as uow:
                stored = await self._stored(uow, claim, response_type)
                if stored is not None:
                    return stored
                response = await work(uow)
                await self.store_all(uow, [(claim, response)])
                await uow.commit()
                return response
        finally:
            self.leave(claim)

    async def run_outside(self, scope: str, request: Message, response_type: type[R],
                          work: Callable[[], Awaitable[R]],
                          final: Callable[[R], bool] = lambda response: True) -> R:
        """For work that calls out (payments, channel managers) and so cannot share one transaction.

        The key is claimed first, as an in-progress row with a lease, committed before the work starts,
        so a duplicate on any replica is refused while the work runs; the answer replaces the claim after
        the work. An answer that is not `final` (e.g. a confirm left waiting for the channel manager) is
        not kept: the claim goes, and a retry does the (state-guarded, repeatable) work again and sees how
        it ended. A claim whose owner died is taken over once its lease ran out.
        """
        claim = self.enter(scope, request)
        try:
            stored = await self._take(claim, response_type)
            if stored is not None:
                return stored
            try:
                response = await work()
            except BaseException:
                await self._let_go(claim)
                raise
            if final(response):
                await self._answer(claim, response)
            else:
                await self._let_go(claim)
            return response
        finally:
            self.leave(claim)

    async def _take(self, claim: Claim, response_type: type[R]) -> R | None:
        """Claims the key for work outside a transaction: None when this caller now holds it, the stored
        answer for a replay; raises for a key in progress elsewhere or reused for another request."""
        now = self.clock.now()
        values = dict(scope=claim.scope, key=claim.key, request_hash=claim.digest, status="in_progress",
                      response=None, locked_until=now + self.lease, created_at=now, expires_at=now + self.ttl)
        async with self.db.unit_of_work() as uow:
            taken = (await uow.connection.execute(
                insert_on_conflict(keys, uow.is_sqlite).values(**values).on_conflict_do_nothing()
                .returning(keys.c.key))).first()
            if taken is None:
                row = (await uow.connection.execute(uow.for_update(
                    select(keys).where(keys.c.scope == claim.scope, keys.c.key == claim.key)))).one()
                if row.expires_at <= now or (row.status == "in_progress" and row.locked_until <= now):
                    # Forgotten, or left by a process that died mid-work: this caller takes it over.
                    await uow.connection.execute(
                        update(keys).where(keys.c.scope == claim.scope, keys.c.key == claim.key).values(**values))
                elif row.request_hash != claim.digest:
                    raise _reused(claim.key)
                elif row.status == "done":
                    return response_type.FromString(row.response)
                else:
                    raise _in_progress(claim.key)
            await uow.commit()
        return None

    async def _answer(self, claim: Claim, response: Message) -> None:
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            await uow.connection.execute(
                update(keys).where(keys.c.scope == claim.scope, keys.c.key == claim.key)
                .values(status="done", response=response.SerializeToString(deterministic=True), locked_until=now,
                        expires_at=now + self.ttl))
            await uow.commit()

    async def _let_go(self, claim: Claim) -> None:
        """Drops this caller's claim so the key can be used again; if even that fails (the caller was
        cancelled, the database is down), the lease runs out instead."""
        try:
            async with self.db.unit_of_work() as uow:
                await uow.connection.execute(
                    delete(keys).where(keys.c.scope == claim.scope, keys.c.key == claim.key,
                                       keys.c.status == "in_progress", keys.c.request_hash == claim.digest))
                await uow.commit()
        except BaseException:  # noqa: BLE001 - cancelled or unreachable: the lease covers it
            log.warning("could not release an idempotency claim; its lease will",
                        extra={"scope": claim.scope, "request_id": claim.key})

    async def _stored(self, uow: UnitOfWork, claim: Claim, response_type: type[R]) -> R | None:
        """The answer stored under the key (a replay), None for a fresh key; raises for a reused one."""
        found = (await self.claim_all(uow, [claim]))[claim]
        if isinstance(found, ApiError):
            raise found
        return None if found is None else response_type.FromString(found)

    def enter(self, scope: str, request: Message) -> Claim:
        """Checks the key and marks it in flight in this process (a duplicate in flight: ABORTED)."""
        key = request.request_id  # type: ignore[attr-defined]
        _check_key(key)
        if (scope, key) in self._in_flight:
            raise _in_progress(key)
        self._in_flight.add((scope, key))
        return Claim(scope, key, request_hash(request))

    def leave(self, claim: Claim) -> None:
        self._in_flight.discard((claim.scope, claim.key))

    async def claim_all(self, uow: UnitOfWork, claims: list[Claim]) -> dict[Claim, bytes | ApiError | None]:
        """For each claim: None (run it), the stored response (replay it), or the error to answer."""
        if uow.is_sqlite:
            rows = await _read_keys(uow, claims)
        else:
            rows = await _lock_and_read_keys(uow, claims)
        now = self.clock.now()
        found: dict[Claim, bytes | ApiError | None] = {}
        forgotten: list[Claim] = []
        for claim in claims:
            row = rows.get((claim.scope, claim.key))
            if row is not None and row.locked is False:
                found[claim] = _in_progress(claim.key)
            elif row is not None and row.expires_at is not None and row.expires_at <= now:
                # Past its time, the key is forgotten even before the purge removes it: a fresh key.
                found[claim] = None
                forgotten.append(claim)
            elif row is None or row.request_hash is None:
                found[claim] = None
            elif row.request_hash != claim.digest:
                found[claim] = _reused(claim.key)
            else:
                found[claim] = row.response
        await _forget(uow, forgotten, now)
        return found

    async def store_all(self, uow: UnitOfWork, answered: list[tuple[Claim, Message]]) -> None:
        if not answered:
            return
        now = self.clock.now()
        rows = [dict(scope=c.scope, key=c.key, request_hash=c.digest, status="done",
                     response=r.SerializeToString(deterministic=True), locked_until=now, created_at=now,
                     expires_at=now + self.ttl) for c, r in answered]
        try:
            await uow.connection.execute(_INSERT, rows)
        except IntegrityError:
            # Another replica finished the same key first (possible only without the advisory lock).
            raise _in_progress(answered[0][0].key) from None

    async def purge_expired(self, batch: int = 1000) -> int:
        """Deletes keys past their time (the housekeeping job); claim_all already ignores them."""
        return await purge(self.db, keys, keys.c.expires_at < self.clock.now(), batch)


class _KeyRow(NamedTuple):
    locked: bool | None
    request_hash: str | None
    response: bytes | None
    expires_at: datetime | None


async def _forget(uow: UnitOfWork, claims: list[Claim], now: datetime) -> None:
    """Deletes expired keys about to be used again, so the new answer can take their place."""
    for scope in {c.scope for c in claims}:
        await uow.connection.execute(delete(keys).where(
            keys.c.scope == scope, keys.c.key.in_([c.key for c in claims if c.scope == scope]),
            keys.c.expires_at <= now))


# Takes every key's transaction-scoped advisory lock and reads what was stored under it, in one
# round trip. Keys are printable, so a newline cannot occur in one: scope and key stay apart.
_LOCK_AND_READ = text("""
    SELECT k.scope, k.name, pg_try_advisory_xact_lock(hashtextextended(k.scope || E'\\n' || k.name, 0)) AS locked,
           stored.request_hash, stored.response, stored.expires_at
    FROM unnest(CAST(:scopes AS text[]), CAST(:names AS text[])) AS k(scope, name)
    LEFT JOIN idempotency_keys AS stored ON stored.scope = k.scope AND stored.key = k.name
""")


async def _lock_and_read_keys(uow: UnitOfWork, claims: list[Claim]) -> dict[tuple[str, str], _KeyRow]:
    params = {"scopes": [c.scope for c in claims], "names": [c.key for c in claims]}
    result = await uow.connection.execute(_LOCK_AND_READ, params)
    return {(r.scope, r.name): _KeyRow(r.locked, r.request_hash, r.response, r.expires_at) for r in result}


async def _read_keys(uow: UnitOfWork, claims: list[Claim]) -> dict[tuple[str, str], _KeyRow]:
    rows: dict[tuple[str, str], _KeyRow] = {}
    for scope in {c.scope for c in claims}:
        query = select(keys.c.key, keys.c.request_hash, keys.c.response, keys.c.expires_at).where(
            keys.c.scope == scope, keys.c.key.in_([c.key for c in claims if c.scope == scope]))
        for r in await uow.connection.execute(query):
            rows[(scope, r.key)] = _KeyRow(None, r.request_hash, r.response, r.expires_at)
    return rows


def _reused(key: str) -> ApiError:
    return failed_precondition(ApiReason.IDEMPOTENCY_KEY_REUSED, "this request_id was used for a different request",
                               request_id=key)


def _in_progress(key: str) -> ApiError:
    return aborted(ApiReason.REQUEST_IN_PROGRESS, "a request with this request_id is in progress", request_id=key)
