"""A ConfirmBooking answered HELD while the channel manager was down is not replayed under its request
id once the booking is finished (issue 14, item 13): the retry answers CONFIRMED."""

from __future__ import annotations

import asyncio

from hotelagg.booking.v1 import booking_pb2 as bk

from tests.api.test_booking_faults import CLIENT_TIMEOUT, HOTEL, RETRIES
from tests.e2e.booking_rig import booking_stack, channel_hotel, confirm, create


async def test_a_retried_confirm_tells_how_the_booking_ended_not_the_held_it_first_answered(db, stack):
    async with booking_stack(db, stack, **RETRIES) as rig:
        await channel_hotel(rig)
        held = (await rig.bookings.CreateBooking(create(HOTEL), timeout=CLIENT_TIMEOUT)).booking
        await rig.side.faults(outage=True)
        request = confirm(held.booking_id)
        first = (await rig.bookings.ConfirmBooking(request, timeout=CLIENT_TIMEOUT)).booking
        assert first.status == bk.BOOKING_STATUS_HELD
        await asyncio.sleep(0.3)
        await rig.side.faults(outage=False)
        await rig.until_status(held.booking_id, bk.BOOKING_STATUS_CONFIRMED, timeout=8)
        retried = (await rig.bookings.ConfirmBooking(request, timeout=CLIENT_TIMEOUT)).booking
        assert retried.status == bk.BOOKING_STATUS_CONFIRMED
        again = (await rig.bookings.ConfirmBooking(request, timeout=CLIENT_TIMEOUT)).booking
        assert again == retried
        assert await rig.side.payments() == {"captured": 1}
