"""Holds (SQL side): reading a stay, releasing, committing and reclaiming expired holds.

Placing holds is flows/holds.py's (its SQL in hold_batch.py): every night of a stay in one transaction,
all or none, guarded by the database (`available - held >= n`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import and_, bindparam, case, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from servers.hotel.nights import Night
from servers.hotel.reasons import HotelReason
from servers.inventory.domain import free_rooms
from servers.inventory.store.ari import find_room_type, night_from_row
from servers.runtime.errors import failed_precondition, not_found
from servers.storage.database import UnitOfWork
from servers.storage.tables import bookings, holds, hotels, inventory, room_types

HELD, RELEASED, COMMITTED, EXPIRED = "held", "released", "committed", "expired"
_HOLD_COLUMNS = (holds.c.id, holds.c.hotel_id, holds.c.room_type_id, holds.c.check_in, holds.c.check_out,
                 holds.c.quantity, holds.c.status, holds.c.expires_at, holds.c.created_at, holds.c.version,
                 holds.c.total_minor)

NIGHT_COLUMNS = (inventory.c.night, inventory.c.total, inventory.c.available, inventory.c.held,
             inventory.c.price_minor, inventory.c.min_stay, inventory.c.max_stay, inventory.c.closed_to_arrival,
             inventory.c.closed_to_departure, inventory.c.stop_sell, inventory.c.version)


@dataclass(frozen=True)
class HoldRecord:
    """A hold as the API shows it (the columns of holds plus its room type's code)."""

    id: str
    hotel_id: str
    room_type_code: str
    check_in: date
    check_out: date
    quantity: int
    status: str
    expires_at: datetime
    created_at: datetime
    version: int
    total_minor: int | None = None


async def stay_nights(conn: AsyncConnection, hotel_id: str, code: str, check_in: date, check_out: date
                ) -> tuple[Row, dict[date, Night]]:
    """The room type (with its hotel's currency) and the stay's nights, in one query.

    The departure night comes too: closed-to-departure lives there.
    """
    nights_on = and_(inventory.c.room_type_id == room_types.c.id, inventory.c.night >= check_in,
                     inventory.c.night <= check_out)
    query = (
        select(room_types.c.id, hotels.c.currency_code, *(c.label(f"n_{c.name}") for c in NIGHT_COLUMNS))
        .join(hotels, hotels.c.id == room_types.c.hotel_id)
        .outerjoin(inventory, nights_on)
        .where(room_types.c.hotel_id == hotel_id, room_types.c.code == code)
    )
    rows = (await conn.execute(query)).all()
    if not rows:
        await find_room_type(conn, hotel_id, code)  # raises the precise NOT_FOUND
    nights = {}
    for row in rows:
        if row.n_night is not None:
            nights[row.n_night] = night_from_row(row, prefix="n_")
    return rows[0], nights


async def _move_rooms(uow: UnitOfWork, hold: Row, *, sold: bool, now: datetime) -> list[Night]:
    """Gives a hold's rooms back (released, expired) or turns them into sold rooms (committed).

    Rooms given back come free like any other (domain.free_rooms): a partner's guest sold a room beyond
    capacity on the night gets one first, sold to them on the spot (out of `available`, out of
    `oversold`); only the rest are for sale again.
    """
    values = {"held": inventory.c.held - hold.quantity, "version": inventory.c.version + 1, "updated_at": now}
    if sold:
        values["available"] = inventory.c.available - hold.quantity
    else:
        freed = free_rooms(hold.quantity, inventory.c.oversold, least=_least)
        values["available"] = inventory.c.available - freed.absorbed
        values["oversold"] = inventory.c.oversold - freed.absorbed
    statement = (
        update(inventory)
        .where(inventory.c.room_type_id == hold.room_type_id, inventory.c.night >= hold.check_in,
               inventory.c.night < hold.check_out)
        .values(**values)
        .returning(*NIGHT_COLUMNS)
    )
    rows = (await uow.connection.execute(statement)).all()
    return sorted((night_from_row(row) for row in rows), key=lambda n: n.night)


def _least(a, b):
    return case((a <= b, a), else_=b)


def rooms_back(rooms: int) -> dict:
    """The values an UPDATE of inventory sets when `rooms` sold rooms come back on each of its nights:
    domain.free_rooms's rule (oversold ones absorbed first, the rest available, never above the
    night's total), computed by the database in the same statement."""
    freed = free_rooms(rooms, inventory.c.oversold, least=_least)
    return {"available": _least(inventory.c.available + freed.available, inventory.c.total),
            "oversold": inventory.c.oversold - freed.absorbed}


async def _unsell(uow: UnitOfWork, hold: Row, now: datetime) -> list[Night]:
    """A committed hold's rooms are for sale again (never above the night's total), except those that
    go to a partner's guest who was sold a room beyond capacity on that night (oversold)."""
    statement = (
        update(inventory)
        .where(inventory.c.room_type_id == hold.room_type_id, inventory.c.night >= hold.check_in,
               inventory.c.night < hold.check_out)
        .values(**rooms_back(hold.quantity), version=inventory.c.version + 1, updated_at=now)
        .returning(*NIGHT_COLUMNS)
    )
    rows = (await uow.connection.execute(statement)).all()
    return sorted((night_from_row(row) for row in rows), key=lambda n: n.night)


def _with_room_type():
    """A hold with its room type's code and its hotel's currency, as the API shows it."""
    return (select(*_HOLD_COLUMNS, room_types.c.code.label("room_type_code"), hotels.c.currency_code)
            .join(room_types, room_types.c.id == holds.c.room_type_id)
            .join(hotels, hotels.c.id == holds.c.hotel_id))


# A hold as read (a Row), or as _set_status left it (_moved): both read by attribute.
HoldRow = Row | SimpleNamespace


def _moved(hold: Row, status: str, now: datetime) -> SimpleNamespace:
    """The hold as _set_status left it, without reading it again."""
    return SimpleNamespace(**{**hold._mapping, "status": status, "version": hold.version + 1, "updated_at": now})


async def _hold_with_room_type(conn: AsyncConnection, hold_id: str, uow: UnitOfWork | None = None) -> Row:
    query = _with_room_type().where(holds.c.id == hold_id)
    row = (await conn.execute(uow.for_update(query, of=holds) if uow else query)).first()
    if row is None:
        raise not_found(HotelReason.HOLD_NOT_FOUND, f"hold {hold_id}", hold_id=hold_id)
    return row


async def _set_status(uow: UnitOfWork, hold: Row, status: str, now: datetime, was: str = HELD) -> bool:
    """Moves a hold from `was` to status; False when another call moved it first."""
    result = await uow.connection.execute(
        update(holds).where(holds.c.id == hold.id, holds.c.status == was)
        .values(status=status, version=holds.c.version + 1, updated_at=now)
    )
    return result.rowcount == 1


async def release_hold(uow: UnitOfWork, hold_id: str, now: datetime,
                       cancel_sale: bool = False) -> tuple[HoldRow, list[Night]]:
    """Gives a hold's rooms back; with cancel_sale, a committed hold's sold rooms too."""
    hold = await _hold_with_room_type(uow.connection, hold_id, uow)
    if hold.status == COMMITTED and not cancel_sale:
        raise failed_precondition(HotelReason.HOLD_COMMITTED, "the hold was committed; release it with cancel_sale",
                                  hold_id=hold_id, status=hold.status)
    if hold.status == HELD and await _set_status(uow, hold, RELEASED, now):
        return _moved(hold, RELEASED, now), await _move_rooms(uow, hold, sold=False, now=now)
    if hold.status == COMMITTED and await _set_status(uow, hold, RELEASED, now, was=COMMITTED):
        return _moved(hold, RELEASED, now), await _unsell(uow, hold, now)
    return hold, []


async def commit_hold(uow: UnitOfWork, hold_id: str, now: datetime) -> tuple[HoldRow, list[Night]]:
    hold = await _hold_with_room_type(uow.connection, hold_id, uow)
    if hold.status == COMMITTED:
        return hold, []
    if hold.status == RELEASED:
        raise failed_precondition(HotelReason.HOLD_RELEASED,
                                  "the hold was released", hold_id=hold_id, status=hold.status)
    if hold.status == EXPIRED or hold.expires_at <= now:
        raise failed_precondition(HotelReason.HOLD_EXPIRED, "the hold expired; hold again", hold_id=hold_id,
                                  expire_time=hold.expires_at.isoformat())
    if not await _set_status(uow, hold, COMMITTED, now):
        raise failed_precondition(HotelReason.HOLD_CHANGED,
                                  "the hold changed meanwhile; read it again", hold_id=hold_id)
    return _moved(hold, COMMITTED, now), await _move_rooms(uow, hold, sold=True, now=now)


async def reclaim_expired(uow: UnitOfWork, now: datetime, *, room_type_id: int | None = None,
                          start: date | None = None, end: date | None = None, limit: int = 500
                          ) -> list[tuple[Row, list[Night]]]:
    """Expires held holds past their time and gives their rooms back; optionally only on some nights."""
    query = (_with_room_type()
             .where(holds.c.status == HELD, holds.c.expires_at <= now)
             .order_by(holds.c.expires_at).limit(limit))
    if room_type_id is not None:
        query = query.where(holds.c.room_type_id == room_type_id, holds.c.check_in < end, holds.c.check_out > start)
    reclaimed = []
    for hold in (await uow.connection.execute(query)).all():
        if await _set_status(uow, hold, EXPIRED, now):
            reclaimed.append((hold, await _move_rooms(uow, hold, sold=False, now=now)))
    return reclaimed


async def expired_held(conn: AsyncConnection, room_type_ids: list[int], start: date, end: date,
                       now: datetime) -> dict[tuple[int, date], int]:
    """Rooms still counted in `held` by holds that have expired but not been reclaimed, per night."""
    query = select(holds.c.room_type_id, holds.c.check_in, holds.c.check_out, holds.c.quantity).where(
        holds.c.status == HELD, holds.c.expires_at <= now, holds.c.room_type_id.in_(room_type_ids),
        holds.c.check_in < end, holds.c.check_out > start,
    )
    return _rooms_per_night((await conn.execute(query)).all(), start, end)


# A booking's states while its hold is live (the booking service's names; the states are the bookings table's).
_BOOKING_BEING_MADE, _BOOKING_HELD = "pending", "held"


async def reserved_at_channel_manager(conn: AsyncConnection, hotel_id: str) -> dict[tuple[int, date], int]:
    """Rooms of our live holds that the hotel's channel manager counts as taken, per (room type, night).

    A hold is reserved there once its booking has the channel manager's reservation; a booking still
    being made may have it already without having written it down, and is counted too: counting it
    early only lets the mirror show a room the channel manager will refuse, never the other way round.
    A hold with no booking (HoldInventory alone) is unknown there. Live bookings are few: the query
    starts from the bookings index on status.
    """
    return _rooms_per_night((await conn.execute(_RESERVED_AT_CHANNEL_MANAGER, {"hotel": hotel_id})).all())


# Built once: it runs with every snapshot applied, and a statement built per call leaves reference
# cycles for the garbage collector (see store/sync.py's _ROOM_TYPES).
_RESERVED_AT_CHANNEL_MANAGER = (
    select(holds.c.room_type_id, holds.c.check_in, holds.c.check_out, holds.c.quantity)
    .select_from(bookings.join(holds, holds.c.id == bookings.c.hold_id))
    .where(bookings.c.status.in_((_BOOKING_BEING_MADE, _BOOKING_HELD)), bookings.c.hotel_id == bindparam("hotel"),
           bookings.c.channel_manager_reservation_id.is_not(None) | (bookings.c.status == _BOOKING_BEING_MADE),
           holds.c.status == HELD)
)


def _rooms_per_night(rows, start: date | None = None, end: date | None = None) -> dict[tuple[int, date], int]:
    """Holds' rooms summed per (room type, night), only on nights within [start, end) when given."""
    counted: dict[tuple[int, date], int] = {}
    for row in rows:
        day = row.check_in if start is None else max(row.check_in, start)
        last = row.check_out if end is None else min(row.check_out, end)
        while day < last:
            counted[(row.room_type_id, day)] = counted.get((row.room_type_id, day), 0) + row.quantity
            day += timedelta(days=1)
    return counted
