"""The booking server killed (SIGKILL) between the capture of the payment and the confirm at the channel
manager: restarted, its reconciliation finishes the booking — CONFIRMED here, confirmed at the sandbox,
the payment captured once (ARCHITECTURE §5 rule 8).

`python -m servers serve` runs as a real process over the `db` fixture's database (an SQLite file, or the
test PostgreSQL database with Redis and RabbitMQ: the production-like run); the sandbox channel manager
and payment gateway run in this test's process, so every wait here is an asyncio one.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from contextlib import asynccontextmanager

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hotelagg.booking.v1 import booking_pb2 as bk
from hotelagg.booking.v1 import booking_pb2_grpc
from hotelagg.inventory.v1 import inventory_pb2 as inv
from sqlalchemy import select

from servers.storage.tables import bookings, holds
from tests.api.helpers import days_ahead, hotel_message, inventory_stub, pb_date, request_id
from tests.e2e.booking_rig import CM_ID, GATEWAY_KEY, HOTEL_CODE, SECRET, confirm, create, sandboxes, until
from tests.e2e.process import ROOT, clean_env, free_port

HOTEL = "cm-crash-hotel"


@asynccontextmanager
async def served(workdir, name: str, settings: dict):
    """`python -m servers serve` on a free port until it answers health checks; killed on exit."""
    port = free_port()
    env = clean_env(port=str(port), **settings)
    with open(workdir / f"{name}.out", "wb") as out, open(workdir / f"{name}.err", "wb") as err:
        process = subprocess.Popen([sys.executable, "-m", "servers", "serve"], cwd=ROOT, env=env,
                                   stdout=out, stderr=err)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        health = health_pb2_grpc.HealthStub(channel)

        async def serving() -> bool:
            assert process.poll() is None, (workdir / f"{name}.err").read_text()[-3000:]
            try:
                reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                return reply.status == health_pb2.HealthCheckResponse.SERVING
            except grpc.aio.AioRpcError:
                return False

        await until(serving, 30, f"{name} serving")
        yield process, channel
    finally:
        await channel.close()
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def booking_stub_of(channel) -> booking_pb2_grpc.BookingServiceStub:
    return booking_pb2_grpc.BookingServiceStub(channel)


async def _row(db, booking_id: str):
    async with db.reading() as conn:
        return (await conn.execute(select(bookings).where(bookings.c.id == booking_id))).one()


async def test_a_booking_killed_between_capture_and_confirm_is_finished_by_reconciliation(db, stack, tmp_path):
    async with sandboxes() as side:
        webhook_port = free_port()
        settings = dict(
            database_url=db.url, payment_gateway_url=side.gateway_url, payment_api_key=GATEWAY_KEY,
            channel_managers=json.dumps(side.cm_setting()), webhook_port=str(webhook_port),
            poll_interval_seconds="0.5", booking_expiry_interval_seconds="3600", log_level="WARNING",
            **{k: str(v) for k, v in stack.items()})
        async with served(tmp_path, "first", dict(settings, reconcile_interval_seconds="3600")) as (process, ch):
            stub = inventory_stub(ch)
            await stub.CreateHotel(inv.CreateHotelRequest(request_id=request_id(), hotel_id=HOTEL, hotel=hotel_message(
                channel_manager=inv.ChannelManagerLink(channel_manager_id=CM_ID, base_url=side.cm_url,
                                                       hotel_code=HOTEL_CODE))), timeout=10)
            await stub.CreateRoomType(inv.CreateRoomTypeRequest(request_id=request_id(), hotel_id=HOTEL,
                room_type=inv.RoomType(code="STD", name="Standard", max_occupancy=2, total_rooms=5)), timeout=10)
            await side.cm_admin("/admin/hotels", {
                "hotel_code": HOTEL_CODE, "name": "Crash", "currency": "EUR", "start": days_ahead(1).isoformat(),
                "nights": 5, "room_types": [{"code": "STD", "name": "Standard", "total": 5, "price_minor": 9000}]})
            status, body = await side.cm("POST", "/subscriptions", {
                "url": f"http://127.0.0.1:{webhook_port}/webhooks/channel-managers/{CM_ID}", "secret": SECRET})
            assert status == 201, body

            async def loaded() -> bool:
                reply = await stub.GetAvailability(inv.GetAvailabilityRequest(
                    hotel_id=HOTEL, start_date=pb_date(days_ahead(2)), end_date=pb_date(days_ahead(3))), timeout=5)
                return [n.available_rooms for rt in reply.room_types for n in rt.nights] == [5]

            await until(loaded, 10, "the mirror loaded the hotel")
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
