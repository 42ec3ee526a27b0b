"""One request_id, one booking (ARCHITECTURE §5 rule 3), on a channel-managed and a direct hotel, embedded
and production-like (see tests/e2e/booking_rig.py): 10 concurrent identical CreateBooking make one booking,
one hold, one authorization at the gateway and one reservation at the sandbox; the key with another body is
refused; ConfirmBooking sent concurrently (same key or not) captures once and confirms once.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import grpc
import pytest
from hotelagg.booking.v1 import booking_pb2 as bk

from servers.storage.tables import bookings, holds
from tests.api.helpers import fails, failure
from tests.e2e.booking_rig import booking_stack, channel_hotel, confirm, create, direct_hotel

HOTELS = {"channel": ("cm-book-hotel", channel_hotel), "direct": ("direct-hotel", direct_hotel)}


def _outcomes(results) -> Counter:
    return Counter(r.booking.booking_id if not isinstance(r, grpc.aio.AioRpcError)
                   else (r.code().name, failure(r).reason) for r in results)


@pytest.mark.parametrize("kind", ["channel", "direct"])
async def test_concurrent_identical_creates_make_one_of_everything(db, stack, kind):
    hotel_id, make = HOTELS[kind]
    async with booking_stack(db, stack) as rig:
        await make(rig)
        request = create(hotel_id, first=3, nights=2)
        results = await asyncio.gather(*(rig.bookings.CreateBooking(request, timeout=20) for _ in range(10)),
                                       return_exceptions=True)
        outcomes = _outcomes(results)
        made = [key for key in outcomes if isinstance(key, str)]
        assert len(made) == 1, outcomes
        assert set(outcomes) - {made[0]} <= {("ABORTED", "REQUEST_IN_PROGRESS")}, outcomes
        booking = await rig.booking(made[0])
        assert booking.status == bk.BOOKING_STATUS_HELD
        assert await rig.count(bookings) == 1 and await rig.count(holds) == 1
        assert await rig.nights(hotel_id, 3, 2) == [(5, 1, 4)] * 2
        assert await rig.side.payments() == {"authorized": 1}
        assert (await rig.side.gateway_stats())["requests"]["by_route"].get("POST /v1/payments") == 1
        if kind == "channel":
            assert await rig.side.our_reservations() == {"held": 1}
            assert rig.side.reservation_status(booking.channel_manager_reservation_id) == "held"

        replay = await rig.bookings.CreateBooking(request, timeout=10)
        owned = (await rig.bookings.GetBooking(bk.GetBookingRequest(booking_id=made[0]),
                                               metadata=(("x-booking-token", replay.access_token),))).booking
        assert replay.booking == owned and owned.etag == booking.etag, "a replay must answer the stored booking"
        other = create(hotel_id, first=3, nights=2, rooms=2)
        other.request_id = request.request_id
        reused = await fails(rig.bookings.CreateBooking(other, timeout=10))
        assert (reused.code, reused.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "IDEMPOTENCY_KEY_REUSED")
        assert await rig.count(bookings) == 1 and await rig.count(holds) == 1
        assert await rig.side.payments() == {"authorized": 1}
        if kind == "channel":
            assert await rig.side.our_reservations() == {"held": 1}


@pytest.mark.parametrize("kind", ["channel", "direct"])
async def test_concurrent_confirms_capture_once_and_confirm_once(db, stack, kind):
    hotel_id, make = HOTELS[kind]
    async with booking_stack(db, stack) as rig:
        await make(rig)
        held = (await rig.bookings.CreateBooking(create(hotel_id), timeout=10)).booking
        same = confirm(held.booking_id)
        calls = [same] * 5 + [confirm(held.booking_id) for _ in range(5)]
        results = await asyncio.gather(*(rig.bookings.ConfirmBooking(c, timeout=20) for c in calls),
                                       return_exceptions=True)
        outcomes = _outcomes(results)
        assert set(outcomes) - {held.booking_id} <= {("ABORTED", "REQUEST_IN_PROGRESS")}, outcomes
        assert outcomes[held.booking_id] >= 6  # every distinct key, and the first of the shared one
        replay = (await rig.bookings.ConfirmBooking(same, timeout=10)).booking
        assert replay.status == bk.BOOKING_STATUS_CONFIRMED
        assert await rig.side.payments() == {"captured": 1}
        assert (await rig.side.gateway_stats())["totals"]["EUR"]["captured_minor"] == held.total_amount.amount_minor
        assert await rig.nights(hotel_id, 2, 1) == [(4, 0, 4)]
        if kind == "channel":
            assert await rig.side.our_reservations() == {"confirmed": 1}
        other = bk.ConfirmBookingRequest(request_id=same.request_id, booking_id=held.booking_id, etag="x")
        reused = await fails(rig.bookings.ConfirmBooking(other, timeout=10))
        assert (reused.code, reused.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "IDEMPOTENCY_KEY_REUSED")


async def test_a_declined_create_frees_its_key_for_a_corrected_retry(db, stack):
    async with booking_stack(db, stack) as rig:
        await channel_hotel(rig)
        request = create("cm-book-hotel", token="tok_declined")
        declined = await fails(rig.bookings.CreateBooking(request, timeout=10))
        assert (declined.code, declined.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "PAYMENT_DECLINED")
        assert await rig.side.our_reservations() == {"cancelled": 1}
        assert await rig.live_holds() == 0 and await rig.held_rooms() == 0
        request.payment_token = "tok_visa"
        retried = (await rig.bookings.CreateBooking(request, timeout=10)).booking
        assert retried.status == bk.BOOKING_STATUS_HELD
        assert await rig.side.our_reservations() == {"cancelled": 1, "held": 1}
