"""A channel manager that is down, slow, or changed its mind (ARCHITECTURE §5 rules 5, 7, 8), embedded and
production-like (tests/e2e/booking_rig.py): CreateBooking fails fast with UNAVAILABLE + RetryInfo and
leaves nothing held anywhere; a payment captured while the confirm cannot get through is finished by the
retry queue once it can — CONFIRMED, or refunded and CANCELLED when the channel manager's hold is gone.
"""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from hotelagg.booking.v1 import booking_pb2 as bk

from servers.storage.tables import bookings, holds
from tests.api.helpers import failure
from tests.e2e.booking_rig import booking_stack, channel_hotel, confirm, create, retry_delay

HOTEL = "cm-book-hotel"
CLIENT_TIMEOUT = 10.0
RETRIES = dict(retry_tiers_seconds=[0.2, 0.5, 1, 2], breaker_reset_seconds=0.5)


async def _refused(call) -> tuple[grpc.aio.AioRpcError, float]:
    began = time.monotonic()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value, time.monotonic() - began


def _unavailable(error: grpc.aio.AioRpcError) -> None:
    assert (error.code(), failure(error).reason) == (grpc.StatusCode.UNAVAILABLE, "CHANNEL_MANAGER_UNAVAILABLE")
    assert (retry_delay(error) or 0) > 0, "UNAVAILABLE without RetryInfo"


async def _nothing_held(rig) -> None:
    assert await rig.live_holds() == 0 and await rig.held_rooms() == 0
    assert await rig.nights(HOTEL, 2, 1) == [(5, 0, 5)]
    assert set(await rig.side.our_reservations()) <= {"cancelled"}, "a reservation is left at the sandbox"
    assert set(await rig.side.payments()) <= {"voided"}
    assert await rig.count(bookings, bookings.c.status != "failed") == 0


async def test_an_outage_fails_create_fast_and_leaves_no_hold(db, stack):
    async with booking_stack(db, stack) as rig:
        await channel_hotel(rig)
        await rig.side.faults(outage=True)
        error, took = await _refused(rig.bookings.CreateBooking(create(HOTEL), timeout=CLIENT_TIMEOUT))
        _unavailable(error)
        assert took < 2.0, f"{took:.2f}s"
        await _nothing_held(rig)
        assert await rig.side.our_reservations() == {}


async def test_an_open_breaker_fails_create_before_anything_is_written(db, stack):
    async with booking_stack(db, stack, breaker_fail_max=2, breaker_reset_seconds=1.0) as rig:
        await channel_hotel(rig)
        await rig.side.faults(outage=True)
        for _ in range(2):
            _unavailable((await _refused(rig.bookings.CreateBooking(create(HOTEL), timeout=CLIENT_TIMEOUT)))[0])
        assert rig.breaker.is_open
        written = await rig.count(bookings), await rig.count(holds)
        error, took = await _refused(rig.bookings.CreateBooking(create(HOTEL), timeout=CLIENT_TIMEOUT))
        _unavailable(error)
        assert took < 0.5, f"{took:.2f}s"
        assert (await rig.count(bookings), await rig.count(holds)) == written
        await _nothing_held(rig)
        await rig.side.faults(outage=False)
        await asyncio.sleep(1.1)  # the breaker lets a trial through
        assert (await rig.bookings.CreateBooking(create(HOTEL), timeout=CLIENT_TIMEOUT)).booking.status == \
            bk.BOOKING_STATUS_HELD


async def test_a_slow_channel_manager_fails_create_in_its_timeout_and_holds_nothing_there(db, stack):
    async with booking_stack(db, stack, channel_manager_timeout_seconds=0.5) as rig:
        await channel_hotel(rig)
        await rig.side.faults(latency_ms=1500)
        error, took = await _refused(rig.bookings.CreateBooking(create(HOTEL), timeout=CLIENT_TIMEOUT))
        _unavailable(error)
        assert took < 1.5, f"{took:.2f}s"
        await asyncio.sleep(1.5)  # whatever the sandbox does with the request our client gave up on
        await rig.side.faults(latency_ms=0)
        assert await rig.live_holds() == 0 and await rig.held_rooms() == 0
        assert set(await rig.side.our_reservations()) <= {"cancelled", "expired"}, \
            f"left held at the sandbox: {await rig.side.our_reservations()}"


async def _paid_but_unconfirmed(rig) -> bk.Booking:
    """A booking whose confirm captured the payment while the channel manager was down."""
    held = (await rig.bookings.CreateBooking(create(HOTEL, nights=2), timeout=CLIENT_TIMEOUT)).booking
    await rig.side.faults(outage=True)
    began = time.monotonic()
    answer = (await rig.bookings.ConfirmBooking(confirm(held.booking_id), timeout=CLIENT_TIMEOUT)).booking
    assert time.monotonic() - began < 2.0
    assert answer.status == bk.BOOKING_STATUS_HELD
    assert answer.paid_amount.amount_minor == held.total_amount.amount_minor > 0
    assert (await rig.side.payment(held.payment_reference))["status"] == "captured"
    assert rig.side.reservation_status(held.channel_manager_reservation_id) == "held"
    return answer


async def test_a_confirm_that_cannot_reach_the_channel_manager_is_finished_by_the_retry_queue(db, stack):
    async with booking_stack(db, stack, **RETRIES) as rig:
        await channel_hotel(rig)
        booking = await _paid_but_unconfirmed(rig)
        await asyncio.sleep(0.5)  # a few queued attempts fail too
        await rig.side.faults(outage=False)
        done = await rig.until_status(booking.booking_id, bk.BOOKING_STATUS_CONFIRMED, timeout=8)
        assert done.paid_amount.amount_minor == booking.total_amount.amount_minor
        assert rig.side.reservation_status(booking.channel_manager_reservation_id) == "confirmed"
        assert await rig.side.payments() == {"captured": 1}
        assert (await rig.side.gateway_stats())["requests"]["by_route"].get(
            f"POST /v1/payments/{booking.payment_reference}/capture") in (1, None)
        assert await rig.nights(HOTEL, 2, 2) == [(4, 0, 4)] * 2


async def _refunded_and_cancelled(rig, booking: bk.Booking, timeout: float = 8) -> None:
    done = await rig.until_status(booking.booking_id, bk.BOOKING_STATUS_CANCELLED, timeout=timeout)
    assert done.paid_amount.amount_minor == 0 and done.fee_amount.amount_minor == 0
    payment = await rig.side.payment(booking.payment_reference)
    assert (payment["status"], payment["refunded_minor"]) == ("refunded", booking.total_amount.amount_minor)
    await rig.settled()
    assert await rig.nights(HOTEL, 2, 2) == [(5, 0, 5)] * 2, "the rooms did not come back"
    assert await rig.live_holds() == 0


async def test_a_paid_booking_whose_channel_manager_hold_expired_is_refunded_and_cancelled(db, stack):
    async with booking_stack(db, stack, **RETRIES) as rig:
        await channel_hotel(rig)
        booking = await _paid_but_unconfirmed(rig)
        rig.side.cm_state.reservations[booking.channel_manager_reservation_id].expires_at = time.time() - 1
        await rig.side.faults(outage=False)
        await _refunded_and_cancelled(rig, booking)
        assert rig.side.reservation_status(booking.channel_manager_reservation_id) == "expired"


async def test_a_paid_booking_whose_reservation_was_cancelled_at_the_channel_manager_is_refunded(db, stack):
    async with booking_stack(db, stack, **RETRIES) as rig:
        await channel_hotel(rig)
        booking = await _paid_but_unconfirmed(rig)
        rig.side.cm_state.cancel(booking.channel_manager_reservation_id)  # the hotel cancelled it
        await rig.side.faults(outage=False)
        await _refunded_and_cancelled(rig, booking, timeout=4.5)  # every retry tier has run by then
