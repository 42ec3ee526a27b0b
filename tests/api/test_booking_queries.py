"""Reading bookings back (ListBookings by user and by hotel, filtered and paged; GetBooking), and cancelling a
confirmed one under the hotel's policy: free before the deadline, the fee kept after, the rest refunded at
the gateway and the rooms sold again. Embedded and production-like (tests/e2e/booking_rig.py).
"""

from __future__ import annotations

import uuid

import grpc
import pytest
from hotelagg.booking.v1 import booking_pb2 as bk

from tests.api.helpers import fails, request_id
from tests.e2e.booking_rig import booking_stack, channel_hotel, confirm, create, direct_hotel

S = bk.BookingStatus


async def _book(rig, hotel_id: str, user: str, end: str, first: int = 2) -> bk.Booking:
    """A booking of `user` left HELD, CONFIRMED or CANCELLED (cancelled while held)."""
    booking = (await rig.bookings.CreateBooking(create(hotel_id, first=first, user=user), timeout=10)).booking
    if end == "confirmed":
        booking = (await rig.bookings.ConfirmBooking(confirm(booking.booking_id), timeout=10)).booking
    elif end == "cancelled":
        booking = (await rig.bookings.CancelBooking(bk.CancelBookingRequest(
            request_id=request_id(), booking_id=booking.booking_id), timeout=10)).booking
    return booking


async def _all_pages(rig, page_size: int, **query) -> tuple[list[bk.Booking], int]:
    found, token, pages = [], "", 0
    while True:
        reply = await rig.bookings.ListBookings(bk.ListBookingsRequest(page_size=page_size, page_token=token,
                                                                        **query), timeout=10)
        found += reply.bookings
        pages += 1
        assert len(reply.bookings) <= (page_size or 50)
        token = reply.next_page_token
        if not token:
            return found, pages


def _ids(found: list[bk.Booking]) -> list[str]:
    return [b.booking_id for b in found]


async def test_list_bookings_by_user_and_by_hotel_filtered_and_paged(db, stack):
    async with booking_stack(db, stack) as rig:
        await direct_hotel(rig, rooms=10)
        await direct_hotel(rig, "other-hotel", rooms=10)
        plan = [("direct-hotel", "alice", "held"), ("direct-hotel", "alice", "confirmed"),
                ("other-hotel", "alice", "cancelled"), ("direct-hotel", "bob", "confirmed"),
                ("direct-hotel", "alice", "confirmed"), ("other-hotel", "bob", "held"),
                ("direct-hotel", "alice", "cancelled")]
        made = [await _book(rig, hotel, user, end, first=2 + i) for i, (hotel, user, end) in enumerate(plan)]
        newest_first = list(reversed(made))

        alice, pages = await _all_pages(rig, 2, user_id="alice")
        assert _ids(alice) == [b.booking_id for b in newest_first if b.user_id == "alice"] and pages == 3
        assert [b.create_time.ToNanoseconds() for b in alice] == \
            sorted((b.create_time.ToNanoseconds() for b in alice), reverse=True)
        confirmed, _ = await _all_pages(rig, 1, user_id="alice", statuses=[S.BOOKING_STATUS_CONFIRMED])
        assert _ids(confirmed) == [b.booking_id for b in newest_first
                                   if b.user_id == "alice" and b.status == S.BOOKING_STATUS_CONFIRMED]
        assert len(confirmed) == 2
        open_or_off, _ = await _all_pages(rig, 50, user_id="alice",
                                          statuses=[S.BOOKING_STATUS_HELD, S.BOOKING_STATUS_CANCELLED])
        assert {b.status for b in open_or_off} == {S.BOOKING_STATUS_HELD, S.BOOKING_STATUS_CANCELLED}
        assert len(open_or_off) == 3

        hotel, pages = await _all_pages(rig, 3, hotel_id="direct-hotel")
        assert _ids(hotel) == [b.booking_id for b in newest_first if b.hotel_id == "direct-hotel"] and pages == 2
        other, _ = await _all_pages(rig, 0, hotel_id="other-hotel", statuses=[S.BOOKING_STATUS_HELD])
        assert [(b.user_id, b.hotel_id) for b in other] == [("bob", "other-hotel")]
        nobody = await rig.bookings.ListBookings(bk.ListBookingsRequest(user_id="carol"), timeout=10)
        assert list(nobody.bookings) == [] and nobody.next_page_token == ""

        first = await rig.bookings.ListBookings(bk.ListBookingsRequest(user_id="alice", page_size=2), timeout=10)
        moved = await fails(rig.bookings.ListBookings(bk.ListBookingsRequest(
            user_id="bob", page_size=2, page_token=first.next_page_token), timeout=10))
        assert (moved.code, moved.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["page_token"])

        got = (await rig.bookings.GetBooking(bk.GetBookingRequest(booking_id=made[1].booking_id))).booking
        assert got.status == S.BOOKING_STATUS_CONFIRMED
        assert got == next(b for b in alice if b.booking_id == got.booking_id)  # the list shows it whole


async def test_unknown_bookings_are_not_found_on_every_rpc(db, stack):
    async with booking_stack(db, stack) as rig:
        unknown = str(uuid.uuid4())
        calls = [rig.bookings.GetBooking(bk.GetBookingRequest(booking_id=unknown), timeout=10),
                 rig.bookings.ConfirmBooking(confirm(unknown), timeout=10),
                 rig.bookings.CancelBooking(bk.CancelBookingRequest(request_id=request_id(), booking_id=unknown),
                                            timeout=10)]
        for call in calls:
            missing = await fails(call)
            assert (missing.code, missing.reason) == (grpc.StatusCode.NOT_FOUND, "BOOKING_NOT_FOUND")
            assert missing.metadata == {"booking_id": unknown}
            assert missing.domain.startswith("hotelagg.booking")


@pytest.mark.parametrize("kind", ["channel", "direct"])
async def test_cancelling_a_confirmed_booking_before_the_deadline_refunds_everything(db, stack, kind):
    make, hotel_id = (channel_hotel, "cm-book-hotel") if kind == "channel" else (direct_hotel, "direct-hotel")
    async with booking_stack(db, stack) as rig:
        await make(rig, free_cancellation_hours=48, cancellation_fee_percent=30)
        booking = await _book(rig, hotel_id, "alice", "confirmed", first=6)
        total = booking.total_amount.amount_minor
        assert await rig.nights(hotel_id, 6, 1) == [(4, 0, 4)]
        cancel = bk.CancelBookingRequest(request_id=request_id(), booking_id=booking.booking_id, reason="plans")
        cancelled = (await rig.bookings.CancelBooking(cancel, timeout=10)).booking
        assert cancelled.status == S.BOOKING_STATUS_CANCELLED
        assert (cancelled.paid_amount.amount_minor, cancelled.fee_amount.amount_minor) == (0, 0)
        payment = await rig.side.payment(booking.payment_reference)
        assert (payment["status"], payment["captured_minor"], payment["refunded_minor"]) == ("refunded", total, total)
        assert (await rig.bookings.CancelBooking(cancel, timeout=10)).booking == cancelled  # replayed
        assert await rig.nights(hotel_id, 6, 1) == [(5, 0, 5)]
        if kind == "channel":
            assert rig.side.reservation_status(booking.channel_manager_reservation_id) == "cancelled"


@pytest.mark.parametrize("percent", [30, 100])
async def test_cancelling_a_confirmed_booking_after_the_deadline_keeps_the_fee(db, stack, percent):
    async with booking_stack(db, stack) as rig:
        await channel_hotel(rig, free_cancellation_hours=24 * 30, cancellation_fee_percent=percent, price=12345)
        booking = await _book(rig, "cm-book-hotel", "alice", "confirmed", first=2)
        total, fee = booking.total_amount.amount_minor, 12345 * percent // 100
        stale = await fails(rig.bookings.CancelBooking(bk.CancelBookingRequest(
            request_id=request_id(), booking_id=booking.booking_id, etag="booking-stale"), timeout=10))
        assert (stale.code, stale.reason) == (grpc.StatusCode.ABORTED, "ETAG_MISMATCH")
        cancelled = (await rig.bookings.CancelBooking(bk.CancelBookingRequest(
            request_id=request_id(), booking_id=booking.booking_id, etag=booking.etag), timeout=10)).booking
        assert cancelled.status == S.BOOKING_STATUS_CANCELLED
        assert (cancelled.paid_amount.amount_minor, cancelled.fee_amount.amount_minor) == (fee, fee)
        payment = await rig.side.payment(booking.payment_reference)
        status = "partially_refunded" if fee < total else "captured"
        assert (payment["status"], payment["captured_minor"], payment["refunded_minor"]) == \
            (status, total, total - fee)
        assert rig.side.reservation_status(booking.channel_manager_reservation_id) == "cancelled"
        assert await rig.nights("cm-book-hotel", 2, 1) == [(5, 0, 5)]
        again = (await rig.bookings.CancelBooking(bk.CancelBookingRequest(
            request_id=request_id(), booking_id=booking.booking_id), timeout=10)).booking
        assert again == cancelled  # cancelling a cancelled booking changes nothing
