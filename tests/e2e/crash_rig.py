"""`python -m servers serve` as a real process that a test kills (SIGKILL) and starts again over the same
database: the sandbox channel manager and payment gateway run in the test's own process (booking_rig),
so they outlive the server, as the real ones would.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from contextlib import asynccontextmanager

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hotelagg.inventory.v1 import inventory_pb2 as inv

from tests.api.helpers import days_ahead, hotel_message, inventory_stub, pb_date, request_id
from tests.e2e.booking_rig import CM_ID, GATEWAY_KEY, HOTEL_CODE, SECRET, until
from tests.e2e.process import ROOT, clean_env, free_port


def server_settings(db, side, stack: dict, webhook_port: int, **more) -> dict[str, str]:
    """HOTELAGG_* settings for a served process wired to the sandboxes (jobs hourly unless `more` says)."""
    settings = dict(
        database_url=db.url, payment_gateway_url=side.gateway_url, payment_api_key=GATEWAY_KEY,
        channel_managers=json.dumps(side.cm_setting()), webhook_port=webhook_port, poll_interval_seconds=0.5,
        booking_expiry_interval_seconds=3600, reconcile_interval_seconds=3600, log_level="WARNING", **stack)
    settings.update(more)
    return {name: str(value) for name, value in settings.items()}


@asynccontextmanager
async def served(workdir, name: str, settings: dict, services: tuple[str, ...] = (), port: int | None = None):
    """`python -m servers serve` (every service, or those given) on `port` or a free one until it answers
    health checks; killed on exit."""
    port = port or free_port()
    env = clean_env(port=str(port), **settings)
    chosen = [arg for service in services for arg in ("--service", service)]
    # Two local log files opened and a child started: neither waits on anything the event loop serves.
    with open(workdir / f"{name}.out", "wb") as out, open(workdir / f"{name}.err", "wb") as err:  # noqa: ASYNC230
        process = subprocess.Popen([sys.executable, "-m", "servers", "serve", *chosen],  # noqa: ASYNC220
                                   cwd=ROOT, env=env, stdout=out, stderr=err)
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


async def mirrored_hotel(channel, side, webhook_port: int, hotel_id: str, rooms: int = 5) -> None:
    """A hotel at the sandbox (STD, `rooms` rooms, 5 nights from tomorrow), created here and mirrored."""
    stub = inventory_stub(channel)
    await stub.CreateHotel(inv.CreateHotelRequest(request_id=request_id(), hotel_id=hotel_id, hotel=hotel_message(
        channel_manager=inv.ChannelManagerLink(channel_manager_id=CM_ID, base_url=side.cm_url,
                                               hotel_code=HOTEL_CODE))), timeout=10)
    await stub.CreateRoomType(inv.CreateRoomTypeRequest(request_id=request_id(), hotel_id=hotel_id,
        room_type=inv.RoomType(code="STD", name="Standard", max_occupancy=2, total_rooms=rooms)), timeout=10)
    await side.cm_admin("/admin/hotels", {
        "hotel_code": HOTEL_CODE, "name": "Crash", "currency": "EUR", "start": days_ahead(1).isoformat(),
        "nights": 5, "room_types": [{"code": "STD", "name": "Standard", "total": rooms, "price_minor": 9000}]})
    status, body = await side.cm("POST", "/subscriptions", {
        "url": f"http://127.0.0.1:{webhook_port}/webhooks/channel-managers/{CM_ID}", "secret": SECRET})
    assert status == 201, body

    async def loaded() -> bool:
        reply = await stub.GetAvailability(inv.GetAvailabilityRequest(
            hotel_id=hotel_id, start_date=pb_date(days_ahead(2)), end_date=pb_date(days_ahead(3))), timeout=5)
        return [n.available_rooms for rt in reply.room_types for n in rt.nights] == [rooms]

    await until(loaded, 10, "the mirror loaded the hotel")


async def kill_once_waiting(process, in_flight, waiting_there, what: str) -> float:
    """SIGKILLs the server once `waiting_there()` says it waits at the step; the call in flight is lost
    (UNAVAILABLE). Returns when it was killed (time.monotonic)."""
    await until(waiting_there, 10, what)
    killed_at = time.monotonic()
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    with pytest.raises(grpc.aio.AioRpcError) as lost:
        await in_flight
    assert lost.value.code() == grpc.StatusCode.UNAVAILABLE
    return killed_at
