"""The booking server killed (SIGKILL) between the capture of the payment and the confirm at the channel
manager: restarted, its reconciliation finishes the booking — CONFIRMED here, confirmed at the sandbox,
the payment captured once (ARCHITECTURE §5 rule 8).

`python -m servers serve` runs as a real process over the `db` fixture's database (an SQLite file, or the
test PostgreSQL database with Redis and RabbitMQ: the production-like run); the sandbox channel manager
and payment gateway run in this test's process, so every wait here is an asyncio one.
"""

from __future__ import annotations

import asyncio
import signal
import time

import grpc
from hotelagg.booking.v1 import booking_pb2 as bk
from hotelagg.booking.v1 import booking_pb2_grpc
from hotelagg.inventory.v1 import inventory_pb2 as inv
from sqlalchemy import select

from servers.storage.tables import bookings, holds
from tests.api.helpers import days_ahead, inventory_stub, pb_date
from tests.e2e.booking_rig import confirm, create, sandboxes, until
from tests.e2e.crash_rig import mirrored_hotel, served, server_settings
from tests.e2e.process import free_port

HOTEL = "cm-crash-hotel"


def booking_stub_of(channel) -> booking_pb2_grpc.BookingServiceStub:
    return booking_pb2_grpc.BookingServiceStub(channel)


async def _row(db, booking_id: str):
    async with db.reading() as conn:
        return (await conn.execute(select(bookings).where(bookings.c.id == booking_id))).one()


async def test_a_booking_killed_between_capture_and_confirm_is_finished_by_reconciliation(db, stack, tmp_path):
    async with sandboxes() as side:
        webhook_port = free_port()
        settings = server_settings(db, side, stack, webhook_port)
        async with served(tmp_path, "first", dict(settings, reconcile_interval_seconds="3600")) as (process, ch):
            await mirrored_hotel(ch, side, webhook_port, HOTEL)
            booking_stub = booking_stub_of(ch)
            held = (await booking_stub.CreateBooking(create(HOTEL, first=2, nights=1), timeout=10)).booking
            assert held.status == bk.BOOKING_STATUS_HELD

            await side.faults(latency_ms=8000)  # the confirm at the channel manager hangs
            confirming = asyncio.ensure_future(booking_stub.ConfirmBooking(confirm(held.booking_id), timeout=30))

            async def captured_and_recorded() -> bool:
                return (await _row(db, held.booking_id)).paid_minor > 0

            await until(captured_and_recorded, 10, "the capture was recorded")
            await asyncio.sleep(0.3)  # the hold is committed; the confirm waits at the channel manager
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            try:
                await confirming
                raise AssertionError("ConfirmBooking answered although its server was killed")
            except grpc.aio.AioRpcError as error:
                assert error.code() == grpc.StatusCode.UNAVAILABLE

        row = await _row(db, held.booking_id)
        assert (row.status, row.paid_minor) == ("held", held.total_amount.amount_minor)
        assert side.reservation_status(held.channel_manager_reservation_id) == "held"
        assert await side.payments() == {"captured": 1}
        await side.faults(latency_ms=0)

        restart = dict(settings, reconcile_stuck_seconds="1", reconcile_interval_seconds="1")
        async with served(tmp_path, "second", restart) as (_, ch):
            began = time.monotonic()

            async def confirmed() -> bool:
                reply = await booking_stub_of(ch).GetBooking(bk.GetBookingRequest(booking_id=held.booking_id),
                                                             timeout=5)
                return reply.booking.status == bk.BOOKING_STATUS_CONFIRMED

            await until(confirmed, 15, "reconciliation confirmed the booking")
            print(f"\nreconciled in {time.monotonic() - began:.2f}s after the restart")
            final = (await booking_stub_of(ch).GetBooking(bk.GetBookingRequest(booking_id=held.booking_id))).booking
            assert final.paid_amount.amount_minor == held.total_amount.amount_minor
            assert side.reservation_status(held.channel_manager_reservation_id) == "confirmed"
            assert await side.payments() == {"captured": 1}
            captures = (await side.gateway_stats())["requests"]["by_route"]
            assert sum(n for route, n in captures.items() if route.endswith("/capture")) == 1
            async with db.reading() as conn:
                assert (await conn.execute(select(holds.c.status))).scalars().all() == ["committed"]
            reply = await inventory_stub(ch).GetAvailability(inv.GetAvailabilityRequest(
                hotel_id=HOTEL, start_date=pb_date(days_ahead(2)), end_date=pb_date(days_ahead(3))), timeout=5)
            assert [(n.available_rooms, n.held_rooms) for n in reply.room_types[0].nights] == [(4, 0)]
