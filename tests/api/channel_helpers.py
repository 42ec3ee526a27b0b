"""A sandbox channel manager and our server mirroring one of its hotels, for the sync API tests.

`mirrored(db)` yields a Mirrored: the sandbox (steered over its admin API), our running server with
that channel manager configured (its poller is driven by the test), and the mirrored hotel, created
on both sides. Webhooks are posted by the test itself, signed, so it decides what arrives when.
"""

from __future__ import annotations

import json
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta

import aiohttp
import grpc
from hotelagg.inventory.v1 import inventory_pb2 as inv
from sqlalchemy import select

from clients.channel_managers import sign
from sandbox.channel_manager import Config, start
from servers import bootstrap
from servers.runtime.config import Settings
from servers.storage.tables import sync_cursors
from tests.api.helpers import inventory_stub, pb_date, request_id

HOTEL, CODE, SECRET, API_KEY = "mirrored-hotel", "CM-MIR-1", "mirror-test-webhook-secret", "sandbox-key"
NIGHTS = 10


@dataclass
class Mirrored:
    running: object
    stub: object
    sandbox: object  # the sandbox's runner
    sandbox_port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    @property
    def poller(self):
        return self.running.system.poller

    async def restart_sandbox(self, price: int) -> None:
        """The channel manager loses its state and starts again on the same port, from sequence 0."""
        await self.sandbox.cleanup()
        self.sandbox, _ = await sandbox_with(price, self.sandbox_port)

    async def change_prices(self, price: int, times: int = 1, code: str = CODE) -> None:
        """Each change is one snapshot event at the sandbox, so its sequence moves on by `times`."""
        night = {"date": date.today().isoformat(), "price_minor": price}
        async with aiohttp.ClientSession() as session:
            for _ in range(times):
                body = {"hotel_code": code, "room_type_code": "STD", "nights": [night]}
                async with session.post(f"{self.base_url}/admin/ari", json=body) as reply:
                    assert reply.status == 200

    async def sell_elsewhere(self, night: date, rooms: int = 1, channel: str = "expedia") -> None:
        """Another channel holds rooms on one night at the sandbox: one delta event there."""
        body = {"hotel_code": CODE, "room_type_code": "STD", "check_in": night.isoformat(),
                "check_out": (night + timedelta(days=1)).isoformat(), "rooms": rooms, "channel": channel}
        headers = {"X-Api-Key": API_KEY, "Idempotency-Key": uuid.uuid4().hex}
        async with aiohttp.ClientSession(headers=headers) as session:
            async with session.post(f"{self.base_url}/reservations", json=body) as reply:
                assert reply.status == 201, await reply.text()

    async def emit_garbage(self, kind: str, change: dict, code: str = CODE) -> int:
        """The sandbox signs and feeds an event with this change as written (a buggy channel manager)."""
        body = {"hotel_code": code, "type": kind, kind: change}
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{self.base_url}/admin/unchecked-events", json=body) as reply:
                assert reply.status == 200, await reply.text()
                return (await reply.json())["sequence"]

    async def add_hotel(self, hotel_id: str, code: str) -> None:
        """One more hotel of the same channel manager, mirrored too."""
        await add_sandbox_hotel(self.sandbox_port, 10000, code)
        await create_mirrored_hotel(self.stub, self.base_url, hotel_id, code)

    async def faults(self, **settings) -> None:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{self.base_url}/admin/faults", json=settings) as reply:
                assert reply.status == 200, await reply.text()

    async def feed_while_down(self, since: int = 0) -> list[dict]:
        """The feed read behind an outage (as its webhooks still carry the events)."""
        await self.faults(outage=False)
        try:
            return await self.feed(since)
        finally:
            await self.faults(outage=True)

    async def feed(self, since: int = 0) -> list[dict]:
        """The sandbox's own events, as its webhooks would carry them."""
        async with aiohttp.ClientSession(headers={"X-Api-Key": API_KEY}) as session:
            url = f"{self.base_url}/hotels/{CODE}/changes"
            async with session.get(url, params={"since": str(since), "limit": "500"}) as reply:
                assert reply.status == 200
                return (await reply.json())["events"]

    async def post(self, body: dict | bytes, headers: dict | None = None) -> tuple[int, dict]:
        """A webhook signed with the right secret (unless `headers` say otherwise)."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent = {"X-CM-Signature": sign(SECRET, raw, int(time.time())), "Content-Type": "application/json",
                **(headers or {})}
        url = f"http://127.0.0.1:{self.running.system.webhook_port}/webhooks/channel-managers/sandbox"
        async with aiohttp.ClientSession() as session, session.post(url, data=raw, headers=sent) as reply:
            return reply.status, await reply.json()

    async def nights(self, hotel_id: str = HOTEL) -> list[tuple[int, int]]:
        """(available, price) of the STD nights in our mirror, today onwards."""
        reply = await self.stub.GetAvailability(inv.GetAvailabilityRequest(
            hotel_id=hotel_id, room_type_code="STD", start_date=pb_date(date.today()),
            end_date=pb_date(date.today() + timedelta(days=NIGHTS))))
        return [(n.available_rooms, n.price.amount_minor) for n in reply.room_types[0].nights]

    async def cursor(self, hotel_id: str = HOTEL) -> int | None:
        query = select(sync_cursors.c.last_sequence).where(sync_cursors.c.hotel_id == hotel_id)
        async with self.running.system.db.reading() as conn:
            return (await conn.execute(query)).scalar()

    async def heard(self, hotel_id: str = HOTEL) -> tuple:
        """When the mirror was last known in step with the source: (last applied, last polled)."""
        query = (select(sync_cursors.c.updated_at, sync_cursors.c.last_polled_at)
                 .where(sync_cursors.c.hotel_id == hotel_id))
        async with self.running.system.db.reading() as conn:
            return tuple((await conn.execute(query)).one())


async def sandbox_with(price: int, port: int = 0, code: str = CODE, rooms: int = 5, announce: bool = True):
    runner, bound = await start(port=port, config=Config(), shutdown_timeout=1.0)
    await add_sandbox_hotel(bound, price, code, rooms, announce)
    return runner, bound


async def add_sandbox_hotel(port: int, price: int, code: str, rooms: int = 5, announce: bool = True) -> None:
    """`announce=False`: a hotel that sold before it was connected; its feed starts at the next change."""
    body = {"announce": announce, "hotel_code": code, "name": code, "currency": "EUR",
            "start": date.today().isoformat(), "nights": NIGHTS,
            "room_types": [{"code": "STD", "name": "Standard", "total": rooms, "price_minor": price}]}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"http://127.0.0.1:{port}/admin/hotels", json=body) as reply:
            assert reply.status == 201


async def create_mirrored_hotel(stub, base_url: str, hotel_id: str = HOTEL, code: str = CODE, rooms: int = 5) -> None:
    await stub.CreateHotel(inv.CreateHotelRequest(request_id=request_id(), hotel_id=hotel_id, hotel=inv.Hotel(
        name=f"Mirrored {hotel_id}", city="Rome", country_code="IT", latitude=41.9, longitude=12.5,
        time_zone="Europe/Rome", currency_code="EUR",
        channel_manager={"channel_manager_id": "sandbox", "base_url": base_url, "hotel_code": code})))
    await stub.CreateRoomType(inv.CreateRoomTypeRequest(
        request_id=request_id(), hotel_id=hotel_id,
        room_type=inv.RoomType(code="STD", name="Standard", max_occupancy=2, total_rooms=rooms)))


@asynccontextmanager
async def mirrored(db, price: int = 10000, announce: bool = True):
    runner, port = await sandbox_with(price, announce=announce)
    base_url = f"http://127.0.0.1:{port}"
    settings = Settings(database_url=db.url, port=0, webhook_port=0, poll_interval_seconds=3600,
                        channel_managers={"sandbox": {"base_url": base_url, "api_key": API_KEY,
                                                      "webhook_secret": SECRET}})
    running = await bootstrap.start(settings)
    rig = Mirrored(running, None, runner, port)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            rig.stub = inventory_stub(channel)
            await create_mirrored_hotel(rig.stub, base_url)
            yield rig
    finally:
        await rig.sandbox.cleanup()
        await running.stop(grace=None)
