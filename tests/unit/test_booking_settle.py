"""ConfirmBooking and CancelBooking's flows (servers/booking/settle.py) on fakes: never paid without a
room, never a room without payment; a cancellation's fee decided once, and finished when the parties
it needs are back."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from clients.channel_managers import ChannelManagerUnavailable, HoldExpired, ReservationStatus
from clients.payments import PaymentStateError, PaymentStatus, PaymentUnavailable
from servers.booking import domain, settle
from servers.booking.mapping import booking_etag
from servers.runtime.errors import ApiError, Code
from tests.fakes.booking import booking_world


async def refused(call, kind: type[Exception] = ApiError):
    with pytest.raises(kind) as caught:
        await call
    return caught.value


async def held(world, **kwargs):
    booking = await world.create(**kwargs)
    world.forget_calls()
    return booking


async def confirmed(world, **kwargs):
    booking = await held(world, **kwargs)
    booking = await settle.confirm_booking(world.deps, booking.id, "")
    world.forget_calls()
    return booking


# ------------------------------------------------------------------------------------------- confirm

async def test_confirm_sells_the_rooms_here_then_captures_then_confirms_at_the_channel_manager():
    world = booking_world()
    booking = await held(world)
    done = await settle.confirm_booking(world.deps, booking.id, booking_etag(booking))

    assert done.status == domain.CONFIRMED
    assert done.paid_minor == booking.total_minor and done.expires_at is None and done.step_in_flight is None
    # finish() sends the commit again (same key, so nothing is sold twice): it is safe to repeat alone.
    assert world.journal == ["inventory.commit", "payments.capture", "inventory.commit", "channel_manager.confirm"]
    assert set(world.inventory.faults.keys("commit")) == {f"{booking.id}:commit"}
    assert world.inventory.status_of(booking.hold_id) == "committed"
    assert world.payments.status_of(booking.payment_reference) == PaymentStatus.CAPTURED
    assert world.channel_manager.status_of(booking.channel_manager_reservation_id) == ReservationStatus.CONFIRMED


async def test_a_confirmed_booking_confirmed_again_is_answered_as_it_is_and_calls_nobody():
    world = booking_world()
    booking = await confirmed(world)
    again = await settle.confirm_booking(world.deps, booking.id, "")
    assert again == booking and world.journal == []


async def test_a_confirm_with_a_stale_etag_is_refused():
    world = booking_world()
    booking = await held(world)
    stale = booking_etag(replace(booking, version=booking.version - 1))
    error = await refused(settle.confirm_booking(world.deps, booking.id, stale))
    assert (error.code, error.reason) == (Code.ABORTED, "ETAG_MISMATCH")
    assert world.journal == []


async def test_a_confirm_after_the_hold_ended_is_refused_and_charges_nothing():
    world = booking_world()
    booking = await held(world)
    world.clock.advance(timedelta(minutes=16))
    error = await refused(settle.confirm_booking(world.deps, booking.id, ""))

    assert (error.code, error.reason) == (Code.FAILED_PRECONDITION, "HOLD_EXPIRED")
    assert world.journal == []  # the expiry job gives the rooms and the authorization back
    assert world.bookings.now_of(booking.id).status == domain.HELD


async def test_a_hold_that_lapsed_here_before_its_rooms_were_sold_expires_the_booking_uncharged():
    world = booking_world()
    booking = await held(world)
    world.inventory.holds[booking.hold_id].expires_at = world.clock.now()  # lapsed at the inventory already
    error = await refused(settle.confirm_booking(world.deps, booking.id, ""))

    assert (error.code, error.reason) == (Code.FAILED_PRECONDITION, "HOLD_EXPIRED")
    assert world.bookings.now_of(booking.id).status == domain.EXPIRED
    assert "payments.capture" not in world.journal
    assert world.payments.status_of(booking.payment_reference) == PaymentStatus.VOIDED
    assert world.channel_manager.status_of(booking.channel_manager_reservation_id) == ReservationStatus.CANCELLED


async def test_a_card_that_cannot_be_charged_gives_the_sold_rooms_back_and_cancels():
    world = booking_world()
    booking = await held(world)
    world.payments.lapse(booking.payment_reference)  # the authorization lapsed at the gateway
    error = await refused(settle.confirm_booking(world.deps, booking.id, ""), PaymentStateError)

    assert error.status == PaymentStatus.EXPIRED
    after = world.bookings.now_of(booking.id)
    assert after.status == domain.CANCELLED and after.paid_minor == 0 and "invalid_state" in after.cancel_reason
    assert world.inventory.status_of(booking.hold_id) == "released"
    assert world.channel_manager.status_of(booking.channel_manager_reservation_id) == ReservationStatus.CANCELLED


async def test_a_channel_manager_that_let_the_reservation_lapse_after_the_capture_means_a_refund():
    world = booking_world()
    booking = await held(world)
    world.channel_manager.faults.refuse("confirm", HoldExpired())
    done = await settle.confirm_booking(world.deps, booking.id, "")

    assert done.status == domain.CANCELLED and done.paid_minor == 0 and done.fee_minor == 0
    assert world.journal == ["inventory.commit", "payments.capture", "inventory.commit", "channel_manager.confirm",
                             "channel_manager.cancel", "inventory.release", "payments.refund"]
    assert world.payments.status_of(booking.payment_reference) == PaymentStatus.REFUNDED
    assert world.inventory.status_of(booking.hold_id) == "released"


async def test_paid_with_the_channel_manager_unreachable_stays_held_for_the_retry_queue_which_finishes_it():
    world = booking_world()
    booking = await held(world)
    world.channel_manager.faults.refuse("confirm", ChannelManagerUnavailable("down", maybe_done=False))
    waiting = await settle.confirm_booking(world.deps, booking.id, "")

    assert waiting.status == domain.HELD and waiting.paid_minor == booking.total_minor
    assert [(m.topic, m.payload) for m in world.bus.queued] == [(settle.FINISH_TOPIC, {"booking_id": booking.id})]
    await world.bus.deliver(lambda message: settle.finish_queued(world.deps, message))
    assert world.bookings.now_of(booking.id).status == domain.CONFIRMED
    assert world.payments.faults.keys("capture") == [f"{booking.id}:capture"]  # charged once


async def test_a_capture_whose_answer_was_lost_is_asked_again_under_its_key_by_the_next_confirm():
    world = booking_world()
    booking = await held(world)
    world.payments.faults.time_out("capture")
    await refused(settle.confirm_booking(world.deps, booking.id, ""), PaymentUnavailable)
    assert world.bookings.now_of(booking.id).step_in_flight == domain.CAPTURE_STEP

    done = await settle.confirm_booking(world.deps, booking.id, "")
    assert done.status == domain.CONFIRMED and done.paid_minor == booking.total_minor
    assert world.payments.faults.keys("capture") == [f"{booking.id}:capture"] * 2
    assert world.payments.payments[booking.payment_reference].captured_minor == booking.total_minor


# -------------------------------------------------------------------------------------------- cancel

async def test_a_held_booking_cancelled_gives_everything_back_and_keeps_no_fee():
    world = booking_world()
    booking = await held(world)
    done = await settle.cancel_booking(world.deps, booking.id, "", "")

    assert done.status == domain.CANCELLED and done.fee_minor == 0 and done.cancel_reason == "cancelled by the guest"
    assert world.journal == ["channel_manager.cancel", "inventory.release", "payments.void"]
    assert world.payments.status_of(booking.payment_reference) == PaymentStatus.VOIDED


async def test_a_confirmed_booking_cancelled_in_the_free_window_is_refunded_in_full():
    world = booking_world()
    booking = await confirmed(world, days_ahead=30)
    done = await settle.cancel_booking(world.deps, booking.id, "plans changed", "")

    assert (done.status, done.fee_minor, done.paid_minor) == (domain.CANCELLED, 0, 0)
    assert done.cancel_reason == "plans changed"
    assert world.payments.payments[booking.payment_reference].refunded_minor == booking.total_minor


async def test_a_confirmed_booking_cancelled_after_the_deadline_keeps_the_hotels_fee():
    world = booking_world(free_cancellation_hours=48, cancellation_fee_percent=50)
    booking = await confirmed(world, days_ahead=1)  # check-in tomorrow: inside the 48 hours
    done = await settle.cancel_booking(world.deps, booking.id, "", "")

    assert done.status == domain.CANCELLED
    assert done.fee_minor == done.paid_minor == booking.total_minor // 2
    assert world.payments.payments[booking.payment_reference].refunded_minor == booking.total_minor // 2


async def test_a_cancel_decides_its_fee_once_goes_cancelling_while_a_party_is_down_and_ends_when_it_is_back():
    world = booking_world(free_cancellation_hours=48)
    booking = await confirmed(world, days_ahead=3)  # still free to cancel
    world.payments.faults.go_down()
    decided = await settle.cancel_booking(world.deps, booking.id, "", "")

    assert decided.status == domain.CANCELLING and decided.fee_minor == 0
    assert world.bus.topics() == [settle.FINISH_TOPIC]
    # Past the deadline now: a cancel retried must not charge what a cancel then would have.
    world.clock.advance(timedelta(hours=30))
    world.payments.faults.come_back()
    done = await settle.cancel_booking(world.deps, booking.id, "", "")

    assert done.status == domain.CANCELLED and done.fee_minor == 0
    assert world.payments.payments[booking.payment_reference].refunded_minor == booking.total_minor
    assert world.channel_manager.faults.keys("cancel") == [f"{booking.id}:cancel"] * 2  # same key: done once


async def test_a_cancelled_booking_cancelled_again_is_answered_as_it_is():
    world = booking_world()
    booking = await held(world)
    done = await settle.cancel_booking(world.deps, booking.id, "", "")
    world.forget_calls()
    assert await settle.cancel_booking(world.deps, booking.id, "", "") == done
    assert world.journal == []


async def test_a_booking_a_partner_sold_is_the_partners_to_cancel():
    world = booking_world()
    booking = await held(world)
    world.bookings.put(replace(world.bookings.now_of(booking.id), channel="partner-1"))
    error = await refused(settle.cancel_booking(world.deps, booking.id, "", ""))
    assert (error.code, error.reason) == (Code.FAILED_PRECONDITION, "SOLD_BY_PARTNER")
    assert world.journal == []


async def test_a_cancel_after_a_lost_capture_answer_refunds_instead_of_voiding():
    world = booking_world()
    booking = await held(world)
    world.payments.faults.time_out("capture")
    await refused(settle.confirm_booking(world.deps, booking.id, ""), PaymentUnavailable)
    world.forget_calls()
    done = await settle.cancel_booking(world.deps, booking.id, "", "")

    assert done.status == domain.CANCELLED and done.paid_minor == 0
    assert "payments.void" not in world.journal
    assert world.payments.payments[booking.payment_reference].refunded_minor == booking.total_minor
