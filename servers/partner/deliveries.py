"""Deliveries in the database: one open delivery per (partner, hotel) that every ARI change merges into.

A change widens the open delivery's window of nights and bumps its version; a worker leases it, reads
the window's ARI as it is now, sends it, and marks it delivered only if no change came in meanwhile
(same version). So a burst of changes becomes one request, and what a partner receives last is never
older than what we have.
The worker reaches these through the Deliveries repository (delivery_rounds.py; on SQL, delivery_store.py).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, desc, literal, or_, select, text, union_all, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select

from servers.partner.delivery_rounds import Round
from servers.partner.domain import DELIVERED, OPEN, PARKED, PENDING, RETRYING
from servers.partner.reasons import PartnerReason
from servers.runtime.errors import not_found
from servers.storage.database import Database, UnitOfWork
from servers.storage.tables import OPEN_DELIVERY, deliveries, hotels, inventory, listings
from servers.storage.types import UtcDateTime
from servers.storage.upsert import insert_on_conflict


async def partners_listing(conn: AsyncConnection, hotel_id: str) -> list[str]:
    query = select(listings.c.partner_id).where(listings.c.hotel_id == hotel_id, listings.c.active).distinct()
    return list((await conn.execute(query)).scalars())


def _merge_statement(is_sqlite: bool):
    """Built once per dialect, run with one parameter set per partner (one round trip for them all)."""
    statement = insert_on_conflict(deliveries, is_sqlite)
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[deliveries.c.partner_id, deliveries.c.hotel_id], index_where=text(OPEN_DELIVERY),
        set_={
            "change_count": deliveries.c.change_count + new.change_count,
            "window_start": case((deliveries.c.window_start <= new.window_start, deliveries.c.window_start),
                                 else_=new.window_start),
            "window_end": case((deliveries.c.window_end >= new.window_end, deliveries.c.window_end),
                               else_=new.window_end),
            "version": deliveries.c.version + 1,
            "updated_at": new.updated_at,
        },
    ).returning(deliveries.c.id, deliveries.c.partner_id, deliveries.c.status, deliveries.c.idempotency_key)


_MERGE = {is_sqlite: _merge_statement(is_sqlite) for is_sqlite in (False, True)}


async def merge_change(uow: UnitOfWork, partner_ids: list[str], hotel_id: str, start: date, end: date,
                       changes: int, now: datetime) -> list[tuple[str, str]]:
    """Adds nights to each partner's open delivery for the hotel (or opens one); returns the (delivery
    id, partner id)s that need a message sent: the ones opened now and the parked ones re-armed."""
    if not partner_ids:
        return []
    opened_keys = {str(uuid.uuid4()) for _ in partner_ids}
    rows = [dict(id=str(uuid.uuid4()), partner_id=partner_id, hotel_id=hotel_id, status=PENDING,
                 change_count=changes, idempotency_key=key, window_start=start, window_end=end, created_at=now,
                 updated_at=now) for partner_id, key in zip(partner_ids, opened_keys, strict=True)]
    to_send = []
    for row in (await uow.connection.execute(_MERGE[uow.is_sqlite], rows)).all():
        if row.idempotency_key in opened_keys:
            to_send.append((row.id, row.partner_id))
        elif row.status == PARKED and await rearm(uow, row.id, now) is not None:
            to_send.append((row.id, row.partner_id))  # a fresh change is a fresh reason to try
    return to_send


async def rearm(uow: UnitOfWork, delivery_id: str, now: datetime) -> str | None:
    """A parked delivery goes back to work with a fresh retry budget; its id, or None if it was not parked."""
    result = await uow.connection.execute(
        update(deliveries).where(deliveries.c.id == delivery_id, deliveries.c.status == PARKED)
        .values(status=PENDING, attempt_count=0, next_attempt_at=None, version=deliveries.c.version + 1,
                updated_at=now))
    return delivery_id if result.rowcount == 1 else None


async def lease_round(db: Database, delivery_ids: list[str], now: datetime, seconds: float) -> Round:
    """Leases every delivery of `delivery_ids` that is open and not leased, and reads what each must send,
    in one transaction."""
    ids = list(dict.fromkeys(delivery_ids))
    async with db.unit_of_work() as uow:
        conn = uow.connection
        leased = {r.id: r for r in await conn.execute(
            update(deliveries)
            .where(deliveries.c.id.in_(ids), deliveries.c.status.in_((PENDING, RETRYING)),
                   or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < now))
            .values(lease_until=now + timedelta(seconds=seconds))
            .returning(deliveries))}
        busy_for = {}
        others = [i for i in ids if i not in leased]
        if others:
            for r in await conn.execute(select(deliveries.c.id, deliveries.c.status, deliveries.c.lease_until)
                                        .where(deliveries.c.id.in_(others))):
                if r.status in (PENDING, RETRYING) and r.lease_until is not None:
                    busy_for[r.id] = max((r.lease_until - now).total_seconds(), 0.0) + 0.05
        ari = await _read_windows(conn, list(leased.values()))
        await uow.commit()
    return Round(leased, ari, busy_for)


_ARI_COLUMNS = (listings.c.partner_property_code, listings.c.partner_room_code, hotels.c.currency_code,
                inventory.c.night, inventory.c.available, inventory.c.held, inventory.c.price_minor,
                inventory.c.min_stay, inventory.c.max_stay, inventory.c.closed_to_arrival,
                inventory.c.closed_to_departure, inventory.c.stop_sell)


def _window(delivery: Row) -> Select[Any]:
    """One delivery's nights for its partner's active listings of its hotel (each window on its own index
    range: an OR of windows would read every night of each room type).

    Its return type is written out: inferred, the union_all of these windows crashes mypy 2.4."""
    return (
        select(literal(delivery.id).label("delivery_id"), *_ARI_COLUMNS)
        .join(hotels, hotels.c.id == listings.c.hotel_id)
        .join(inventory, and_(inventory.c.room_type_id == listings.c.room_type_id,
                              inventory.c.night >= delivery.window_start, inventory.c.night < delivery.window_end))
        .where(listings.c.partner_id == delivery.partner_id, listings.c.hotel_id == delivery.hotel_id,
               listings.c.active)
    )


async def _read_windows(conn: AsyncConnection, leased: list[Row]) -> dict[str, list[Row]]:
    found: dict[str, list[Row]] = {d.id: [] for d in leased}
    if not leased:
        return found
    query = _window(leased[0]) if len(leased) == 1 else union_all(*(_window(d) for d in leased))
    for row in await conn.execute(query):
        found[row.delivery_id].append(row)
    for rows in found.values():
        rows.sort(key=lambda r: (r.partner_property_code, r.partner_room_code, r.night))
    return found


async def finish_round(db: Database, sent: dict[str, tuple[Row, int]], released: dict[str, datetime],
                       now: datetime) -> set[str]:
    """Closes a round in one transaction. `sent`: delivery id → (its leased row, requests sent); each is
    delivered unless a change came in while it was on the wire (then it stays open, leased to nobody,
    for the next round). `released`: delivery id → when to try again (rate limit): leased to nobody.
    Returns the ids delivered."""
    delivered: set[str] = set()
    async with db.unit_of_work() as uow:
        conn = uow.connection
        if sent:
            added = deliveries.c.requests_sent + case({i: n for i, (_, n) in sent.items()}, value=deliveries.c.id,
                                                      else_=0)
            versions = case({i: row.version for i, (row, _) in sent.items()}, value=deliveries.c.id)
            delivered = set((await conn.execute(
                update(deliveries).where(deliveries.c.id.in_(list(sent)), deliveries.c.version == versions)
                .values(status=DELIVERED, delivered_at=now, lease_until=None, next_attempt_at=None, last_error=None,
                        attempt_count=deliveries.c.attempt_count + 1, requests_sent=added, updated_at=now)
                .returning(deliveries.c.id))).scalars())
            again = [i for i in sent if i not in delivered]
            if again:
                await conn.execute(update(deliveries).where(deliveries.c.id.in_(again)).values(
                    attempt_count=deliveries.c.attempt_count + 1, lease_until=None, requests_sent=added,
                    updated_at=now))
        if released:
            await conn.execute(update(deliveries).where(deliveries.c.id.in_(list(released))).values(
                lease_until=None, updated_at=now,
                next_attempt_at=case({i: literal(at, UtcDateTime()) for i, at in released.items()},
                                     value=deliveries.c.id)))
        await uow.commit()
    return delivered


async def record_failure(uow: UnitOfWork, delivery_id: str, status: str, error: str, retry_at: datetime | None,
                         now: datetime, *, attempt: bool = True) -> None:
    values: dict[str, Any] = dict(status=status, last_error=error, next_attempt_at=retry_at, lease_until=None,
                                  updated_at=now)
    if attempt:
        values["attempt_count"] = deliveries.c.attempt_count + 1
    await uow.connection.execute(update(deliveries).where(deliveries.c.id == delivery_id).values(**values))


async def release(uow: UnitOfWork, delivery_id: str, retry_at: datetime, now: datetime) -> None:
    """Not now (rate limit): back to waiting, absorbing changes, until retry_at."""
    await uow.connection.execute(update(deliveries).where(deliveries.c.id == delivery_id)
                                 .values(lease_until=None, next_attempt_at=retry_at, updated_at=now))


async def get(conn: AsyncConnection, delivery_id: str) -> Row:
    row = (await conn.execute(select(deliveries).where(deliveries.c.id == delivery_id))).first()
    if row is None:
        raise not_found(PartnerReason.DELIVERY_NOT_FOUND, f"delivery {delivery_id}", delivery_id=delivery_id)
    return row


async def open_for(conn: AsyncConnection, partner_id: str, hotel_id: str) -> Row | None:
    query = select(deliveries).where(deliveries.c.partner_id == partner_id, deliveries.c.hotel_id == hotel_id,
                                     deliveries.c.status.in_(OPEN))
    return (await conn.execute(query)).first()


async def list_deliveries(conn: AsyncConnection, partner_id: str | None, statuses: list[str],
                          after: tuple[datetime, str] | None, limit: int) -> list[Row]:
    """Newest first; `after` is the (created_at, id) of the last row of the previous page."""
    query = select(deliveries).order_by(desc(deliveries.c.created_at), desc(deliveries.c.id)).limit(limit)
    if partner_id:
        query = query.where(deliveries.c.partner_id == partner_id)
    if statuses:
        query = query.where(deliveries.c.status.in_(statuses))
    if after is not None:
        created, last_id = after
        query = query.where(or_(deliveries.c.created_at < created,
                                and_(deliveries.c.created_at == created, deliveries.c.id < last_id)))
    return list((await conn.execute(query)).all())
