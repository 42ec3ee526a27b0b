"""Holds that lapse unpaid (ARCHITECTURE §5 rule 2): the booking EXPIRES, its authorization is voided, its
rooms are sellable again — here and at the channel manager — and a new booking for the last room succeeds.
Embedded and production-like (tests/e2e/booking_rig.py).
"""

from __future__ import annotations

import grpc
from hotelagg.booking.v1 import booking_pb2 as bk

from servers.booking import jobs
from tests.api.helpers import fails
from tests.e2e.booking_rig import booking_stack, channel_hotel, confirm, create, direct_hotel, hold_ends


async def test_the_expiry_job_expires_voids_and_frees_the_last_room_at_the_channel_manager(db, stack):
    async with booking_stack(db, stack) as rig:
        await channel_hotel(rig, rooms=1)
        first = (await rig.bookings.CreateBooking(create("cm-book-hotel", user="slow"), timeout=10)).booking
        assert rig.side.reservation_status(first.channel_manager_reservation_id) == "held"
        await hold_ends(db, first.booking_id)
        late = await fails(rig.bookings.ConfirmBooking(confirm(first.booking_id), timeout=10))
        assert (late.code, late.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "HOLD_EXPIRED")

        assert await jobs.expire_bookings(rig.deps) == 1
        assert await jobs.expire_bookings(rig.deps) == 0  # done once
        expired = await rig.booking(first.booking_id)
        assert expired.status == bk.BOOKING_STATUS_EXPIRED and expired.paid_amount.amount_minor == 0
        assert (await rig.side.payment(first.payment_reference))["status"] == "voided"
        assert rig.side.reservation_status(first.channel_manager_reservation_id) == "cancelled"
        await rig.settled()
        assert await rig.nights("cm-book-hotel", 2, 1) == [(1, 0, 1)]

        second = (await rig.bookings.CreateBooking(create("cm-book-hotel", user="quick"), timeout=10)).booking
        done = (await rig.bookings.ConfirmBooking(confirm(second.booking_id), timeout=10)).booking
        assert done.status == bk.BOOKING_STATUS_CONFIRMED
        assert rig.side.reservation_status(second.channel_manager_reservation_id) == "confirmed"
        assert await rig.side.payments() == {"voided": 1, "captured": 1}
        assert await rig.nights("cm-book-hotel", 2, 1) == [(0, 0, 0)]


async def test_an_expired_hold_never_blocks_a_sale_and_the_job_expires_it_by_itself(db, stack):
    async with booking_stack(db, stack, booking_expiry_interval_seconds=0.2) as rig:
        await direct_hotel(rig, rooms=1)
        first = (await rig.bookings.CreateBooking(create("direct-hotel", user="slow"), timeout=10)).booking
        sold_out = await fails(rig.bookings.CreateBooking(create("direct-hotel", user="quick"), timeout=10))
        assert sold_out.reason == "SOLD_OUT"
        await hold_ends(db, first.booking_id)
        second = (await rig.bookings.CreateBooking(create("direct-hotel", user="quick"), timeout=10)).booking
        assert second.status == bk.BOOKING_STATUS_HELD
        expired = await rig.until_status(first.booking_id, bk.BOOKING_STATUS_EXPIRED, timeout=5)
        assert not expired.HasField("expire_time") or expired.expire_time.seconds == 0
        assert (await rig.side.payment(first.payment_reference))["status"] == "voided"
        done = (await rig.bookings.ConfirmBooking(confirm(second.booking_id), timeout=10)).booking
        assert done.status == bk.BOOKING_STATUS_CONFIRMED
        assert await rig.nights("direct-hotel", 2, 1) == [(0, 0, 0)]
        assert (await rig.booking(second.booking_id)).status == bk.BOOKING_STATUS_CONFIRMED  # not expired too
