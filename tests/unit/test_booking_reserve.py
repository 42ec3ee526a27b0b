"""CreateBooking's flow (servers/booking/reserve.py) on fakes: what a guest gets, what each party is
asked, and what is given back when a party refuses or its answer is lost."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clients.channel_managers import ReservationStatus, SoldOut
from clients.payments import PaymentStatus
from servers.booking import domain
from servers.runtime.errors import ApiError, Code
from servers.storage.idempotency import request_hash
from tests.fakes.booking import HOLD_TTL, booking_world
from tests.fakes.bookings import BookingRecord
from tests.fakes.payments import DECLINED_TOKEN


async def refused(call) -> ApiError:
    with pytest.raises(ApiError) as caught:
        await call
    return caught.value


async def test_create_holds_reserves_at_the_channel_manager_and_authorizes_keyed_by_the_booking():
    world = booking_world()
    booking = await world.create(rooms=2, nights=2)

    assert booking.status == domain.HELD
    assert booking.total_minor == 2 * 2 * 10000
    assert booking.expires_at == world.clock.now() + HOLD_TTL
    # Nothing of the create is left in flight, and the card token is not kept past it.
    assert booking.step_in_flight is None and booking.payment_token is None
    assert world.inventory.status_of(booking.hold_id) == "held"
    assert world.channel_manager.status_of(booking.channel_manager_reservation_id) == ReservationStatus.HELD
    payment = world.payments.payments[booking.payment_reference]
    assert (payment.status, payment.amount_minor, payment.currency) == (PaymentStatus.AUTHORIZED, 40000, "EUR")
    assert world.calls() == sorted([("inventory.hold", f"{booking.id}:hold"),
                                    ("channel_manager.reserve", f"{booking.id}:reserve"),
                                    ("payments.authorize", f"{booking.id}:authorize")])
    # The channel manager holds the rooms a little longer than we do (time to finish a paid confirm).
    reserve_call = world.channel_manager.calls[0]
    assert reserve_call.args[-1] == int((HOLD_TTL + world.deps.channel_hold_margin).total_seconds())


async def test_a_direct_hotel_is_held_and_authorized_without_a_channel_manager():
    world = booking_world(channel_manager=False)
    booking = await world.create()
    assert booking.status == domain.HELD and booking.channel_manager_reservation_id is None
    assert [name for name, _ in world.calls()] == ["inventory.hold", "payments.authorize"]


async def test_a_channel_manager_that_refuses_undoes_the_hold_and_never_charges():
    world = booking_world()
    world.channel_manager.faults.refuse("reserve", SoldOut(world.stay()[0]))
    error = await refused(world.create(request_id="req-1"))

    assert (error.code, error.reason) == (Code.FAILED_PRECONDITION, "SOLD_OUT")
    (booking,) = world.bookings.rows.values()
    assert booking.status == domain.FAILED and "sold_out" in booking.failure_reason
    assert booking.request_id is None  # freed: a corrected retry may use it again
    assert world.inventory.status_of(booking.hold_id) == "released"
    assert world.channel_manager.reservations == {}
    assert world.payments.calls == []


async def test_a_declined_card_gives_back_the_hold_and_the_channel_managers_reservation():
    world = booking_world()
    error = await refused(world.create(token=DECLINED_TOKEN))

    assert (error.code, error.reason) == (Code.FAILED_PRECONDITION, "PAYMENT_DECLINED")
    (booking,) = world.bookings.rows.values()
    assert booking.status == domain.FAILED
    assert world.inventory.status_of(booking.hold_id) == "released"
    assert world.channel_manager.status_of(booking.channel_manager_reservation_id) == ReservationStatus.CANCELLED
    assert world.channel_manager.faults.keys("cancel") == [f"{booking.id}:cancel"]


async def test_an_authorization_whose_answer_was_lost_is_asked_again_and_voided():
    world = booking_world()
    world.payments.faults.time_out("authorize")  # the gateway authorized; its answer never came
    error = await refused(world.create())

    assert (error.code, error.reason) == (Code.UNAVAILABLE, "PAYMENT_UNAVAILABLE")
    (booking,) = world.bookings.rows.values()
    assert booking.status == domain.FAILED
    # Asked again under the same key, it told the payment's id, which was then voided.
    assert world.payments.faults.keys("authorize") == [f"{booking.id}:authorize"] * 2
    assert world.payments.status_of(booking.payment_reference) == PaymentStatus.VOIDED
    assert world.inventory.status_of(booking.hold_id) == "released"


async def test_sold_out_here_asks_nobody_else():
    world = booking_world(rooms_left=1)
    error = await refused(world.create(rooms=2))
    assert (error.code, error.reason) == (Code.FAILED_PRECONDITION, "SOLD_OUT")
    assert [name for name, _ in world.calls()] == ["inventory.hold"]
    (booking,) = world.bookings.rows.values()
    assert booking.status == domain.FAILED and booking.hold_id is None


async def test_an_open_breaker_refuses_before_any_hold_and_says_when_to_come_back():
    world = booking_world()
    world.channel_manager.breaker.is_open = True
    error = await refused(world.create())
    assert (error.code, error.reason) == (Code.UNAVAILABLE, "CHANNEL_MANAGER_UNAVAILABLE")
    assert error.retry_after_seconds == world.channel_manager.breaker.seconds_left
    assert world.bookings.rows == {} and world.calls() == []


async def test_a_create_replayed_with_its_request_id_returns_the_same_booking_and_calls_nobody():
    world = booking_world()
    request = world.request("req-1")
    first = await world.create(request)
    world.forget_calls()
    writes = world.bookings.writes

    again = await world.create(request)
    assert again == first
    assert world.calls() == [] and world.bookings.writes == writes


async def test_the_same_request_id_with_another_body_is_refused():
    world = booking_world()
    await world.create(world.request("req-1", rooms=1))
    world.forget_calls()
    error = await refused(world.create(world.request("req-1", rooms=2)))
    assert (error.code, error.reason) == (Code.FAILED_PRECONDITION, "IDEMPOTENCY_KEY_REUSED")
    assert len(world.bookings.rows) == 1 and world.calls() == []


async def test_a_create_still_under_way_is_answered_in_progress():
    world = booking_world()
    request = world.request("req-1")
    check_in, check_out = world.stay()
    now = world.clock.now()
    world.bookings.put(BookingRecord(
        id="b-1", user_id="guest-1", hotel_id=world.hotel.hotel_id, room_type_code="STD", check_in=check_in,
        check_out=check_out, rooms=1, guests=1, status=domain.PENDING, currency_code="EUR", total_minor=0,
        channel=domain.OUR_CHANNEL, created_at=now, updated_at=now, request_id="req-1",
        request_hash=request_hash(request), step_in_flight=domain.HOLD_STEP))
    error = await refused(world.create(request))
    assert (error.code, error.reason) == (Code.ABORTED, "REQUEST_IN_PROGRESS")
    assert world.calls() == []


async def test_a_failed_create_frees_its_request_id_for_a_corrected_retry():
    world = booking_world()
    world.channel_manager.faults.refuse("reserve", SoldOut(None))
    request = world.request("req-1")
    await refused(world.create(request))

    retried = await world.create(request)
    assert retried.status == domain.HELD and retried.request_id == "req-1"
    assert sorted(b.status for b in world.bookings.rows.values()) == [domain.FAILED, domain.HELD]


async def test_a_create_whose_undo_cannot_reach_the_channel_manager_stays_pending_for_reconciliation():
    world = booking_world()
    world.payments.faults.go_down()
    world.channel_manager.faults.refuse("cancel", world.channel_manager.faults.unavailable("down", False))
    await refused(world.create())

    (booking,) = world.bookings.rows.values()
    # The hold went back; the reservation could not be cancelled, so the booking is left for the job.
    assert booking.status == domain.PENDING
    assert world.inventory.status_of(booking.hold_id) == "released"
    assert world.channel_manager.status_of(booking.channel_manager_reservation_id) == ReservationStatus.HELD


async def test_the_hold_lasts_as_long_as_the_deps_say():
    world = booking_world()
    world.deps.hold_ttl = timedelta(minutes=5)
    booking = await world.create()
    assert booking.expires_at == world.clock.now() + timedelta(minutes=5)


async def test_a_hold_whose_answer_was_lost_is_asked_again_to_learn_it_and_given_back():
    world = booking_world()
    world.inventory.faults.time_out("hold")  # the inventory held the rooms; its answer never came
    await refused(world.create())

    (booking,) = world.bookings.rows.values()
    assert booking.status == domain.FAILED
    assert world.inventory.faults.keys("hold") == [f"{booking.id}:hold"] * 2
    assert world.inventory.held() == [] and world.inventory.status_of(booking.hold_id) == "released"
    assert world.channel_manager.calls == [] and world.payments.calls == []
