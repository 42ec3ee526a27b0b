"""The statements of a partner's sale (flows/partner_sales.py has the rules): the booking row that
records the reservation, the hotel's allowance, and the stay's nights locked, taken and given back."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import case, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from servers.hotel.nights import Night
from servers.inventory.domain import PartnerSale
from servers.inventory.store.ari import night_from_row
from servers.inventory.store.holds import NIGHT_COLUMNS, rooms_back
from servers.storage.database import UnitOfWork
from servers.storage.tables import bookings, hotels, inventory, room_types

CONFIRMED, CANCELLED = "confirmed", "cancelled"

# A statement of the sale broke a constraint: two first revisions of one reservation raced to insert
# its booking (partner_reservation_id is unique per channel), and this one lost.
ConstraintBroken = IntegrityError


async def recorded(uow: UnitOfWork, sale: PartnerSale) -> Row | None:
    """The booking of the sale's reservation with its room type's code, locked (None: a first revision)."""
    query = (select(bookings, room_types.c.code.label("room_type_code"))
             .join(room_types, room_types.c.id == bookings.c.room_type_id)
             .where(bookings.c.channel == sale.partner_id,
                    bookings.c.partner_reservation_id == sale.reservation_id))
    return (await uow.connection.execute(uow.for_update(query, of=bookings))).first()


async def current(conn, sale: PartnerSale) -> Row | None:
    """The booking recorded for the sale's reservation, as it is now."""
    query = select(bookings.c.id, bookings.c.partner_revision, bookings.c.over_capacity).where(
        bookings.c.channel == sale.partner_id, bookings.c.partner_reservation_id == sale.reservation_id)
    return (await conn.execute(query)).first()


async def allowance(uow: UnitOfWork, hotel_id: str) -> int:
    query = select(hotels.c.overbooking_allowance).where(hotels.c.id == hotel_id)
    return int((await uow.connection.execute(query)).scalar_one())


def _stay(room_type_id: int, check_in: date, check_out: date):
    return (inventory.c.room_type_id == room_type_id, inventory.c.night >= check_in,
            inventory.c.night < check_out)


async def locked_nights(uow: UnitOfWork, room_type_id: int, sale: PartnerSale) -> list[Row]:
    query = (select(inventory.c.night, inventory.c.available, inventory.c.held, inventory.c.oversold)
             .where(*_stay(room_type_id, sale.check_in, sale.check_out)).order_by(inventory.c.night))
    return list((await uow.connection.execute(uow.for_update(query))).all())


async def take(uow: UnitOfWork, room_type_id: int, sale: PartnerSale, now: datetime) -> tuple[Night, ...]:
    """Takes the sale's rooms on every night of its stay: free ones (available - held) first, the rest
    counted as oversold."""
    free = inventory.c.available - inventory.c.held
    taken = case((free >= sale.rooms, sale.rooms), (free > 0, free), else_=0)
    return await _update_nights(uow, room_type_id, sale.check_in, sale.check_out, now,
                                available=inventory.c.available - taken,
                                oversold=inventory.c.oversold + sale.rooms - taken)


async def give_back(uow: UnitOfWork, room_type_id: int, check_in: date, check_out: date, rooms: int,
                    now: datetime) -> tuple[Night, ...]:
    return await _update_nights(uow, room_type_id, check_in, check_out, now, **rooms_back(rooms))


async def _update_nights(uow: UnitOfWork, room_type_id: int, check_in: date, check_out: date,
                         now: datetime, **values) -> tuple[Night, ...]:
    statement = (update(inventory).where(*_stay(room_type_id, check_in, check_out))
                 .values(**values, version=inventory.c.version + 1, updated_at=now)
                 .returning(*NIGHT_COLUMNS))
    rows = (await uow.connection.execute(statement)).all()
    return tuple(sorted((night_from_row(row) for row in rows), key=lambda n: n.night))


async def write_booking(uow: UnitOfWork, existing: Row | None, room_type_id: int, sale: PartnerSale,
                        over: bool, now: datetime) -> str:
    given, _, family = sale.guest_name.strip().rpartition(" ")
    values = dict(
        room_type_id=room_type_id, check_in=sale.check_in, check_out=sale.check_out, rooms=sale.rooms,
        guests=sale.guests, lead_guest={k: v for k, v in (("given_name", given), ("family_name", family)) if v},
        status=CANCELLED if sale.cancelled else CONFIRMED, total_minor=sale.total_minor,
        partner_revision=sale.revision, over_capacity=over, updated_at=now,
    )
    if existing is not None:
        await uow.connection.execute(update(bookings).where(bookings.c.id == existing.id)
                                     .values(**values, version=bookings.c.version + 1))
        return existing.id
    booking_id = str(uuid.uuid4())
    await uow.connection.execute(insert(bookings).values(
        id=booking_id, user_id=f"partner:{sale.partner_id}", hotel_id=sale.hotel_id,
        currency_code=sale.currency_code, channel=sale.partner_id, partner_reservation_id=sale.reservation_id,
        created_at=now, **values))
    return booking_id
