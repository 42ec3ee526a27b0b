"""Deliveries in the database: one open delivery per (partner, hotel) that every ARI change merges into.

A change widens the open delivery's window of nights and bumps its version; a worker leases it, reads
the window's ARI as it is now, sends it, and marks it delivered only if no change came in meanwhile
(same version). So a burst of changes becomes one request, and what a partner receives last is never
older than what we have.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, desc, or_, select, text, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from servers.partner.domain import DELIVERED, OPEN, PARKED, PENDING, RETRYING
from servers.runtime.errors import not_found
from servers.storage.database import Database, UnitOfWork
from servers.storage.tables import OPEN_DELIVERY, deliveries, hotels, inventory, listings, room_types
from servers.storage.upsert import insert_on_conflict


@dataclass(frozen=True)
class Lease:
    row: Row | None
    # Seconds until another worker's lease runs out (row is None then); 0: nothing left to send.
    busy_for: float = 0.0


async def partners_listing(conn: AsyncConnection, hotel_id: str) -> list[str]:
    query = select(listings.c.partner_id).where(listings.c.hotel_id == hotel_id, listings.c.active).distinct()
    return list((await conn.execute(query)).scalars())


async def merge_change(uow: UnitOfWork, partner_id: str, hotel_id: str, start: date, end: date,
                       changes: int, now: datetime) -> str | None:
    """Adds nights to the open delivery (or opens one); returns its id when it needs a message sent."""
    key = str(uuid.uuid4())
    statement = insert_on_conflict(deliveries, uow.is_sqlite).values(
        id=str(uuid.uuid4()), partner_id=partner_id, hotel_id=hotel_id, status=PENDING, change_count=changes,
        idempotency_key=key, window_start=start, window_end=end, created_at=now, updated_at=now)
    merged = statement.on_conflict_do_update(
        index_elements=[deliveries.c.partner_id, deliveries.c.hotel_id], index_where=text(OPEN_DELIVERY),
        set_={
            "change_count": deliveries.c.change_count + changes,
            "window_start": case((deliveries.c.window_start <= start, deliveries.c.window_start), else_=start),
            "window_end": case((deliveries.c.window_end >= end, deliveries.c.window_end), else_=end),
            "version": deliveries.c.version + 1,
            "updated_at": now,
        },
    ).returning(deliveries.c.id, deliveries.c.status, deliveries.c.idempotency_key)
    row = (await uow.connection.execute(merged)).one()
    if row.idempotency_key == key:
        return row.id  # opened now
    if row.status == PARKED:
        return await rearm(uow, row.id, now)  # a fresh change is a fresh reason to try
    return None


async def rearm(uow: UnitOfWork, delivery_id: str, now: datetime) -> str | None:
    """A parked delivery goes back to work with a fresh retry budget; its id, or None if it was not parked."""
    result = await uow.connection.execute(
        update(deliveries).where(deliveries.c.id == delivery_id, deliveries.c.status == PARKED)
        .values(status=PENDING, attempt_count=0, next_attempt_at=None, version=deliveries.c.version + 1,
                updated_at=now))
    return delivery_id if result.rowcount == 1 else None


async def lease(db: Database, delivery_id: str, now: datetime, seconds: float) -> Lease:
    async with db.unit_of_work() as uow:
        result = await uow.connection.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery_id, deliveries.c.status.in_((PENDING, RETRYING)),
                   or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < now))
            .values(lease_until=now + timedelta(seconds=seconds))
            .returning(deliveries))
        row = result.first()
        await uow.commit()
    if row is not None:
        return Lease(row)
    async with db.reading_primary() as conn:
        current = (await conn.execute(select(deliveries.c.status, deliveries.c.lease_until)
                                      .where(deliveries.c.id == delivery_id))).first()
    if current is None or current.status not in (PENDING, RETRYING) or current.lease_until is None:
        return Lease(None)
    return Lease(None, busy_for=max((current.lease_until - now).total_seconds(), 0.0) + 0.05)


async def read_ari(conn: AsyncConnection, partner_id: str, hotel_id: str, start: date, end: date) -> list[Row]:
    """Every night of the window for the partner's active listings of the hotel, by property, room, night."""
    query = (
        select(listings.c.partner_property_code, listings.c.partner_room_code, hotels.c.currency_code,
               inventory.c.night, inventory.c.available, inventory.c.held, inventory.c.price_minor,
               inventory.c.min_stay, inventory.c.max_stay, inventory.c.closed_to_arrival,
               inventory.c.closed_to_departure, inventory.c.stop_sell)
        .join(room_types, room_types.c.id == listings.c.room_type_id)
        .join(hotels, hotels.c.id == listings.c.hotel_id)
        .join(inventory, and_(inventory.c.room_type_id == listings.c.room_type_id,
                              inventory.c.night >= start, inventory.c.night < end))
        .where(listings.c.partner_id == partner_id, listings.c.hotel_id == hotel_id, listings.c.active)
        .order_by(listings.c.partner_property_code, listings.c.partner_room_code, inventory.c.night)
    )
    return list((await conn.execute(query)).all())


async def finish(db: Database, delivery: Row, requests: int, now: datetime) -> bool:
    """Delivered, unless a change came in while sending (then it stays open for the next round)."""
    async with db.unit_of_work() as uow:
        done = await uow.connection.execute(
            update(deliveries).where(deliveries.c.id == delivery.id, deliveries.c.version == delivery.version)
            .values(status=DELIVERED, delivered_at=now, lease_until=None, next_attempt_at=None, last_error=None,
                    attempt_count=deliveries.c.attempt_count + 1,
                    requests_sent=deliveries.c.requests_sent + requests, updated_at=now))
        if done.rowcount == 0:
            await uow.connection.execute(
                update(deliveries).where(deliveries.c.id == delivery.id)
                .values(attempt_count=deliveries.c.attempt_count + 1, lease_until=None,
                        requests_sent=deliveries.c.requests_sent + requests, updated_at=now))
        await uow.commit()
    return done.rowcount == 1


async def record_failure(uow: UnitOfWork, delivery_id: str, status: str, error: str, retry_at: datetime | None,
                         now: datetime, *, attempt: bool = True) -> None:
    values = dict(status=status, last_error=error, next_attempt_at=retry_at, lease_until=None, updated_at=now)
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
        raise not_found("DELIVERY_NOT_FOUND", f"delivery {delivery_id}", delivery_id=delivery_id)
    return row


async def open_for(conn: AsyncConnection, partner_id: str, hotel_id: str) -> Row | None:
    query = select(deliveries).where(deliveries.c.partner_id == partner_id, deliveries.c.hotel_id == hotel_id,
                                     deliveries.c.status.in_(OPEN))
    return (await conn.execute(query)).first()


async def list_deliveries(conn: AsyncConnection, partner_id: str | None, statuses: list[str],
                          after: tuple[str, str] | None, limit: int) -> list[Row]:
    """Newest first; `after` is the (created_at ISO, id) of the last row of the previous page."""
    query = select(deliveries).order_by(desc(deliveries.c.created_at), desc(deliveries.c.id)).limit(limit)
    if partner_id:
        query = query.where(deliveries.c.partner_id == partner_id)
    if statuses:
        query = query.where(deliveries.c.status.in_(statuses))
    if after is not None:
        created = datetime.fromisoformat(after[0])
        query = query.where(or_(deliveries.c.created_at < created,
                                and_(deliveries.c.created_at == created, deliveries.c.id < after[1])))
    return list((await conn.execute(query)).all())
