"""NotifyReservation at its edges: every bad field named and nothing written, and a burst of partner
sales on a small hotel that ends exactly at its overbooking allowance."""

from __future__ import annotations

import asyncio

import grpc
from hotelagg.common.v1 import common_pb2
from hotelagg.partner.v1 import partner_pb2 as pb

from tests.api.helpers import days_ahead, fails, failure, money, pb_date, request_id
from tests.api.partner_helpers import (
    count,
    ledger_state,
    listed_hotel,
    reservation,
    rows,
    set_allowance,
    stay_nights,
)


def _dates(check_in: int, check_out: int) -> dict:
    return dict(check_in=pb_date(days_ahead(check_in)), check_out=pb_date(days_ahead(check_out)))


BAD = [
    (dict(partner_reservation_id=""), ["reservation.partner_reservation_id"]),
    (dict(partner_reservation_id="has space"), ["reservation.partner_reservation_id"]),
    (dict(partner_reservation_id="r" * 101), ["reservation.partner_reservation_id"]),
    (dict(revision=0), ["reservation.revision"]),
    (dict(status=pb.RESERVATION_STATUS_UNSPECIFIED), ["reservation.status"]),
    (dict(partner_property_code=""), ["reservation.partner_property_code"]),
    (dict(partner_room_code="a b"), ["reservation.partner_room_code"]),
    (dict(rooms=0, guests=1), ["reservation.rooms"]),
    (dict(rooms=51, guests=51), ["reservation.rooms"]),
    (dict(guests=0), ["reservation.guests"]),
    (dict(guest_name="n" * 201), ["reservation.guest_name"]),
    (_dates(12, 12), ["reservation.check_out"]),
    (_dates(12, 11), ["reservation.check_out"]),
    (_dates(10, 50), ["reservation.check_out"]),  # longer than a stay may be
    (_dates(-5, -3), ["reservation.check_in"]),
    (dict(check_in=common_pb2.Date(year=2030, month=2, day=30), check_out=pb_date(days_ahead(12))),
     ["reservation.check_in"]),
    (dict(total_amount=money(-1)), ["reservation.total_amount.amount_minor"]),
    (dict(total_amount=money(100, "eur")), ["reservation.total_amount.currency_code"]),
    (dict(rooms=0, guests=0, revision=0), ["reservation.rooms", "reservation.guests", "reservation.revision"]),
]


async def test_bad_fields_are_named_and_nothing_is_written(channel, db):
    listed = await listed_hotel(channel)
    before = await ledger_state(db)
    keys = await count(db, "idempotency_keys")
    for fields, names in BAD:
        refused = await fails(listed.notify(reservation(**fields)))
        assert (refused.code, refused.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD"), fields
        assert sorted(refused.fields) == sorted(names), (fields, refused.fields)
    for missing in ("check_in", "check_out", "total_amount"):
        r = reservation()
        r.ClearField(missing)
        refused = await fails(listed.notify(r))
        expected = "reservation.total_amount.currency_code" if missing == "total_amount" else f"reservation.{missing}"
        assert (refused.code, refused.fields) == (grpc.StatusCode.INVALID_ARGUMENT, [expected]), missing
    no_reservation = await fails(listed.stub.NotifyReservation(
        pb.NotifyReservationRequest(request_id=request_id()), metadata=listed.auth))
    assert no_reservation.fields == ["reservation"]
    no_key = await fails(listed.stub.NotifyReservation(
        pb.NotifyReservationRequest(reservation=reservation()), metadata=listed.auth))
    assert no_key.fields == ["request_id"]
    assert await ledger_state(db) == before
    assert await count(db, "idempotency_keys") == keys


async def test_a_cancellation_may_come_after_the_stay_began(channel, db):
    listed = await listed_hotel(channel, start=0)
    await listed.notify(reservation(check_in=0, nights=3))
    # A check-in two days ago: a booking or change is refused, a cancellation is not.
    cancel = reservation(revision=2, status=pb.RESERVATION_STATUS_CANCELLED, **_dates(-2, 2))
    refused = await fails(listed.notify(reservation(revision=2, status=pb.RESERVATION_STATUS_MODIFIED,
                                                    **_dates(-2, 2))))
    assert refused.fields == ["reservation.check_in"]
    answer = await listed.notify(cancel)
    assert answer.revision == 2
    [booking] = await rows(db, "bookings")
    assert booking.status == "cancelled"
    assert await stay_nights(db, 0, 3) == [(5, 0, 0)] * 3


async def test_concurrent_sales_stop_at_the_allowance(channel, db):
    listed = await listed_hotel(channel, rooms=5)
    await set_allowance(db, 2)

    async def sell(i: int):
        try:
            return await listed.notify(reservation(f"R-{i}", check_in=10, nights=2))
        except grpc.aio.AioRpcError as error:
            return failure(error)

    answers = await asyncio.gather(*(sell(i) for i in range(20)))
    accepted = [a for a in answers if isinstance(a, pb.NotifyReservationResponse)]
    refused = [a for a in answers if not isinstance(a, pb.NotifyReservationResponse)]
    assert len(accepted) == 7, [a.reason for a in refused]
    assert sorted(a.over_capacity for a in accepted) == [False] * 5 + [True] * 2
    assert {(r.code, r.reason) for r in refused} == {
        (grpc.StatusCode.FAILED_PRECONDITION, "OVERBOOKING_LIMIT_EXCEEDED")}
    assert await stay_nights(db, 10, 2) == [(0, 0, 2)] * 2
    bookings = await rows(db, "bookings")
    assert len(bookings) == 7
    assert sum(b.over_capacity for b in bookings) == 2
    assert {b.id for b in bookings} == {a.booking_id for a in accepted}
