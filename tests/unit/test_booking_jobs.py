"""The booking jobs (servers/booking/jobs.py) on fakes and a clock moved by hand: the expiry job ends
held bookings whose hold ran out, reconciliation carries on what a crash or an outage left between
states, and a booking whose step keeps failing waits longer and longer before the next try."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clients.channel_managers import ChannelManagerUnavailable, ReservationStatus
from clients.payments import PaymentStatus, PaymentUnavailable
from servers.booking import domain, jobs, settle
from servers.runtime.errors import ApiError
from tests.fakes.booking import booking_world


def down() -> ChannelManagerUnavailable:
    return ChannelManagerUnavailable("unreachable", maybe_done=False)


# -------------------------------------------------------------------------------------------- expiry

async def test_the_expiry_job_ends_held_bookings_past_their_hold_and_leaves_the_others():
    world = booking_world()
    lapsed = await world.create()
    world.clock.advance(timedelta(minutes=10))
    fresh = await world.create()
    paid = await settle.confirm_booking(world.deps, (await world.create()).id, "")
    world.clock.advance(timedelta(minutes=6))  # the first hold is 16 minutes old, the others 6
    world.forget_calls()

    assert await jobs.expire_bookings(world.deps) == 1
    assert world.bookings.now_of(lapsed.id).status == domain.EXPIRED
    assert world.bookings.now_of(lapsed.id).expires_at is None
    assert world.inventory.status_of(lapsed.hold_id) == "released"
    assert world.channel_manager.status_of(lapsed.channel_manager_reservation_id) == ReservationStatus.CANCELLED
    assert world.payments.status_of(lapsed.payment_reference) == PaymentStatus.VOIDED
    assert world.bookings.now_of(fresh.id).status == domain.HELD
    assert world.bookings.now_of(paid.id).status == domain.CONFIRMED
    assert {key.split(":")[0] for _, key in world.calls()} == {lapsed.id}

    assert await jobs.expire_bookings(world.deps) == 0  # nothing more to do


async def test_the_expiry_job_carries_on_a_confirm_under_way_instead_of_voiding_it():
    world = booking_world()
    booking = await world.create()
    world.payments.faults.go_down()
    with pytest.raises(PaymentUnavailable):
        await settle.confirm_booking(world.deps, booking.id, "")  # sold here, the card not charged yet
    # Our hold is over; the channel manager's lasts channel_hold_margin longer, for just this.
    world.clock.advance(world.deps.hold_ttl + world.deps.channel_hold_margin / 2)
    world.payments.faults.come_back()

    assert await jobs.expire_bookings(world.deps) == 1
    done = world.bookings.now_of(booking.id)
    assert done.status == domain.CONFIRMED and done.paid_minor == booking.total_minor
    assert "payments.void" not in world.journal


# ------------------------------------------------------------------------------------- reconciliation

async def test_reconcile_undoes_a_create_left_pending_once_the_channel_manager_is_back():
    world = booking_world()
    world.payments.faults.go_down()
    world.channel_manager.faults.refuse("cancel", down())
    with pytest.raises(ApiError):
        await world.create()
    (booking,) = world.bookings.rows.values()
    assert booking.status == domain.PENDING
    world.payments.faults.come_back()

    assert await jobs.reconcile(world.deps) == {"failed": 0, "finished": 0, "cancelled": 0}  # not stuck yet
    world.clock.advance(jobs.STUCK_AFTER + timedelta(seconds=1))
    assert await jobs.reconcile(world.deps) == {"failed": 1, "finished": 0, "cancelled": 0}
    after = world.bookings.now_of(booking.id)
    assert after.status == domain.FAILED and after.failure_reason == "never finished (reconciled)"
    assert world.channel_manager.status_of(booking.channel_manager_reservation_id) == ReservationStatus.CANCELLED


async def test_reconcile_finishes_a_paid_confirm_the_channel_manager_could_not_take():
    world = booking_world()
    world.deps.bus = None  # no retry queue: reconciliation alone finishes it
    booking = await world.create()
    world.channel_manager.faults.refuse("confirm", down())
    waiting = await settle.confirm_booking(world.deps, booking.id, "")
    assert waiting.status == domain.HELD and waiting.paid_minor > 0

    world.clock.advance(jobs.STUCK_AFTER + timedelta(seconds=1))
    assert await jobs.reconcile(world.deps) == {"failed": 0, "finished": 1, "cancelled": 0}
    assert world.bookings.now_of(booking.id).status == domain.CONFIRMED
    assert world.channel_manager.status_of(booking.channel_manager_reservation_id) == ReservationStatus.CONFIRMED


async def test_reconcile_finishes_a_cancellation_left_cancelling():
    world = booking_world()
    booking = await settle.confirm_booking(world.deps, (await world.create()).id, "")
    world.payments.faults.go_down()
    assert (await settle.cancel_booking(world.deps, booking.id, "", "")).status == domain.CANCELLING
    world.payments.faults.come_back()

    world.clock.advance(jobs.STUCK_AFTER + timedelta(seconds=1))
    assert await jobs.reconcile(world.deps) == {"failed": 0, "finished": 0, "cancelled": 1}
    assert world.bookings.now_of(booking.id).status == domain.CANCELLED
    assert world.payments.status_of(booking.payment_reference) == PaymentStatus.REFUNDED


# ---------------------------------------------------------------------------------------------- back-off

async def test_a_booking_whose_step_keeps_failing_waits_twice_as_long_each_time():
    world = booking_world()
    booking = await world.create()
    world.clock.advance(timedelta(minutes=16))
    world.channel_manager.faults.go_down()  # its reservation cannot be cancelled: the expiry fails

    waits = []
    for _ in range(3):
        assert await jobs.expire_bookings(world.deps) == 0
        row = world.bookings.now_of(booking.id)
        waits.append(row.retry_at - world.clock.now())
        # Not due before its wait is over: no call is made for it meanwhile.
        world.forget_calls()
        world.clock.advance(waits[-1] - timedelta(seconds=1))
        assert await jobs.expire_bookings(world.deps) == 0
        assert world.journal == []
        world.clock.advance(timedelta(seconds=1))

    assert waits == [timedelta(seconds=10), timedelta(seconds=20), timedelta(seconds=40)]
    row = world.bookings.now_of(booking.id)
    assert row.failed_attempts == 3 and row.version == booking.version  # a wait is not a change

    world.channel_manager.faults.come_back()
    assert await jobs.expire_bookings(world.deps) == 1
    assert world.bookings.now_of(booking.id).status == domain.EXPIRED


async def test_one_failing_booking_does_not_stop_the_others():
    world = booking_world()
    stuck = await world.create()
    other = await world.create()
    world.clock.advance(timedelta(minutes=16))
    world.channel_manager.faults.refuse("cancel", down())  # the first one's cancel only

    assert await jobs.expire_bookings(world.deps) == 1
    statuses = {world.bookings.now_of(b.id).status for b in (stuck, other)}
    assert statuses == {domain.HELD, domain.EXPIRED}
