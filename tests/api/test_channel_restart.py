"""A channel manager that starts its sequence again (lost its state) is detected and reloaded whole."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import aiohttp
import grpc
from hotelagg.inventory.v1 import inventory_pb2 as inv
from sqlalchemy import select

from sandbox.channel_manager import Config, start
from servers import bootstrap
from servers.runtime.config import Settings
from servers.storage.tables import webhook_events
from tests.api.channel_helpers import CODE as MIRRORED_CODE
from tests.api.channel_helpers import NIGHTS, mirrored
from tests.api.helpers import inventory_stub, pb_date, request_id

HOTEL, CODE = "restarting-hotel", "CM-RST-1"


async def _sandbox_with(price: int, port: int = 0):
    runner, bound = await start(port=port, config=Config(), shutdown_timeout=1.0)
    body = {"hotel_code": CODE, "name": "Restarting", "currency": "EUR", "start": date.today().isoformat(),
            "nights": 10, "room_types": [{"code": "STD", "name": "Standard", "total": 5, "price_minor": price}]}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"http://127.0.0.1:{bound}/admin/hotels", json=body) as reply:
            assert reply.status == 201
    return runner, bound


async def _change_prices(base_url: str, price: int, times: int) -> None:
    night = {"date": date.today().isoformat(), "price_minor": price}
    async with aiohttp.ClientSession() as session:
        for _ in range(times):
            body = {"hotel_code": CODE, "room_type_code": "STD", "nights": [night]}
            async with session.post(f"{base_url}/admin/ari", json=body) as reply:
                assert reply.status == 200


async def _prices(stub) -> set[int]:
    reply = await stub.GetAvailability(inv.GetAvailabilityRequest(
        hotel_id=HOTEL, room_type_code="STD", start_date=pb_date(date.today()),
        end_date=pb_date(date.today() + timedelta(days=10))))
    return {n.price.amount_minor for n in reply.room_types[0].nights}


async def test_sequence_going_back_reloads_the_hotel(db):
    runner, port = await _sandbox_with(10000)
    base_url = f"http://127.0.0.1:{port}"
    settings = Settings(database_url=db.url, port=0, webhook_port=0, poll_interval_seconds=3600,
                        channel_managers={"sandbox": {"base_url": base_url, "api_key": "sandbox-key",
                                                      "webhook_secret": "restart-test-webhook-secret"}})
    running = await bootstrap.start(settings)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = inventory_stub(channel)
            await stub.CreateHotel(inv.CreateHotelRequest(request_id=request_id(), hotel_id=HOTEL, hotel=inv.Hotel(
                name="Restarting", city="Rome", country_code="IT", latitude=41.9, longitude=12.5,
                time_zone="Europe/Rome", currency_code="EUR",
                channel_manager={"channel_manager_id": "sandbox", "base_url": base_url, "hotel_code": CODE})))
            await stub.CreateRoomType(inv.CreateRoomTypeRequest(
                request_id=request_id(), hotel_id=HOTEL,
                room_type=inv.RoomType(code="STD", name="Standard", max_occupancy=2, total_rooms=5)))
            poller = running.system.poller
            await poller.poll_all()
            assert await _prices(stub) == {10000}
            await _change_prices(base_url, 10000, times=4)  # the first sandbox's sequence moves on to 5
            await poller.poll_all()
            await runner.cleanup()
            runner, _ = await _sandbox_with(20000, port)
            await poller.poll_all()
            assert await _prices(stub) == {20000}
    finally:
        await runner.cleanup()
        await running.stop(grace=None)


async def test_events_waiting_from_before_a_restart_are_not_applied_after_it(db):
    """An event that waited for a gap under the old numbering must not pass for a new one (issue 14, item 10)."""
    async with mirrored(db) as rig:
        await rig.poller.poll_all()
        await rig.change_prices(10000, times=3)
        await rig.poller.poll_all()
        before = await rig.cursor()
        # A sale elsewhere, pushed after one the webhook lost: it waits for the one missing before it.
        early = {"event_id": uuid.uuid4().hex, "hotel_code": MIRRORED_CODE, "sequence": before + 2,
                 "occurred_at": "2026-11-25T16:00:00Z", "type": "delta",
                 "delta": {"room_type_code": "STD", "date": date.today().isoformat(), "available_change": -3,
                           "channel": "expedia", "reservation_id": "old-1"}}
        status, answer = await rig.post(early)
        assert (status, answer["status"]) == (200, "waiting")

        await rig.restart_sandbox(20000)
        await rig.poller.poll_all()  # the feed went back: the hotel is reloaded whole
        assert await rig.nights() == [(5, 20000)] * NIGHTS
        await rig.change_prices(20000, times=before + 1 - len(await rig.feed()))  # up to just before it
        await rig.poller.poll_all()
        assert await rig.cursor() == before + 1
        assert await rig.nights() == [(5, 20000)] * NIGHTS
        async with db.reading() as conn:
            waiting = (await conn.execute(select(webhook_events.c.event_id).where(
                webhook_events.c.applied_at.is_(None)))).scalars().all()
        assert waiting == []
