"""Our holds and a partner's guest sold beyond capacity (issue 14, items 4 and 5).

Rooms under our holds stay ours when a partner sells (the rest of its sale is counted `oversold`); when
such a hold ends without a sale — released, expired and swept, or expired and reclaimed by the next
hold — its rooms come free like any other, so they go to the oversold guests first (domain.free_rooms).
And an expired hold counts as free at once (ARCHITECTURE §5 rule 2), for a partner's sale too.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import grpc
from hotelagg.inventory.v1 import inventory_pb2 as inv
from sqlalchemy import update

from servers.inventory.flows.jobs import sweep_expired_holds
from servers.storage.tables import holds
from tests.api.helpers import availability_request, days_ahead, fails, pb_date, request_id
from tests.api.partner_helpers import HOTEL, eventually, listed_hotel, reservation, rows, set_allowance, stay_nights


def _hold(check_in: int = 10, nights: int = 2, quantity: int = 2) -> inv.HoldInventoryRequest:
    return inv.HoldInventoryRequest(
        request_id=request_id(), hotel_id=HOTEL, room_type_code="STD", check_in=pb_date(days_ahead(check_in)),
        check_out=pb_date(days_ahead(check_in + nights)), quantity=quantity)


async def _expire_holds(db) -> None:
    async with db.unit_of_work() as uow:
        await uow.connection.execute(update(holds).values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
        await uow.commit()


async def watching(server, stub):
    """A WatchInventory stream of the hotel, once the server has it subscribed."""
    stream = stub.WatchInventory(inv.WatchInventoryRequest(hotel_ids=[HOTEL]))
    hub = server.system.hub

    async def subscribed() -> bool:
        return hub.subscriber_count == 1

    await eventually(subscribed)
    return stream


async def _oversold_beside_our_hold(channel, db):
    """3 rooms: our hold has 2 of them; a partner sells 2 (1 free, 1 oversold)."""
    listed = await listed_hotel(channel, rooms=3)
    await set_allowance(db, 1)
    held = await listed.inventory.HoldInventory(_hold())
    assert (await listed.notify(reservation(rooms=2))).over_capacity is True
    assert await stay_nights(db, 10, 2) == [(2, 2, 1)] * 2  # (available, held, oversold)
    return listed, held.hold.hold_id


async def test_a_released_hold_gives_a_room_to_the_oversold_guest_first(channel, db):
    listed, hold_id = await _oversold_beside_our_hold(channel, db)
    await listed.inventory.ReleaseHold(inv.ReleaseHoldRequest(request_id=request_id(), hold_id=hold_id))
    # Of the 2 rooms back, 1 is the oversold guest's; 1 is for sale: 3 rooms, 3 guests.
    assert await stay_nights(db, 10, 2) == [(1, 0, 0)] * 2


async def test_a_swept_expired_hold_gives_a_room_to_the_oversold_guest_first(server, channel, db):
    await _oversold_beside_our_hold(channel, db)
    await _expire_holds(db)
    assert await sweep_expired_holds(db, server.system.hub) == 1
    assert await stay_nights(db, 10, 2) == [(1, 0, 0)] * 2


async def test_an_expired_hold_reclaimed_by_the_next_hold_gives_the_oversold_guest_a_room_first(channel, db):
    listed, _ = await _oversold_beside_our_hold(channel, db)
    await _expire_holds(db)
    # One room is left once the oversold guest has one: a hold of 2 would be a fourth guest in 3 rooms.
    seen = await listed.inventory.GetAvailability(availability_request(10, 2, hotel_id=HOTEL))
    assert [n.sellable_rooms for n in seen.room_types[0].nights] == [1, 1]
    refused = await fails(listed.inventory.HoldInventory(_hold(quantity=2)))
    assert (refused.code, refused.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "SOLD_OUT")
    await listed.inventory.HoldInventory(_hold(quantity=1))
    assert await stay_nights(db, 10, 2) == [(1, 1, 0)] * 2


async def test_an_expired_unswept_hold_does_not_block_a_partner_sale(server, channel, db):
    listed = await listed_hotel(channel, rooms=3)  # no overbooking allowance at all
    await listed.inventory.HoldInventory(_hold(quantity=3))
    await _expire_holds(db)
    stream = await watching(server, listed.inventory)
    answer = await listed.notify(reservation(rooms=1))
    assert answer.over_capacity is False
    # The reclaimed hold is announced as what it is, then the sale.
    causes = [(await asyncio.wait_for(stream.read(), 5)).cause for _ in range(2)]
    stream.cancel()
    assert causes == [inv.CHANGE_CAUSE_EXPIRY, inv.CHANGE_CAUSE_PARTNER_RESERVATION]
    assert await stay_nights(db, 10, 2) == [(2, 0, 0)] * 2
    assert [(h.status, h.quantity) for h in await rows(db, "holds")] == [("expired", 3)]
    [booking] = await rows(db, "bookings")
    assert (booking.status, booking.over_capacity) == ("confirmed", False)


async def test_a_live_hold_still_counts_against_a_partner_sale(channel, db):
    listed = await listed_hotel(channel, rooms=3)
    await listed.inventory.HoldInventory(_hold(quantity=3))
    refused = await fails(listed.notify(reservation(rooms=1)))
    assert (refused.code, refused.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "OVERBOOKING_LIMIT_EXCEEDED")
    assert await stay_nights(db, 10, 2) == [(3, 3, 0)] * 2


async def test_partner_sales_and_holds_racing_for_one_expired_hold_all_get_their_rooms(channel, db):
    """Each of them may reclaim the same expired hold at once: one does, the others find its rooms free.
    None is refused, none fails (no deadlock between locking a hold and locking its nights)."""
    listed = await listed_hotel(channel, rooms=8, nights=40)
    for i in range(4):
        check_in = 2 + 3 * i
        await listed.inventory.HoldInventory(_hold(check_in, nights=2, quantity=8))
        await _expire_holds(db)
        answers = await asyncio.gather(
            *(listed.notify(reservation(f"R-{i}-{n}", check_in=check_in, rooms=1)) for n in range(4)),
            *(listed.inventory.HoldInventory(_hold(check_in, nights=2, quantity=1)) for _ in range(4)),
            return_exceptions=True)
        assert [a for a in answers if isinstance(a, Exception)] == [], i
        assert not any(a.over_capacity for a in answers[:4])
        assert await stay_nights(db, check_in, 2) == [(4, 4, 0)] * 2
