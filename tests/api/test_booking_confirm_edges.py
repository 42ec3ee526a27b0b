"""ConfirmBooking at its edges (issue 14, item 15), embedded and production-like (tests/e2e/booking_rig.py):
a channel manager that refuses our API key (rotated) is our problem, not a refusal of the reservation —
the guest stays charged and held, and the confirm goes through once the key works again; and a confirm in
its hold's last second is never charged and then refunded: the rooms are sold here before the card is,
and stay the guest's while a failing capture is tried again; a channel manager that says the reservation
is gone (hold_expired) still refunds at once.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import grpc
import pytest
from hotelagg.booking.v1 import booking_pb2 as bk

from sandbox.channel_manager.plumbing import CONFIG
from tests.api.helpers import failure
from tests.e2e.booking_rig import CAPTURE, booking_stack, channel_hotel, confirm, create, hold_ends, until

HOTEL = "cm-book-hotel"
RETRIES = dict(retry_tiers_seconds=[0.2, 0.5, 1, 2], breaker_reset_seconds=0.5)


async def test_a_channel_manager_refusing_our_api_key_leaves_the_booking_paid_and_retried_not_refunded(db, stack):
    async with booking_stack(db, stack, **RETRIES) as rig:
        await channel_hotel(rig)
        held = (await rig.bookings.CreateBooking(create(HOTEL), timeout=10)).booking
        sandbox_config = rig.side.cm_runner.app[CONFIG]
        key, sandbox_config.api_key = sandbox_config.api_key, "rotated-key"  # ours is refused: 401
        answer = (await rig.bookings.ConfirmBooking(confirm(held.booking_id), timeout=10)).booking
        assert answer.status == bk.BOOKING_STATUS_HELD
        assert answer.paid_amount.amount_minor == held.total_amount.amount_minor
        payment = await rig.side.payment(held.payment_reference)
        assert (payment["status"], payment["refunded_minor"]) == ("captured", 0)
        assert rig.side.reservation_status(held.channel_manager_reservation_id) == "held"

        sandbox_config.api_key = key  # the operator puts the new key in place
        done = await rig.until_status(held.booking_id, bk.BOOKING_STATUS_CONFIRMED, timeout=10)
        assert done.paid_amount.amount_minor == held.total_amount.amount_minor
        assert rig.side.reservation_status(held.channel_manager_reservation_id) == "confirmed"
        assert await rig.side.payments() == {"captured": 1}


async def test_a_confirm_in_the_holds_last_second_is_not_charged_then_refunded(db, stack):
    async with booking_stack(db, stack, payment_timeout_seconds=5) as rig:
        await channel_hotel(rig)
        held = (await rig.bookings.CreateBooking(create(HOTEL), timeout=10)).booking
        await hold_ends(rig.db, held.booking_id, timedelta(seconds=1))
        await rig.side.stall(CAPTURE, "before", ms=1500)  # the capture outlasts the hold
        confirming = asyncio.ensure_future(rig.bookings.ConfirmBooking(confirm(held.booking_id), timeout=10))

        async def capturing() -> bool:
            return await rig.side.stalled(CAPTURE) == 1

        await until(capturing, 5, "the capture reached the gateway")
        answer = (await confirming).booking
        assert answer.status == bk.BOOKING_STATUS_CONFIRMED, answer
        assert answer.paid_amount.amount_minor == held.total_amount.amount_minor
        payment = await rig.side.payment(held.payment_reference)
        assert (payment["status"], payment["captured_minor"], payment["refunded_minor"]) == \
            ("captured", held.total_amount.amount_minor, 0)
        assert rig.side.reservation_status(held.channel_manager_reservation_id) == "confirmed"
        assert await rig.nights(HOTEL, 2, 1) == [(4, 0, 4)]


async def test_a_confirm_whose_capture_fails_keeps_its_rooms_and_is_finished_by_the_guests_retry(db, stack):
    async with booking_stack(db, stack) as rig:
        await channel_hotel(rig)
        held = (await rig.bookings.CreateBooking(create(HOTEL, token="tok_capture_fails"), timeout=10)).booking
        for _ in range(2):  # the gateway fails the first two captures (500, nothing taken)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await rig.bookings.ConfirmBooking(confirm(held.booking_id), timeout=10)
            assert (caught.value.code(), failure(caught.value).reason) == \
                (grpc.StatusCode.UNAVAILABLE, "PAYMENT_UNAVAILABLE")
            assert (await rig.booking(held.booking_id)).status == bk.BOOKING_STATUS_HELD
            assert await rig.nights(HOTEL, 2, 1) == [(4, 0, 4)], "the rooms were not kept for the guest"
        done = (await rig.bookings.ConfirmBooking(confirm(held.booking_id), timeout=10)).booking
        assert done.status == bk.BOOKING_STATUS_CONFIRMED
        assert done.paid_amount.amount_minor == held.total_amount.amount_minor
        assert await rig.side.payments() == {"captured": 1}
        assert rig.side.reservation_status(held.channel_manager_reservation_id) == "confirmed"
        assert await rig.nights(HOTEL, 2, 1) == [(4, 0, 4)]


async def test_a_confirm_the_channel_manager_refuses_for_good_answers_cancelled_and_refunded(db, stack):
    async with booking_stack(db, stack) as rig:
        await channel_hotel(rig)
        held = (await rig.bookings.CreateBooking(create(HOTEL), timeout=10)).booking
        rig.side.cm_state.reservations[held.channel_manager_reservation_id].expires_at = time.time() - 1
        answer = (await rig.bookings.ConfirmBooking(confirm(held.booking_id), timeout=10)).booking
        assert answer.status == bk.BOOKING_STATUS_CANCELLED and answer.paid_amount.amount_minor == 0
        payment = await rig.side.payment(held.payment_reference)
        assert (payment["status"], payment["refunded_minor"]) == ("refunded", held.total_amount.amount_minor)
        assert await rig.live_holds() == 0
