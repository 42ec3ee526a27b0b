"""The ledger side of a reservation a partner sold for a direct hotel (ARCHITECTURE §5 rule 9).

A partner may not refuse a booking its guest already made, so a sale takes what is free on each night
(available - held: rooms under our holds stay theirs) and counts the rest as `oversold`, as long as no
night goes beyond the hotel's overbooking allowance. A room given back on a night first absorbs an
oversold one. The reservation itself is a booking row (channel = the partner), found by the partner's
reservation id; its revision only ever grows, so a late or repeated revision changes nothing.
The statements are store/partner_sales.py's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from servers.hotel.nights import Night, sellable
from servers.hotel.reasons import HotelReason
from servers.inventory.domain import PartnerSale
from servers.inventory.reasons import InventoryReason
from servers.inventory.store import partner_sales as store
from servers.inventory.store.ari import find_room_type
from servers.inventory.store.holds import reclaim_expired
from servers.runtime.errors import aborted, failed_precondition
from servers.storage.database import UnitOfWork


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


async def record_sale(uow: UnitOfWork, sale: PartnerSale, now: datetime) -> SaleOutcome:
    """Applies the sale; a first revision that lost the race to another copy of itself is told to retry."""
    try:
        return await apply_sale(uow, sale, now)
    except store.ConstraintBroken:
        raise concurrent_first_revision(sale.reservation_id) from None


async def apply_sale(uow: UnitOfWork, sale: PartnerSale, now: datetime) -> SaleOutcome:
    room_type = await find_room_type(uow.connection, sale.hotel_id, sale.room_type_code)
    if room_type.channel_manager_id is not None:
        raise failed_precondition(HotelReason.HOTEL_NOT_DIRECT, f"hotel {sale.hotel_id} is sold through its channel "
                                  "manager, not by partners of ours", hotel_id=sale.hotel_id)
    if sale.currency_code != room_type.currency_code:
        raise failed_precondition(InventoryReason.CURRENCY_MISMATCH, f"the hotel sells in {room_type.currency_code}",
                                  currency_code=room_type.currency_code)
    existing = await store.recorded(uow, sale)
    if existing is not None and existing.hotel_id != sale.hotel_id:
        raise failed_precondition(InventoryReason.RESERVATION_HOTEL_CHANGED,
                                  "a reservation cannot move to another hotel; "
                                  "cancel it and book again", reservation_id=sale.reservation_id)
    if existing is not None and existing.partner_revision >= sale.revision:
        return SaleOutcome(existing.id, existing.over_capacity, existing.partner_revision, applied=False)
    changed: list[tuple[str, tuple[Night, ...]]] = []
    if existing is not None and existing.status == store.CONFIRMED:
        back = await store.give_back(uow, existing.room_type_id, existing.check_in, existing.check_out,
                                     existing.rooms, now)
        changed.append((existing.room_type_code, back))
    over = False
    expired: list[tuple[str, tuple[Night, ...]]] = []
    if not sale.cancelled:
        allowance = await store.allowance(uow, sale.hotel_id)
        over, taken, expired = await _take(uow, room_type.id, sale, allowance, now)
        changed.append((sale.room_type_code, taken))
    booking_id = await store.write_booking(uow, existing, room_type.id, sale, over, now)
    return SaleOutcome(booking_id, over, sale.revision, applied=True, changed=tuple(changed),
                       expired=tuple(expired))


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
    rows = await store.locked_nights(uow, room_type_id, sale)
    _check_nights(sale, {row.night: row for row in rows}, allowance)
    over = any(sellable(row.available, row.held) < sale.rooms for row in rows)
    nights = await store.take(uow, room_type_id, sale, now)
    return over, nights, expired


def _check_nights(sale: PartnerSale, rows: dict, allowance: int) -> None:
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


def concurrent_first_revision(reservation_id: str):
    """Two first revisions of one reservation raced; the loser is told to retry (it will find the row)."""
    return aborted(InventoryReason.RESERVATION_IN_PROGRESS, f"reservation {reservation_id} is being recorded; retry",
                   reservation_id=reservation_id)


