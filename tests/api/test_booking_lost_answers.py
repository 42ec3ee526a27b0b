"""Outside calls whose answer never came (issue 14, item 6), embedded and production-like
(tests/e2e/booking_rig.py). The sandboxes' stall fault lets a call do its work and then hang past our
timeout ("timed out but succeeded"), or hang past the client's deadline before doing it: a create that
fails gives back what the lost call took (the channel manager's reservation, the card authorization),
a create the client stopped waiting for still ends (HELD, or undone), and a capture whose answer was
lost is finished, never voided, when its hold's time comes.
"""

from __future__ import annotations

from datetime import timezone

import grpc
import pytest
from hotelagg.booking.v1 import booking_pb2 as bk

from tests.api.helpers import failure, request_id
from tests.e2e.booking_rig import (
    AUTHORIZE,
    CAPTURE,
    RESERVE,
    booking_stack,
    channel_hotel,
    confirm,
    create,
    hold_ends,
    our_bookings,
    until,
)

HOTEL = "cm-book-hotel"
# The jobs run often and take a booking left alone for a second as stuck: what a restart would find.
QUICK_JOBS = dict(reconcile_interval_seconds=0.2, reconcile_stuck_seconds=1, booking_expiry_interval_seconds=0.2)


async def _refused(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


async def _only_booking(rig):
    rows = await our_bookings(rig.db)
    assert len(rows) == 1, rows
    return rows[0]


async def _failed_and_given_back(rig, timeout: float = 10) -> None:
    """The one booking FAILED, nothing held here or at the sandbox, no authorization left standing."""
    async def failed() -> bool:
        return (await _only_booking(rig)).status == "failed"

    await until(failed, timeout, "the failed create was undone")
    assert await rig.live_holds() == 0 and await rig.held_rooms() == 0
    assert set(await rig.side.our_reservations()) <= {"cancelled"}, await rig.side.our_reservations()
    assert set(await rig.side.payments()) <= {"voided"}, await rig.side.payments()


async def test_an_authorization_that_timed_out_but_succeeded_is_voided(db, stack):
    async with booking_stack(db, stack, payment_timeout_seconds=0.5, **QUICK_JOBS) as rig:
        await channel_hotel(rig)
        await rig.side.stall(AUTHORIZE, "after")
        error = await _refused(rig.bookings.CreateBooking(create(HOTEL), timeout=10))
        assert (error.code(), failure(error).reason) == (grpc.StatusCode.UNAVAILABLE, "PAYMENT_UNAVAILABLE")
        assert await rig.side.payments() == {"authorized": 1}  # the gateway did authorize
        await rig.side.lift_stall(AUTHORIZE)
        await _failed_and_given_back(rig)
        assert await rig.side.payments() == {"voided": 1}


async def test_a_reservation_that_timed_out_but_succeeded_is_cancelled_at_the_channel_manager(db, stack):
    async with booking_stack(db, stack, channel_manager_timeout_seconds=0.5, **QUICK_JOBS) as rig:
        await channel_hotel(rig)
        await rig.side.stall(RESERVE, "after")
        error = await _refused(rig.bookings.CreateBooking(create(HOTEL), timeout=10))
        assert (error.code(), failure(error).reason) == (grpc.StatusCode.UNAVAILABLE, "CHANNEL_MANAGER_UNAVAILABLE")
        assert await rig.side.our_reservations() == {"held": 1}  # the sandbox did reserve
        await rig.side.lift_stall(RESERVE)
        await _failed_and_given_back(rig)
        assert await rig.side.our_reservations() == {"cancelled": 1}
        assert await rig.side.payments() == {}


async def test_a_create_whose_client_stopped_waiting_still_ends_and_its_retry_reads_the_end(db, stack):
    async with booking_stack(db, stack, payment_timeout_seconds=10) as rig:
        await channel_hotel(rig)
        await rig.side.stall(AUTHORIZE, "before", ms=1500)  # slower than the client's deadline
        request = create(HOTEL)
        error = await _refused(rig.bookings.CreateBooking(request, timeout=0.5))
        assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        answers = []

        async def answered() -> bool:
            try:
                answers.append((await rig.bookings.CreateBooking(request, timeout=10)).booking)
                return True
            except grpc.aio.AioRpcError as busy:
                assert failure(busy).reason == "REQUEST_IN_PROGRESS", busy
                return False

        await until(answered, 10, "the create ended")
        assert answers[0].status == bk.BOOKING_STATUS_HELD
        assert await rig.side.payments() == {"authorized": 1}
        assert (await rig.side.payment(answers[0].payment_reference))["status"] == "authorized"
        assert await rig.side.our_reservations() == {"held": 1}
        assert await rig.live_holds() == 1


async def test_a_capture_whose_answer_was_lost_is_finished_when_its_hold_ends_not_voided(db, stack):
    async with booking_stack(db, stack, payment_timeout_seconds=0.5, booking_expiry_interval_seconds=0.2) as rig:
        await channel_hotel(rig)
        held = (await rig.bookings.CreateBooking(create(HOTEL), timeout=10)).booking
        await rig.side.stall(CAPTURE, "after")
        error = await _refused(rig.bookings.ConfirmBooking(confirm(held.booking_id), timeout=10))
        assert (error.code(), failure(error).reason) == (grpc.StatusCode.UNAVAILABLE, "PAYMENT_UNAVAILABLE")
        assert (await rig.side.payment(held.payment_reference))["status"] == "captured"
        await rig.side.lift_stall(CAPTURE)
        # Nobody retries the confirm, and its hold's time comes (reconciliation is hourly here).
        await hold_ends(rig.db, held.booking_id)
        done = await rig.until_status(held.booking_id, bk.BOOKING_STATUS_CONFIRMED, timeout=10)
        assert done.paid_amount.amount_minor == held.total_amount.amount_minor
        payment = await rig.side.payment(held.payment_reference)
        assert (payment["status"], payment["captured_minor"], payment["refunded_minor"]) == \
            ("captured", held.total_amount.amount_minor, 0)
        assert rig.side.reservation_status(held.channel_manager_reservation_id) == "confirmed"
        assert await rig.nights(HOTEL, 2, 1) == [(4, 0, 4)]


async def test_a_booking_whose_capture_answer_was_lost_is_cancelled_with_a_full_refund(db, stack):
    async with booking_stack(db, stack, payment_timeout_seconds=0.5) as rig:
        await channel_hotel(rig)
        held = (await rig.bookings.CreateBooking(create(HOTEL), timeout=10)).booking
        await rig.side.stall(CAPTURE, "after")
        await _refused(rig.bookings.ConfirmBooking(confirm(held.booking_id), timeout=10))
        await rig.side.lift_stall(CAPTURE)
        cancelled = (await rig.bookings.CancelBooking(bk.CancelBookingRequest(
            request_id=request_id(), booking_id=held.booking_id), timeout=10)).booking
        assert cancelled.status == bk.BOOKING_STATUS_CANCELLED
        assert cancelled.paid_amount.amount_minor == 0
        payment = await rig.side.payment(held.payment_reference)
        assert (payment["status"], payment["refunded_minor"]) == ("refunded", held.total_amount.amount_minor)
        assert rig.side.reservation_status(held.channel_manager_reservation_id) == "cancelled"
        await rig.settled()
        assert await rig.nights(HOTEL, 2, 1) == [(5, 0, 5)] and await rig.live_holds() == 0


async def test_the_channel_manager_holds_the_rooms_past_our_hold_for_as_long_as_reconciliation_needs(db, stack):
    jobs = dict(reconcile_interval_seconds=30, reconcile_stuck_seconds=60)
    async with booking_stack(db, stack, **jobs) as rig:
        await channel_hotel(rig)
        held = (await rig.bookings.CreateBooking(create(HOTEL), timeout=10)).booking
        ours = held.expire_time.ToDatetime(timezone.utc).timestamp()
        theirs = rig.side.cm_state.reservations[held.channel_manager_reservation_id].expires_at
        # Stuck time + interval + a minute for the run itself, give or take the second the create took.
        assert 60 + 30 + 60 - 2 <= theirs - ours <= 60 + 30 + 60 + 2, theirs - ours
