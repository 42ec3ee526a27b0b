"""NotifyReservation: a partner's sale takes rooms in the ledger once per revision; changes and
cancellations give them back; currency and fields are checked before anything moves."""

from __future__ import annotations

import grpc
from hotelagg.inventory.v1 import inventory_pb2 as inv
from hotelagg.partner.v1 import partner_pb2 as pb

from tests.api.helpers import availability_request, days_ahead, fails, money, pb_date, request_id
from tests.api.partner_helpers import (
    HOTEL,
    count,
    ledger_state,
    listed_hotel,
    reservation,
    rows,
    set_allowance,
    stay_nights,
)


async def _available(listed, start: int, nights: int) -> list[int]:
    answer = await listed.inventory.GetAvailability(availability_request(start, nights, hotel_id=HOTEL))
    return [n.available_rooms for n in answer.room_types[0].nights]


async def test_booked_takes_rooms_and_records_the_booking(channel, db):
    listed = await listed_hotel(channel, rooms=5)
    answer = await listed.notify(reservation(check_in=10, nights=3, rooms=2))
    assert answer.booking_id and (answer.over_capacity, answer.revision) == (False, 1)
    assert await _available(listed, 9, 5) == [5, 3, 3, 3, 5]
    assert await stay_nights(db, 10, 3) == [(3, 0, 0)] * 3
    [booking] = await rows(db, "bookings")
    assert (booking.id, booking.channel, booking.partner_reservation_id, booking.partner_revision) == (
        answer.booking_id, "acme", "R-1", 1)
    assert (booking.hotel_id, booking.check_in, booking.check_out, booking.rooms, booking.status) == (
        HOTEL, days_ahead(10), days_ahead(13), 2, "confirmed")
    assert (booking.total_minor, booking.currency_code, booking.over_capacity) == (40000, "EUR", False)


async def test_same_revision_again_changes_nothing(channel, db):
    listed = await listed_hotel(channel, rooms=5)
    first = await listed.notify(reservation(rooms=2), key="k-1")
    before = await ledger_state(db)
    for key in ("k-1", "k-2", request_id()):  # the partner retries under any request id
        again = await listed.notify(reservation(rooms=2), key=key)
        assert (again.booking_id, again.revision, again.over_capacity) == (first.booking_id, 1, False)
    assert await ledger_state(db) == before
    assert await stay_nights(db, 10, 2) == [(3, 0, 0)] * 2


async def test_same_request_id_for_another_reservation_is_refused(channel, db):
    listed = await listed_hotel(channel, rooms=5)
    await listed.notify(reservation(), key="k-1")
    refused = await fails(listed.notify(reservation("R-2"), key="k-1"))
    assert (refused.code, refused.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "IDEMPOTENCY_KEY_REUSED")
    assert await count(db, "bookings") == 1


async def test_modification_moves_the_rooms_and_an_older_revision_is_ignored(channel, db):
    listed = await listed_hotel(channel, rooms=5)
    booked = await listed.notify(reservation(check_in=10, nights=2, rooms=1))
    moved = await listed.notify(reservation(revision=2, status=pb.RESERVATION_STATUS_MODIFIED,
                                            check_in=11, nights=3, rooms=2, total_amount=money(55000)))
    assert (moved.booking_id, moved.revision) == (booked.booking_id, 2)
    assert await _available(listed, 10, 4) == [5, 3, 3, 3]
    before = await ledger_state(db)
    late = await listed.notify(reservation(check_in=10, nights=2, rooms=1))  # revision 1 comes late
    assert (late.booking_id, late.revision) == (booked.booking_id, 2)
    assert await ledger_state(db) == before
    [booking] = await rows(db, "bookings")
    assert (booking.check_in, booking.check_out, booking.rooms, booking.partner_revision, booking.total_minor) == (
        days_ahead(11), days_ahead(14), 2, 2, 55000)


async def test_cancellation_gives_the_rooms_back(channel, db):
    listed = await listed_hotel(channel, rooms=5)
    booked = await listed.notify(reservation(rooms=3))
    cancelled = await listed.notify(reservation(revision=2, status=pb.RESERVATION_STATUS_CANCELLED, rooms=3))
    assert (cancelled.booking_id, cancelled.revision) == (booked.booking_id, 2)
    assert await stay_nights(db, 10, 2) == [(5, 0, 0)] * 2
    [booking] = await rows(db, "bookings")
    assert (booking.status, booking.partner_revision) == ("cancelled", 2)
    # Cancelled again under a newer revision: nothing more is given back.
    await listed.notify(reservation(revision=3, status=pb.RESERVATION_STATUS_CANCELLED, rooms=3))
    assert await stay_nights(db, 10, 2) == [(5, 0, 0)] * 2


async def test_over_capacity_within_the_allowance(channel, db):
    listed = await listed_hotel(channel, rooms=3)
    await set_allowance(db, 2)
    first = await listed.notify(reservation("R-1", rooms=2))
    assert first.over_capacity is False
    over = await listed.notify(reservation("R-2", rooms=3))  # 1 free, 2 oversold
    assert over.over_capacity is True
    assert await stay_nights(db, 10, 2) == [(0, 0, 2)] * 2
    assert await _available(listed, 10, 2) == [0, 0]
    assert {b.partner_reservation_id: b.over_capacity for b in await rows(db, "bookings")} == {
        "R-1": False, "R-2": True}
    # The replay answers the same.
    assert (await listed.notify(reservation("R-2", rooms=3))).over_capacity is True

    before = await ledger_state(db)
    refused = await fails(listed.notify(reservation("R-3", rooms=1)))
    assert (refused.code, refused.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "OVERBOOKING_LIMIT_EXCEEDED")
    assert refused.metadata["allowance"] == "2"
    assert await ledger_state(db) == before

    # R-1 gives back 2 rooms: both absorb oversold ones first, so nothing is for sale yet.
    await listed.notify(reservation("R-1", revision=2, status=pb.RESERVATION_STATUS_CANCELLED, rooms=2))
    assert await stay_nights(db, 10, 2) == [(0, 0, 0)] * 2
    # R-2 gives back its 3: now they are free again.
    await listed.notify(reservation("R-2", revision=2, status=pb.RESERVATION_STATUS_CANCELLED, rooms=3))
    assert await stay_nights(db, 10, 2) == [(3, 0, 0)] * 2


async def test_partial_give_back_absorbs_oversold_first(channel, db):
    listed = await listed_hotel(channel, rooms=2)
    await set_allowance(db, 3)
    await listed.notify(reservation("R-1", rooms=1))
    await listed.notify(reservation("R-2", rooms=3))  # 1 free, 2 oversold
    assert await stay_nights(db, 10, 2) == [(0, 0, 2)] * 2
    # R-1 gives back 1: absorbs one oversold.
    await listed.notify(reservation("R-1", revision=2, status=pb.RESERVATION_STATUS_CANCELLED))
    assert await stay_nights(db, 10, 2) == [(0, 0, 1)] * 2
    # R-2 shrinks to 1 room: gives back 3 (1 absorbed, 2 free), takes 1.
    shrunk = await listed.notify(reservation("R-2", revision=2, status=pb.RESERVATION_STATUS_MODIFIED, rooms=1))
    assert shrunk.over_capacity is False
    assert await stay_nights(db, 10, 2) == [(1, 0, 0)] * 2


async def test_rooms_added_by_update_inventory_absorb_oversold_first(channel, db):
    listed = await listed_hotel(channel, rooms=3)
    await set_allowance(db, 2)
    await listed.notify(reservation("R-1", rooms=3))
    await listed.notify(reservation("R-2", rooms=2))  # nothing free: 2 oversold
    assert await stay_nights(db, 10, 3) == [(0, 0, 2), (0, 0, 2), (3, 0, 0)]
    # 3 more rooms on the stay's nights and the one after: 2 go to the oversold guests, 1 is for sale.
    updated = await listed.inventory.UpdateInventory(inv.UpdateInventoryRequest(
        request_id=request_id(), hotel_id=HOTEL, room_type_code="STD", start_date=pb_date(days_ahead(10)),
        end_date=pb_date(days_ahead(13)), total_rooms=6))
    assert [(n.total_rooms, n.available_rooms) for n in updated.nights] == [(6, 1), (6, 1), (6, 6)]
    assert await stay_nights(db, 10, 3) == [(1, 0, 0), (1, 0, 0), (6, 0, 0)]
    assert await _available(listed, 10, 3) == [1, 1, 6]
    # Nothing is oversold any more: R-2's cancellation gives its 2 rooms back for sale.
    await listed.notify(reservation("R-2", revision=2, status=pb.RESERVATION_STATUS_CANCELLED, rooms=2))
    assert await stay_nights(db, 10, 3) == [(3, 0, 0), (3, 0, 0), (6, 0, 0)]


async def test_no_allowance_means_no_overbooking(channel, db):
    listed = await listed_hotel(channel, rooms=2)
    before = await ledger_state(db)
    refused = await fails(listed.notify(reservation(rooms=3)))
    assert (refused.code, refused.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "OVERBOOKING_LIMIT_EXCEEDED")
    assert await ledger_state(db) == before


async def test_a_modification_beyond_the_allowance_keeps_the_old_stay(channel, db):
    listed = await listed_hotel(channel, rooms=2)
    await listed.notify(reservation(rooms=2))
    before = await ledger_state(db)
    refused = await fails(listed.notify(reservation(revision=2, status=pb.RESERVATION_STATUS_MODIFIED, rooms=3)))
    assert refused.reason == "OVERBOOKING_LIMIT_EXCEEDED"
    assert await ledger_state(db) == before


async def test_rooms_under_holds_stay_theirs(channel, db):
    listed = await listed_hotel(channel, rooms=3)
    await set_allowance(db, 1)
    await listed.inventory.HoldInventory(inv.HoldInventoryRequest(
        request_id=request_id(), hotel_id=HOTEL, room_type_code="STD", check_in=pb_date(days_ahead(10)),
        check_out=pb_date(days_ahead(12)), quantity=2))
    answer = await listed.notify(reservation(rooms=2))  # 1 free, 1 oversold
    assert answer.over_capacity is True
    assert await stay_nights(db, 10, 2) == [(2, 2, 1)] * 2


async def test_a_sale_of_ours_cancelled_absorbs_oversold_first(channel, db):
    listed = await listed_hotel(channel, rooms=3)
    await set_allowance(db, 1)
    held = await listed.inventory.HoldInventory(inv.HoldInventoryRequest(
        request_id=request_id(), hotel_id=HOTEL, room_type_code="STD", check_in=pb_date(days_ahead(10)),
        check_out=pb_date(days_ahead(12)), quantity=2))
    await listed.inventory.CommitHold(inv.CommitHoldRequest(request_id=request_id(), hold_id=held.hold.hold_id))
    await listed.notify(reservation(rooms=2))  # 1 free, 1 oversold
    assert await stay_nights(db, 10, 2) == [(0, 0, 1)] * 2
    # Our booking is cancelled: of its 2 rooms, 1 goes to the partner's oversold guest, 1 is for sale.
    await listed.inventory.ReleaseHold(inv.ReleaseHoldRequest(
        request_id=request_id(), hold_id=held.hold.hold_id, cancel_sale=True))
    assert await stay_nights(db, 10, 2) == [(1, 0, 0)] * 2


async def test_currency_not_the_hotels(channel, db):
    listed = await listed_hotel(channel)
    before = await ledger_state(db)
    refused = await fails(listed.notify(reservation(total_amount=money(20000, "USD"))))
    assert (refused.code, refused.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "CURRENCY_MISMATCH")
    assert refused.metadata["currency_code"] == "EUR"
    assert await ledger_state(db) == before


async def test_unknown_codes(channel, db):
    listed = await listed_hotel(channel)
    for codes in (dict(partner_property_code="NOPE"), dict(partner_room_code="NOPE")):
        refused = await fails(listed.notify(reservation(**codes)))
        assert (refused.code, refused.reason) == (grpc.StatusCode.NOT_FOUND, "LISTING_NOT_FOUND"), codes
    assert await count(db, "bookings") == 0


async def test_nights_never_loaded(channel, db):
    listed = await listed_hotel(channel, start=1, nights=30)
    refused = await fails(listed.notify(reservation(check_in=29, nights=3)))
    assert (refused.code, refused.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "NO_INVENTORY")
    assert await count(db, "bookings") == 0
