"""A channel manager's absolute snapshot while our holds are live (issue 14, item 3), embedded and
production-like (tests/e2e/booking_rig.py).

The channel manager's `available` already leaves out the rooms we reserved there (held or confirmed), but
not a hold of ours it has never heard of. The mirror keeps our holds in `held`, within `available`, so a
snapshot must give back to `available` exactly the rooms of our holds that are reserved at the channel
manager: then the last room, held by a booking, is still ours to sell when the booking is confirmed.
"""

from __future__ import annotations

from hotelagg.booking.v1 import booking_pb2 as bk
from hotelagg.inventory.v1 import inventory_pb2 as inv

from tests.api.helpers import days_ahead, pb_date, request_id
from tests.e2e.booking_rig import HOTEL_CODE, booking_stack, channel_hotel, confirm, create

HOTEL = "cm-book-hotel"


async def _snapshot(rig, day: int, total: int) -> None:
    """The sandbox sets the night absolutely, its rooms sold kept: one snapshot event, pushed to us."""
    await rig.side.cm_admin("/admin/ari", {"hotel_code": HOTEL_CODE, "room_type_code": "STD", "nights": [
        {"date": days_ahead(day).isoformat(), "total": total, "price_minor": 10000}]})
    await rig.settled()


async def _cm_available(rig, day: int) -> int:
    status, body = await rig.side.cm("GET", f"/hotels/{HOTEL_CODE}/ari", start=days_ahead(day).isoformat(),
                                     end=days_ahead(day + 1).isoformat())
    assert status == 200, body
    [room_type] = [rt for rt in body["room_types"] if rt["code"] == "STD"]
    return room_type["nights"][0]["available"]


async def test_the_last_room_held_by_a_booking_survives_a_snapshot_and_is_confirmed(db, stack):
    async with booking_stack(db, stack) as rig:
        await channel_hotel(rig, rooms=1, nights=3)
        created = (await rig.bookings.CreateBooking(create(HOTEL, first=2), timeout=10)).booking
        assert created.status == bk.BOOKING_STATUS_HELD
        await _snapshot(rig, 2, total=1)
        assert await _cm_available(rig, 2) == 0  # the sandbox counts our reservation as taken
        # (available, held, sellable): the room is ours, held, not for sale to anyone else.
        assert await rig.nights(HOTEL, 2, 1) == [(1, 1, 0)]

        confirmed = (await rig.bookings.ConfirmBooking(confirm(created.booking_id), timeout=10)).booking
        assert confirmed.status == bk.BOOKING_STATUS_CONFIRMED
        assert await rig.nights(HOTEL, 2, 1) == [(0, 0, 0)]
        # Sold on both sides now: the next snapshot is taken as it is.
        await _snapshot(rig, 2, total=1)
        assert await rig.nights(HOTEL, 2, 1) == [(0, 0, 0)]
        assert await rig.side.our_reservations() == {"confirmed": 1}
        assert await rig.side.payments() == {"captured": 1}


async def test_a_hold_the_channel_manager_never_saw_stays_held_out_of_its_count(db, stack):
    async with booking_stack(db, stack) as rig:
        await channel_hotel(rig, rooms=2, nights=3)
        booked = (await rig.bookings.CreateBooking(create(HOTEL, first=2), timeout=10)).booking
        # A hold of ours alone, not (yet) reserved at the channel manager: its count still has the room.
        await rig.inventory.HoldInventory(inv.HoldInventoryRequest(
            request_id=request_id(), hotel_id=HOTEL, room_type_code="STD", check_in=pb_date(days_ahead(2)),
            check_out=pb_date(days_ahead(3)), quantity=1), timeout=10)
        await _snapshot(rig, 2, total=2)
        assert await _cm_available(rig, 2) == 1
        assert await rig.nights(HOTEL, 2, 1) == [(2, 2, 0)]

        confirmed = (await rig.bookings.ConfirmBooking(confirm(booked.booking_id), timeout=10)).booking
        assert confirmed.status == bk.BOOKING_STATUS_CONFIRMED
        assert await rig.nights(HOTEL, 2, 1) == [(1, 1, 0)]
