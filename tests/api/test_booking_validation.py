"""Bad input on every BookingService RPC → INVALID_ARGUMENT naming the field (BadRequest), and nothing written:
no booking, hold, idempotency key or queued message here, no request at the gateway or the channel manager."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import grpc
from hotelagg.booking.v1 import booking_pb2 as bk
from hotelagg.common.v1 import common_pb2
from sqlalchemy import func, select

from servers.storage.tables import bookings, holds, idempotency_keys, outbox
from tests.api.helpers import days_ahead, fails, pb_date, request_id
from tests.e2e.booking_rig import booking_stack, channel_hotel, create

HOTEL = "cm-book-hotel"


def _set(**fields) -> Callable[[bk.CreateBookingRequest], None]:
    def change(request: bk.CreateBookingRequest) -> None:
        for name, value in fields.items():
            target, _, attr = name.rpartition(".")
            setattr(getattr(request, target) if target else request, attr, value)
    return change


def _clear(field: str) -> Callable[[bk.CreateBookingRequest], None]:
    return lambda request: request.ClearField(field)


def _date(field: str, value: common_pb2.Date) -> Callable[[bk.CreateBookingRequest], None]:
    return lambda request: getattr(request, field).CopyFrom(value)


CREATE_CASES = [
    (_set(request_id=""), ["request_id"]),
    (_set(request_id="k" * 129), ["request_id"]),
    (_set(request_id="tab\there"), ["request_id"]),
    (_set(user_id=""), ["user_id"]),
    (_set(user_id="no spaces allowed"), ["user_id"]),
    (_set(hotel_id="CM_Book_Hotel"), ["hotel_id"]),
    (_set(hotel_id=""), ["hotel_id"]),
    (_set(room_type_code="std"), ["room_type_code"]),
    (_clear("check_in"), ["check_in"]),
    (_clear("check_out"), ["check_out"]),
    (_date("check_in", common_pb2.Date(year=2030, month=2, day=30)), ["check_in"]),
    (_date("check_out", pb_date(days_ahead(2))), ["check_out"]),  # = check_in
    (_date("check_out", pb_date(days_ahead(40))), ["check_out"]),  # longer than 30 nights
    (lambda r: (r.check_in.CopyFrom(pb_date(days_ahead(-5))), r.check_out.CopyFrom(pb_date(days_ahead(-4)))),
     ["check_in"]),
    (_set(rooms=0), ["rooms"]),
    (_set(rooms=11, guests=11), ["rooms"]),
    (_set(guests=0), ["guests"]),
    (_set(guests=-1), ["guests"]),
    (_set(payment_token=""), ["payment_token"]),
    (_set(payment_token="t" * 201), ["payment_token"]),
    (_set(**{"lead_guest.email": "not-an-address"}), ["lead_guest.email"]),
    (_set(**{"lead_guest.given_name": "A" * 201}), ["lead_guest.given_name"]),
    (_set(rooms=0, guests=0, payment_token=""), ["rooms", "guests", "payment_token"]),
    (_set(guests=3), ["guests"]),  # STD sleeps 2
]


async def _written(rig) -> tuple:
    async with rig.db.reading() as conn:
        rows = tuple([(await conn.execute(select(func.count()).select_from(t))).scalar_one()
                      for t in (bookings, holds, idempotency_keys, outbox)])
    gateway = (await rig.side.gateway_stats())["requests"]["total"]
    return rows, gateway, len(rig.side.cm_state.reservations)


async def _invalid(call, fields: list[str], what: str) -> None:
    refused = await fails(call)
    assert refused.code == grpc.StatusCode.INVALID_ARGUMENT, (what, refused)
    assert sorted(refused.fields) == sorted(fields), (what, refused.fields)


async def test_create_booking_names_every_bad_field_and_writes_nothing(db, stack):
    async with booking_stack(db, stack) as rig:
        await channel_hotel(rig)
        before = await _written(rig)
        for change, fields in CREATE_CASES:
            request = create(HOTEL, first=2, nights=1)
            request.lead_guest.email = "ada@example.com"
            change(request)
            await _invalid(rig.bookings.CreateBooking(request, timeout=10), fields, request)
        request = create(HOTEL)
        request.room_type_code = "SUITE"
        missing = await fails(rig.bookings.CreateBooking(request, timeout=10))
        assert (missing.code, missing.reason) == (grpc.StatusCode.NOT_FOUND, "ROOM_TYPE_NOT_FOUND")
        assert await _written(rig) == before
        valid = (await rig.bookings.CreateBooking(create(HOTEL), timeout=10)).booking
        assert valid.status == bk.BOOKING_STATUS_HELD  # the same hotel takes a good request


async def test_create_booking_for_an_unknown_hotel_is_not_found(db, stack):
    async with booking_stack(db, stack) as rig:
        before = await _written(rig)
        missing = await fails(rig.bookings.CreateBooking(create("no-such-hotel"), timeout=10))
        assert await _written(rig) == before
        assert (missing.code, missing.reason) == (grpc.StatusCode.NOT_FOUND, "HOTEL_NOT_FOUND")


async def test_confirm_cancel_get_and_list_name_every_bad_field_and_write_nothing(db, stack):
    async with booking_stack(db, stack) as rig:
        await channel_hotel(rig)
        held = (await rig.bookings.CreateBooking(create(HOTEL), timeout=10)).booking
        before = await _written(rig)
        b = rig.bookings
        cases = [
            (b.ConfirmBooking(bk.ConfirmBookingRequest(request_id=request_id(), booking_id="")), ["booking_id"]),
            (b.ConfirmBooking(bk.ConfirmBookingRequest(request_id=request_id(), booking_id="b-42")), ["booking_id"]),
            (b.ConfirmBooking(bk.ConfirmBookingRequest(booking_id=held.booking_id)), ["request_id"]),
            (b.ConfirmBooking(bk.ConfirmBookingRequest(request_id="r" * 300, booking_id=held.booking_id)),
             ["request_id"]),
            (b.CancelBooking(bk.CancelBookingRequest(request_id=request_id(), booking_id="nope")), ["booking_id"]),
            (b.CancelBooking(bk.CancelBookingRequest(booking_id=held.booking_id)), ["request_id"]),
            (b.CancelBooking(bk.CancelBookingRequest(request_id=request_id(), booking_id=held.booking_id,
                                                     reason="r" * 501)), ["reason"]),
            (b.GetBooking(bk.GetBookingRequest()), ["booking_id"]),
            (b.GetBooking(bk.GetBookingRequest(booking_id="'; drop table bookings; --")), ["booking_id"]),
            (b.ListBookings(bk.ListBookingsRequest()), ["user_id"]),
            (b.ListBookings(bk.ListBookingsRequest(user_id="alice", hotel_id=HOTEL)), ["user_id"]),
            (b.ListBookings(bk.ListBookingsRequest(hotel_id="Not A Hotel")), ["hotel_id"]),
            (b.ListBookings(bk.ListBookingsRequest(user_id="with space")), ["user_id"]),
            (b.ListBookings(bk.ListBookingsRequest(user_id="alice", statuses=[0])), ["statuses[0]"]),
            (b.ListBookings(bk.ListBookingsRequest(user_id="alice", statuses=[3, 99])), ["statuses[1]"]),
            (b.ListBookings(bk.ListBookingsRequest(user_id="alice", page_size=501)), ["page_size"]),
            (b.ListBookings(bk.ListBookingsRequest(user_id="alice", page_size=-1)), ["page_size"]),
            (b.ListBookings(bk.ListBookingsRequest(user_id="alice", page_token="garbage")), ["page_token"]),
        ]
        for call, fields in cases:
            await _invalid(call, fields, fields)
        assert await _written(rig) == before
        unchanged = bk.Booking()
        unchanged.CopyFrom(held)
        unchanged.ClearField("lead_guest")  # shown to the booking's owner only (x-booking-token)
        assert (await rig.booking(held.booking_id)) == unchanged
        assert rig.side.reservation_status(held.channel_manager_reservation_id) == "held"
        assert await rig.side.payments() == {"authorized": 1}
        unknown = await fails(b.GetBooking(bk.GetBookingRequest(booking_id=str(uuid.uuid4()))))
        assert unknown.code == grpc.StatusCode.NOT_FOUND
