"""Bookings in the database (the Bookings repository on SQL): the claim of a create's request id,
guarded transitions, reads and lists. Every write is a unit of work of its own."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, insert, literal, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from servers.booking.bookings import back_off_wait
from servers.booking.domain import HELD, PENDING, check_transition
from servers.runtime.errors import aborted, not_found
from servers.storage.database import Database
from servers.storage.tables import bookings, room_types

# How many bookings a job run takes at most (the rest wait for the next run).
JOB_BATCH = 200


class SqlBookings:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(self, values: dict, now: datetime) -> tuple[Row, bool]:
        """The booking for a create's request id: a new PENDING one (True), or the one there already (False)."""
        values = dict(values)
        code = values.pop("room_type_code")
        room_type_id = select(room_types.c.id).where(room_types.c.hotel_id == values["hotel_id"],
                                                     room_types.c.code == code).scalar_subquery()
        try:
            async with self.db.unit_of_work() as uow:
                row = (await uow.connection.execute(
                    insert(bookings).values(id=str(uuid.uuid4()), status=PENDING, room_type_id=room_type_id,
                                            created_at=now, updated_at=now, **values)
                    .returning(*bookings.c, literal(code, String).label("room_type_code")))).one()
                await uow.commit()
                return row, True
        except IntegrityError as error:
            conflict = error  # the request id is taken: by an earlier or a concurrent duplicate
        async with self.db.reading_primary() as conn:
            existing = (await conn.execute(_select().where(bookings.c.request_id == values["request_id"]))).first()
        if existing is None:
            raise conflict  # not the request id after all: a real bug, answered INTERNAL and logged
        return existing, False

    async def get(self, booking_id: str) -> Row:
        async with self.db.reading() as conn:
            return await _get(conn, booking_id)

    async def read(self, booking_id: str) -> Row:
        async with self.db.reading_primary() as conn:  # the primary: a booking is read right after it changes
            return await _get(conn, booking_id)

    async def move(self, booking: Row, status: str, now: datetime, **values: Any) -> Row:
        """Moves the booking to status if nobody moved it since it was read (its version)."""
        check_transition(booking.status, status, booking.id)
        return await self.change(booking, now, status=status, **values)

    async def change(self, booking: Row, now: datetime, **values: Any) -> Row:
        """Writes values if nobody changed the booking since it was read; returns it as it is now."""
        async with self.db.unit_of_work() as uow:
            row = (await uow.connection.execute(
                update(bookings).where(bookings.c.id == booking.id, bookings.c.version == booking.version)
                .values({"version": bookings.c.version + 1, "updated_at": now, "retry_at": None, **values})
                # The room type never changes: carried over, so no second read is needed.
                .returning(*bookings.c, literal(booking.room_type_code, String).label("room_type_code"))
            )).first()
            if row is None:
                raise aborted("CONCURRENT_UPDATE", "the booking changed meanwhile; read it again",
                              booking_id=booking.id)
            await uow.commit()
            return row

    async def page(self, *, user_id: str, hotel_id: str, statuses: list[str],
                   after: tuple[datetime, str] | None, limit: int) -> list[Row]:
        """Newest first, keyed on (created_at, id) so pages never skip or repeat."""
        query = _select().order_by(bookings.c.created_at.desc(), bookings.c.id.desc()).limit(limit)
        query = query.where(bookings.c.user_id == user_id) if user_id else query.where(bookings.c.hotel_id == hotel_id)
        if statuses:
            query = query.where(bookings.c.status.in_(statuses))
        if after:
            created, last_id = after
            query = query.where(or_(bookings.c.created_at < created,
                                    and_(bookings.c.created_at == created, bookings.c.id < last_id)))
        async with self.db.reading() as conn:
            return list((await conn.execute(query)).all())

    async def stuck(self, status: str, older_than: datetime, now: datetime) -> list[Row]:
        """Bookings left in status since before older_than, longest waiting first, none that is backing off."""
        query = _due(_select().where(bookings.c.status == status, bookings.c.updated_at < older_than), now)
        return await self._batch(query.order_by(bookings.c.updated_at, bookings.c.id))

    async def expired_holds(self, now: datetime) -> list[Row]:
        """HELD bookings past their hold whose payment was never captured, the longest expired first."""
        query = _due(_select().where(bookings.c.status == HELD, bookings.c.expires_at <= now,
                                     bookings.c.paid_minor == 0), now)
        return await self._batch(query.order_by(bookings.c.expires_at, bookings.c.id))

    async def confirms_under_way(self, older_than: datetime, now: datetime) -> list[Row]:
        """HELD bookings a confirm started (a step in flight, or paid) that nothing moved since older_than."""
        query = _due(_select().where(bookings.c.status == HELD, bookings.c.updated_at < older_than,
                                     or_(bookings.c.step_in_flight.is_not(None), bookings.c.paid_minor > 0)), now)
        return await self._batch(query.order_by(bookings.c.updated_at, bookings.c.id))

    async def _batch(self, query) -> list[Row]:
        async with self.db.reading() as conn:
            return list((await conn.execute(query.limit(JOB_BATCH))).all())

    async def back_off(self, booking: Row, now: datetime) -> None:
        """A job's step failed for this booking: it waits before the next try (back_off_wait), so that a
        few that keep failing never take the places of the others in a job's batch. Neither the version
        nor updated_at move: it is not a change of the booking (and a change clears the wait)."""
        wait = back_off_wait(booking.failed_attempts)
        async with self.db.unit_of_work() as uow:
            await uow.connection.execute(update(bookings).where(bookings.c.id == booking.id).values(
                failed_attempts=bookings.c.failed_attempts + 1, retry_at=now + wait))
            await uow.commit()

    async def queue(self, bus, topic: str, key: str, payload: dict) -> None:
        async with self.db.unit_of_work() as uow:
            await bus.enqueue(uow, topic, key, payload)
            await uow.commit()


async def _get(conn: AsyncConnection, booking_id: str) -> Row:
    row = (await conn.execute(_select().where(bookings.c.id == booking_id))).first()
    if row is None:
        raise not_found("BOOKING_NOT_FOUND", f"booking {booking_id}", booking_id=booking_id)
    return row


def _select():
    return select(bookings, room_types.c.code.label("room_type_code")).join(
        room_types, room_types.c.id == bookings.c.room_type_id)


def _due(query, now: datetime):
    return query.where(or_(bookings.c.retry_at.is_(None), bookings.c.retry_at <= now))
