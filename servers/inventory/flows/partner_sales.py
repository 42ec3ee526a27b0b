"""The ledger side of a reservation a partner sold for a direct hotel (ARCHITECTURE §5 rule 9).

A partner may not refuse a booking its guest already made, so a sale takes what is free on each night
(available - held: rooms under our holds stay theirs) and counts the rest as `oversold`, as long as no
night goes beyond the hotel's overbooking allowance. A room given back on a night first absorbs an
oversold one. The reservation itself is a booking row (channel = the partner), found by the partner's
reservation id; its revision only ever grows, so a late or repeated revision changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, insert, select, update
from sqlalchemy.engine import Row

from servers.hotel.nights import Night, sellable
from servers.hotel.reasons import HotelReason
from servers.inventory.reasons import InventoryReason
from servers.inventory.store.ari import find_room_type, night_from_row
from servers.inventory.store.holds import NIGHT_COLUMNS, reclaim_expired, rooms_back
from servers.runtime.errors import aborted, failed_precondition
from servers.storage.database import UnitOfWork
from servers.storage.tables import bookings, hotels, inventory, room_types

CONFIRMED, CANCELLED = "confirmed", "cancelled"


@dataclass(frozen=True)
class PartnerSale:
    hotel_id: str
    room_type_code: str
    partner_id: str
    reservation_id: str
    revision: int
    cancelled: bool
    check_in: date
    check_out: date
    rooms: int
    guests: int
    guest_name: str
    total_minor: int
    currency_code: str


@dataclass(frozen=True)
class SaleOutcome:
    booking_id: str
    over_capacity: bool
    revision: int
    applied: bool
    # (room type code, nights after the change) for every room type whose nights moved.
    changed: tuple[tuple[str, tuple[Night, ...]], ...] = ()
    # The same for expired holds reclaimed to make room for the sale, each announced as an expiry.
    expired: tuple[tuple[str, tuple[Night, ...]], ...] = ()


async def apply_sale(uow: UnitOfWork, sale: PartnerSale, now: datetime) -> SaleOutcome:
    room_type = await find_room_type(uow.connection, sale.hotel_id, sale.room_type_code)
    if room_type.channel_manager_id is not None:
        raise failed_precondition(HotelReason.HOTEL_NOT_DIRECT, f"hotel {sale.hotel_id} is sold through its channel "
                                  "manager, not by partners of ours", hotel_id=sale.hotel_id)
    if sale.currency_code != room_type.currency_code:
        raise failed_precondition(InventoryReason.CURRENCY_MISMATCH, f"the hotel sells in {room_type.currency_code}",
                                  currency_code=room_type.currency_code)
    existing = await _recorded(uow, sale)
    if existing is not None and existing.partner_revision >= sale.revision:
        return SaleOutcome(existing.id, existing.over_capacity, existing.partner_revision, applied=False)
    changed: list[tuple[str, tuple[Night, ...]]] = []
    if existing is not None and existing.status == CONFIRMED:
        back = await _give_back(uow, existing.room_type_id, existing.check_in, existing.check_out,
                                existing.rooms, now)
        changed.append((existing.room_type_code, back))
    over = False
    expired: list[tuple[str, tuple[Night, ...]]] = []
    if not sale.cancelled:
        allowance = await _allowance(uow, sale.hotel_id)
        over, taken, expired = await _take(uow, room_type.id, sale, allowance, now)
        changed.append((sale.room_type_code, taken))
    booking_id = await _write_booking(uow, existing, room_type.id, sale, over, now)
    return SaleOutcome(booking_id, over, sale.revision, applied=True, changed=tuple(changed),
                       expired=tuple(expired))


async def _recorded(uow: UnitOfWork, sale: PartnerSale) -> Row | None:
    query = (select(bookings, room_types.c.code.label("room_type_code"))
             .join(room_types, room_types.c.id == bookings.c.room_type_id)
             .where(bookings.c.channel == sale.partner_id,
                    bookings.c.partner_reservation_id == sale.reservation_id))
    row = (await uow.connection.execute(uow.for_update(query, of=bookings))).first()
    if row is not None and row.hotel_id != sale.hotel_id:
        raise failed_precondition(InventoryReason.RESERVATION_HOTEL_CHANGED,
                                  "a reservation cannot move to another hotel; "
                                  "cancel it and book again", reservation_id=sale.reservation_id)
    return row


async def current(conn, sale: PartnerSale) -> Row | None:
    """The booking recorded for the sale's reservation, as it is now."""
    query = select(bookings.c.id, bookings.c.partner_revision, bookings.c.over_capacity).where(
        bookings.c.channel == sale.partner_id, bookings.c.partner_reservation_id == sale.reservation_id)
    return (await conn.execute(query)).first()


async def _allowance(uow: UnitOfWork, hotel_id: str) -> int:
    query = select(hotels.c.overbooking_allowance).where(hotels.c.id == hotel_id)
    return int((await uow.connection.execute(query)).scalar_one())


def _stay(room_type_id: int, check_in: date, check_out: date):
    return (inventory.c.room_type_id == room_type_id, inventory.c.night >= check_in,
            inventory.c.night < check_out)


async def _take(uow: UnitOfWork, room_type_id: int, sale: PartnerSale, allowance: int, now: datetime
                ) -> tuple[bool, tuple[Night, ...], list[tuple[str, tuple[Night, ...]]]]:
    """Takes `rooms` on every night: free rooms first, the rest oversold within the allowance.

    An expired hold counts as free at once (ARCHITECTURE §5 rule 2), so the expired holds on the stay's
    nights are reclaimed first (their nights returned, to be announced as expiries). First, before the
    nights are locked: like the sweeper and a hold, lock a hold, then its nights, never the other way
    round, or a sale and a hold reclaiming the same expired hold could deadlock.
    """
    reclaimed = await reclaim_expired(uow, now, room_type_id=room_type_id, start=sale.check_in, end=sale.check_out)
    expired = [(hold.room_type_code, tuple(nights)) for hold, nights in reclaimed]
    rows = await _locked_nights(uow, room_type_id, sale)
    _check_nights(sale, {row.night: row for row in rows}, allowance)
    over = any(sellable(row.available, row.held) < sale.rooms for row in rows)
    free = inventory.c.available - inventory.c.held
    take = case((free >= sale.rooms, sale.rooms), (free > 0, free), else_=0)
    nights = await _update_nights(uow, room_type_id, sale.check_in, sale.check_out, now,
                                  available=inventory.c.available - take,
                                  oversold=inventory.c.oversold + sale.rooms - take)
    return over, nights, expired


async def _locked_nights(uow: UnitOfWork, room_type_id: int, sale: PartnerSale) -> list[Row]:
    query = (select(inventory.c.night, inventory.c.available, inventory.c.held, inventory.c.oversold)
             .where(*_stay(room_type_id, sale.check_in, sale.check_out)).order_by(inventory.c.night))
    return list((await uow.connection.execute(uow.for_update(query))).all())


def _check_nights(sale: PartnerSale, rows: dict[date, Row], allowance: int) -> None:
    day = sale.check_in
    while day < sale.check_out:
        row = rows.get(day)
        if row is None:
            raise failed_precondition(InventoryReason.NO_INVENTORY, f"{day.isoformat()} has no inventory loaded",
                                      night=day.isoformat())
        beyond = row.oversold + max(sale.rooms - sellable(row.available, row.held), 0)
        if beyond > allowance:
            raise failed_precondition(
                InventoryReason.OVERBOOKING_LIMIT_EXCEEDED,
                f"{day.isoformat()} would be {beyond} rooms over capacity; the hotel allows {allowance}",
                night=day.isoformat(), allowance=str(allowance))
        day = date.fromordinal(day.toordinal() + 1)


async def _give_back(uow: UnitOfWork, room_type_id: int, check_in: date, check_out: date, rooms: int,
                     now: datetime) -> tuple[Night, ...]:
    return await _update_nights(uow, room_type_id, check_in, check_out, now, **rooms_back(rooms))


async def _update_nights(uow: UnitOfWork, room_type_id: int, check_in: date, check_out: date,
                         now: datetime, **values) -> tuple[Night, ...]:
    statement = (update(inventory).where(*_stay(room_type_id, check_in, check_out))
                 .values(**values, version=inventory.c.version + 1, updated_at=now)
                 .returning(*NIGHT_COLUMNS))
    rows = (await uow.connection.execute(statement)).all()
    return tuple(sorted((night_from_row(row) for row in rows), key=lambda n: n.night))


async def _write_booking(uow: UnitOfWork, existing: Row | None, room_type_id: int, sale: PartnerSale,
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


def concurrent_first_revision(reservation_id: str):
    """Two first revisions of one reservation raced; the loser is told to retry (it will find the row)."""
    return aborted(InventoryReason.RESERVATION_IN_PROGRESS, f"reservation {reservation_id} is being recorded; retry",
                   reservation_id=reservation_id)


