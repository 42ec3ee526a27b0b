"""Cancellations and expiries that meet a fault (issue 14, items 1, 2 and 7), embedded and production-like:
a reservation the channel manager forgot is nothing to cancel (the money still goes back), a cancel that
cannot reach the gateway stands as CANCELLING — the booking no longer claims its room — and is finished by
the retry queue with the fee decided at the cancel; a job's poisoned bookings never starve the others; a
booking a partner sold is not cancelled behind the partner's back.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import grpc
from hotelagg.booking.v1 import booking_pb2 as bk
from hotelagg.partner.v1 import partner_pb2 as pb
from sqlalchemy import select, update

from servers.booking import jobs, store
from servers.storage.tables import bookings, holds
from tests.api.helpers import fails, request_id
from tests.api.partner_helpers import listed_hotel, reservation
from tests.e2e.booking_rig import booking_stack, channel_hotel, confirm, create, direct_hotel, hold_ends

HOTEL = "cm-book-hotel"
RETRIES = dict(retry_tiers_seconds=[0.2, 0.5, 1, 2], breaker_reset_seconds=0.5)


def _cancel(booking_id: str) -> bk.CancelBookingRequest:
    return bk.CancelBookingRequest(request_id=request_id(), booking_id=booking_id, reason="plans changed")


async def _confirmed(rig, hotel: str = HOTEL, **fields) -> bk.Booking:
    held = (await rig.bookings.CreateBooking(create(hotel, **fields), timeout=10)).booking
    done = (await rig.bookings.ConfirmBooking(confirm(held.booking_id), timeout=10)).booking
    assert done.status == bk.BOOKING_STATUS_CONFIRMED
    return done


async def test_a_confirmed_booking_the_channel_manager_forgot_is_cancelled_and_refunded(db, stack):
    async with booking_stack(db, stack) as rig:
        await channel_hotel(rig, rooms=1)
        booking = await _confirmed(rig)
        rig.side.forget_reservation(booking.channel_manager_reservation_id)
        cancelled = (await rig.bookings.CancelBooking(_cancel(booking.booking_id), timeout=10)).booking
        assert cancelled.status == bk.BOOKING_STATUS_CANCELLED
        assert (cancelled.paid_amount.amount_minor, cancelled.fee_amount.amount_minor) == (0, 0)
        payment = await rig.side.payment(booking.payment_reference)
        assert (payment["status"], payment["captured_minor"], payment["refunded_minor"]) == (
            "refunded", booking.total_amount.amount_minor, booking.total_amount.amount_minor)
        # Our sold room is given back here (the channel manager's counts are its own business now).
        async with db.reading() as conn:
            hold = (await conn.execute(select(holds.c.status).where(holds.c.id == (
                await conn.execute(select(bookings.c.hold_id).where(bookings.c.id == booking.booking_id))
            ).scalar_one()))).scalar_one()
        assert hold == "released"


async def test_an_unpaid_hold_the_channel_manager_forgot_expires_and_its_authorization_is_voided(db, stack):
    async with booking_stack(db, stack) as rig:
        await channel_hotel(rig, rooms=2)
        held = (await rig.bookings.CreateBooking(create(HOTEL), timeout=10)).booking
        rig.side.forget_reservation(held.channel_manager_reservation_id)
        await hold_ends(db, held.booking_id)
        assert await jobs.expire_bookings(rig.deps) == 1
        assert (await rig.booking(held.booking_id)).status == bk.BOOKING_STATUS_EXPIRED
        assert (await rig.side.payment(held.payment_reference))["status"] == "voided"
        assert await rig.live_holds() == 0


async def test_bookings_whose_expiry_keeps_failing_do_not_starve_the_others(db, stack, monkeypatch):
    monkeypatch.setattr(store, "JOB_BATCH", 2)  # two poisoned bookings fill a whole batch
    async with booking_stack(db, stack) as rig:
        await direct_hotel(rig, rooms=5)
        captured = await _confirmed(rig, "direct-hotel", user="paid")
        held = [(await rig.bookings.CreateBooking(create("direct-hotel", user=f"g{i}"), timeout=10)).booking
                for i in range(3)]
        for i, booking in enumerate(held):
            await hold_ends(db, booking.booking_id, -timedelta(minutes=10 - i))  # the poisoned ones oldest
        async with db.unit_of_work() as uow:  # a payment the gateway refuses to void: it was captured
            await uow.connection.execute(update(bookings).where(
                bookings.c.id.in_([held[0].booking_id, held[1].booking_id])).values(
                payment_reference=captured.payment_reference))
            await uow.commit()
        assert await jobs.expire_bookings(rig.deps) == 0  # both fail, and wait before their next try
        assert await jobs.expire_bookings(rig.deps) == 1
        assert [(await rig.booking(b.booking_id)).status for b in held] == [
            bk.BOOKING_STATUS_HELD, bk.BOOKING_STATUS_HELD, bk.BOOKING_STATUS_EXPIRED]
        async with db.reading() as conn:
            waits = (await conn.execute(select(bookings.c.failed_attempts, bookings.c.retry_at).where(
                bookings.c.id == held[0].booking_id))).one()
        assert waits.failed_attempts == 1 and waits.retry_at > datetime.now(timezone.utc)


async def test_a_cancel_during_a_gateway_outage_stands_and_is_refunded_once_it_is_back(db, stack):
    async with booking_stack(db, stack, **RETRIES) as rig:
        await channel_hotel(rig, rooms=1, free_cancellation_hours=24 * 30, cancellation_fee_percent=40,
                            price=10000)
        booking = await _confirmed(rig)
        await rig.side.gateway_faults(outage=True)
        answer = (await rig.bookings.CancelBooking(_cancel(booking.booking_id), timeout=10)).booking
        # Decided: no longer CONFIRMED, the fee fixed now, the channel manager told, the room free again.
        assert answer.status == bk.BOOKING_STATUS_CANCELLING
        assert (answer.paid_amount.amount_minor, answer.fee_amount.amount_minor) == (10000, 4000)
        assert rig.side.reservation_status(booking.channel_manager_reservation_id) == "cancelled"
        listed = await rig.bookings.ListBookings(bk.ListBookingsRequest(user_id="guest-1"), timeout=10)
        assert [b.status for b in listed.bookings] == [bk.BOOKING_STATUS_CANCELLING]
        again = (await rig.bookings.CancelBooking(_cancel(booking.booking_id), timeout=10)).booking
        assert again.status == bk.BOOKING_STATUS_CANCELLING and again.fee_amount.amount_minor == 4000

        await rig.side.gateway_faults(outage=False)
        done = await rig.until_status(booking.booking_id, bk.BOOKING_STATUS_CANCELLED, timeout=10)
        assert (done.paid_amount.amount_minor, done.fee_amount.amount_minor) == (4000, 4000)
        payment = await rig.side.payment(booking.payment_reference)
        assert (payment["captured_minor"] - payment["refunded_minor"], payment["refunded_minor"]) == (4000, 6000)
        await rig.settled()
        assert await rig.nights(HOTEL, 2, 1) == [(1, 0, 1)]
        second = await _confirmed(rig, user="next")  # the room sells once, to the next guest
        assert rig.side.reservation_status(second.channel_manager_reservation_id) == "confirmed"


async def test_a_cancelling_booking_is_finished_by_reconciliation_without_a_queue(db, stack):
    async with booking_stack(db, stack) as rig:
        await direct_hotel(rig, rooms=1)
        booking = await _confirmed(rig, "direct-hotel")
        await rig.side.gateway_faults(outage=True)
        answer = (await rig.bookings.CancelBooking(_cancel(booking.booking_id), timeout=10)).booking
        assert answer.status == bk.BOOKING_STATUS_CANCELLING
        await rig.side.gateway_faults(outage=False)
        assert (await jobs.reconcile(rig.deps, timedelta(0)))["cancelled"] in (0, 1)  # or the queue won
        done = await rig.until_status(booking.booking_id, bk.BOOKING_STATUS_CANCELLED, timeout=10)
        assert done.paid_amount.amount_minor == 0
        assert (await rig.side.payment(booking.payment_reference))["status"] == "refunded"
        assert await rig.nights("direct-hotel", 2, 1) == [(1, 0, 1)]


async def test_a_booking_a_partner_sold_is_not_cancelled_through_the_booking_service(db, stack):
    async with booking_stack(db, stack) as rig:
        listed = await listed_hotel(rig.channel, rooms=3)
        sold = await listed.notify(reservation(rooms=2))
        async with db.reading() as conn:
            before = (await conn.execute(select(bookings).where(bookings.c.id == sold.booking_id))).one()
        refused = await fails(rig.bookings.CancelBooking(_cancel(sold.booking_id), timeout=10))
        assert (refused.code, refused.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "SOLD_BY_PARTNER")
        async with db.reading() as conn:
            assert (await conn.execute(select(bookings).where(bookings.c.id == sold.booking_id))).one() == before
        # The partner's own cancellation still gives the rooms back.
        await listed.notify(reservation(revision=2, status=pb.RESERVATION_STATUS_CANCELLED, rooms=2))
        async with db.reading() as conn:
            assert (await conn.execute(select(bookings.c.status).where(
                bookings.c.id == sold.booking_id))).scalar_one() == "cancelled"
