"""CreateBooking → ConfirmBooking → CancelBooking on a direct hotel, over real gRPC and a real gateway."""

from __future__ import annotations

import asyncio

import grpc
from hotelagg.booking.v1 import booking_pb2 as bk
from sqlalchemy import select

from servers.storage.tables import bookings, holds, inventory
from tests.api.helpers import days_ahead, fails, request_id
from tests.e2e.booking_rig import booking_stack, create, direct_hotel

HOTEL = "direct-hotel"


async def _night(db, day) -> tuple[int, int]:
    async with db.reading() as conn:
        row = (await conn.execute(select(inventory.c.available, inventory.c.held)
                                  .where(inventory.c.night == day))).one()
    return row.available, row.held


async def test_create_holds_and_authorizes_then_confirm_sells_and_captures(db):
    async with booking_stack(db, {}) as rig:
        await direct_hotel(rig, price=12000)
        created = (await rig.bookings.CreateBooking(create(HOTEL, nights=2, rooms=2))).booking
        assert created.status == bk.BOOKING_STATUS_HELD
        assert created.total_amount.amount_minor == 2 * 2 * 12000
        assert created.expire_time.seconds > 0 and created.payment_reference
        assert await _night(db, days_ahead(2)) == (5, 2)
        confirmed = (await rig.bookings.ConfirmBooking(bk.ConfirmBookingRequest(
            request_id=request_id(), booking_id=created.booking_id))).booking
        assert confirmed.status == bk.BOOKING_STATUS_CONFIRMED
        assert confirmed.paid_amount.amount_minor == 48000
        assert await _night(db, days_ahead(2)) == (3, 0)
        stats = await rig.side.gateway_stats()
        assert stats["payments"].get("captured") == 1


async def test_concurrent_identical_creates_make_one_booking_one_hold_one_authorization(db):
    async with booking_stack(db, {}) as rig:
        await direct_hotel(rig)
        request = create(HOTEL, nights=2)
        results = await asyncio.gather(*(rig.bookings.CreateBooking(request) for _ in range(10)),
                                       return_exceptions=True)
        made = {r.booking.booking_id for r in results if isinstance(r, bk.CreateBookingResponse)}
        others = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
        assert len(made) == 1
        assert all(e.code() == grpc.StatusCode.ABORTED for e in others)
        async with db.reading() as conn:
            assert len((await conn.execute(select(bookings))).all()) == 1
            assert len((await conn.execute(select(holds))).all()) == 1
        assert sum((await rig.side.gateway_stats())["payments"].values()) == 1
        other = create(HOTEL, nights=2, rooms=2)
        other.request_id = request.request_id
        reused = await fails(rig.bookings.CreateBooking(other))
        assert (reused.code, reused.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "IDEMPOTENCY_KEY_REUSED")


async def test_last_rooms_go_to_exactly_as_many_bookings(db):
    async with booking_stack(db, {}) as rig:
        await direct_hotel(rig, rooms=5)

        async def book():
            booking = (await rig.bookings.CreateBooking(create(HOTEL, nights=2))).booking
            return (await rig.bookings.ConfirmBooking(bk.ConfirmBookingRequest(
                request_id=request_id(), booking_id=booking.booking_id))).booking

        results = await asyncio.gather(*(book() for _ in range(15)), return_exceptions=True)
        confirmed = [r for r in results if isinstance(r, bk.Booking)]
        lost = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
        assert len(confirmed) == 5
        assert {(e.code(), _reason(e)) for e in lost} == {(grpc.StatusCode.FAILED_PRECONDITION, "SOLD_OUT")}
        assert await _night(db, days_ahead(2)) == (0, 0)


def _reason(error) -> str:
    from tests.api.helpers import failure

    return failure(error).reason


async def test_declined_card_fails_and_gives_the_rooms_back(db):
    async with booking_stack(db, {}) as rig:
        await direct_hotel(rig)
        declined = await fails(rig.bookings.CreateBooking(create(HOTEL, nights=2, token="tok_declined")))
        assert (declined.code, declined.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "PAYMENT_DECLINED")
        assert await _night(db, days_ahead(2)) == (5, 0)
        async with db.reading() as conn:
            row = (await conn.execute(select(bookings.c.status, bookings.c.request_id))).one()
        assert (row.status, row.request_id) == ("failed", None)


async def test_cancel_held_voids_and_releases_and_confirm_after_cancel_is_illegal(db):
    async with booking_stack(db, {}) as rig:
        await direct_hotel(rig)
        created = (await rig.bookings.CreateBooking(create(HOTEL, nights=2))).booking
        cancelled = (await rig.bookings.CancelBooking(bk.CancelBookingRequest(
            request_id=request_id(), booking_id=created.booking_id, reason="changed plans"))).booking
        assert cancelled.status == bk.BOOKING_STATUS_CANCELLED
        assert await _night(db, days_ahead(2)) == (5, 0)
        assert (await rig.side.gateway_stats())["payments"].get("voided") == 1
        illegal = await fails(rig.bookings.ConfirmBooking(bk.ConfirmBookingRequest(
            request_id=request_id(), booking_id=created.booking_id)))
        assert (illegal.code, illegal.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ILLEGAL_TRANSITION")
        assert illegal.metadata["status"] == "CANCELLED"
