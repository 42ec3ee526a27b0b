"""A sandbox channel manager and our server mirroring it, wired as in production, for the sync e2e tests.

`sync_rig(db, ...)` starts the sandbox in-process on port 0 and our app over `db` with that channel
manager configured, creates the mirrored hotel over gRPC, then the hotel at the sandbox (3 room types,
30 nights from tomorrow), subscribes our webhook receiver there and runs one poll to load it. The rig then
reads both sides (`sandbox_ari`, `mirror_ari`), steers the sandbox (`faults`, `competitors`, `set_nights`)
and waits, always bounded.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
import grpc
from hotelagg.common.v1 import common_pb2
from hotelagg.inventory.v1 import inventory_pb2 as inv
from hotelagg.inventory.v1 import inventory_pb2_grpc
from sqlalchemy import func, select

from sandbox.channel_manager import Config
from sandbox.channel_manager import start as start_sandbox
from sandbox.channel_manager.plumbing import STATE
from servers import bootstrap
from servers.runtime.config import Settings
from servers.storage.tables import sync_cursors, webhook_events

CM_ID = "sandbox"
API_KEY = "e2e-sandbox-key"
SECRET = "e2e-webhook-secret-0123456789"
HOTEL_ID = "cm-e2e-hotel"
HOTEL_CODE = "E2E-SYNC-1"
ROOM_TYPES = {"STD": (8, 12000), "DBL": (6, 16000), "STE": (5, 30000)}  # code → (rooms, price)
NIGHTS = 30

# One night as both sides state it: total, available, price, and the five restrictions.
NightState = tuple[int, int, int, int, int, bool, bool, bool]


def first_night() -> dt.date:
    return dt.date.today() + dt.timedelta(days=1)


def night_date(offset: int) -> dt.date:
    return first_night() + dt.timedelta(days=offset)


def pb_date(value: dt.date) -> common_pb2.Date:
    return common_pb2.Date(year=value.year, month=value.month, day=value.day)


def _request_id() -> str:
    return uuid.uuid4().hex


@dataclass
class GapWatch:
    """Counts what the mirror asked of the poller, and the polls the poller made, after setup."""

    gaps: int = 0
    polls: int = 0
    poll_times: list[float] = field(default_factory=list)


@dataclass
class SyncRig:
    running: object
    sandbox_runner: object
    sandbox_port: int
    http: aiohttp.ClientSession
    stub: inventory_pb2_grpc.InventoryServiceStub
    settings: Settings
    room_types: list[str] = field(default_factory=list)  # created on our side so far
    subscription_id: str = ""
    load_sequence: int = 0
    watch: GapWatch = field(default_factory=GapWatch)

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.running.system.webhook_port}/webhooks/channel-managers/{CM_ID}"

    @property
    def poller(self):
        return self.running.system.poller

    @property
    def breaker(self):
        return self.running.system.clients[CM_ID].breaker

    # ---- the sandbox ----------------------------------------------------------------------------

    async def call(self, method: str, path: str, body: object = None, **params) -> tuple[int, dict | None]:
        headers = {"X-Api-Key": API_KEY}
        async with self.http.request(method, self.sandbox_url + path, json=body, params=params or None,
                                     headers=headers) as reply:
            text = await reply.text()
            return reply.status, (json.loads(text) if text else None)

    async def admin(self, path: str, body: object = None) -> dict:
        status, answer = await self.call("POST" if body is not None else "GET", path, body)
        assert 200 <= status < 300, (path, status, answer)
        return answer

    async def faults(self, **faults) -> dict:
        return await self.admin("/admin/faults", faults)

    async def competitors(self, rate_per_second: float, cancel_ratio: float = 0.3) -> dict:
        return await self.admin("/admin/competitors", {"rate_per_second": rate_per_second,
                                                        "cancel_ratio": cancel_ratio,
                                                        "hotel_codes": [HOTEL_CODE]})

    async def stats(self) -> dict:
        return await self.admin("/admin/stats")

    async def set_nights(self, room_type: str, nights: list[dict]) -> int:
        answer = await self.admin("/admin/ari", {"hotel_code": HOTEL_CODE, "room_type_code": room_type,
                                                 "nights": nights})
        return answer["sequence"]

    async def latest_sequence(self) -> int:
        status, body = await self.call("GET", f"/hotels/{HOTEL_CODE}/changes", since="0", limit="1")
        assert status == 200, body
        return body["latest"]

    async def feed_event_ids(self, after: int) -> dict[str, int]:
        """event id → sequence of every event in the sandbox feed with sequence > after."""
        ids: dict[str, int] = {}
        since = after
        while True:
            status, body = await self.call("GET", f"/hotels/{HOTEL_CODE}/changes", since=str(since), limit="1000")
            assert status == 200, body
            if not body["events"]:
                return ids
            ids.update({e["event_id"]: e["sequence"] for e in body["events"]})
            since = body["events"][-1]["sequence"]

    async def sandbox_ari(self, in_process: bool = False) -> dict[tuple[str, dt.date], NightState]:
        """The sandbox's truth over the hotel's nights: its public ARI read, as a mirror would do, or
        (in_process, while its API is down on purpose) the same answer straight from its state."""
        if in_process:
            body = self.sandbox_runner.app[STATE].ari(HOTEL_CODE, first_night(), night_date(NIGHTS))
        else:
            status, body = await self.call("GET", f"/hotels/{HOTEL_CODE}/ari", start=first_night().isoformat(),
                                           end=night_date(NIGHTS).isoformat())
            assert status == 200, body
        out = {}
        for rt in body["room_types"]:
            for n in rt["nights"]:
                r = n["restrictions"]
                out[(rt["code"], dt.date.fromisoformat(n["date"]))] = (
                    n["total"], n["available"], n["price_minor"], r["min_stay"], r["max_stay"],
                    r["closed_to_arrival"], r["closed_to_departure"], r["stop_sell"])
        return out

    async def wait_webhooks_settled(self, timeout: float = 10.0) -> dict:
        """Until the sandbox has nothing queued, delayed or in flight for any subscription."""
        deadline = time.monotonic() + timeout
        while True:
            webhooks = (await self.stats())["webhooks"]
            in_flight = webhooks["sent"] - webhooks["acknowledged"] - webhooks["failed_attempts"]
            if webhooks["pending"] == 0 and in_flight == 0:
                return webhooks
            if time.monotonic() > deadline:
                raise AssertionError(f"webhooks did not settle within {timeout}s: {webhooks}")
            await asyncio.sleep(0.05)

    # ---- our side -------------------------------------------------------------------------------

    async def mirror_ari(self, timeout: float = 5.0) -> dict[tuple[str, dt.date], NightState]:
        reply = await self.stub.GetAvailability(inv.GetAvailabilityRequest(
            hotel_id=HOTEL_ID, start_date=pb_date(first_night()), end_date=pb_date(night_date(NIGHTS))),
            timeout=timeout)
        out = {}
        for rt in reply.room_types:
            for n in rt.nights:
                r = n.restrictions
                day = dt.date(n.date.year, n.date.month, n.date.day)
                out[(rt.room_type_code, day)] = (
                    n.total_rooms, n.available_rooms, n.price.amount_minor, r.min_stay, r.max_stay,
                    r.closed_to_arrival, r.closed_to_departure, r.stop_sell)
        return out

    async def mismatches(self, in_process: bool = False) -> list[str]:
        """Every room type and night where our mirror differs from the sandbox (empty: equal)."""
        return diff(await self.sandbox_ari(in_process), await self.mirror_ari())

    async def cache_mismatches(self) -> list[str]:
        """Nights where the search cache (written through on every change, ARCHITECTURE §6) differs
        from the sandbox: sellable rooms (no holds here, so available), price and restrictions."""
        truth = await self.sandbox_ari()
        keys = sorted(truth)
        cached = await self.running.system.cache.get_nights([(HOTEL_ID, day, code) for code, day in keys])
        problems = []
        for (code, day), value in zip(keys, cached, strict=True):
            want = truth[(code, day)]
            want = (want[1], want[2], tuple(want[3:]))
            got = None if value is None else (value.available, value.price, tuple(value.restrictions))
            if got != want:
                problems.append(f"{code} {day}: sandbox {want} cache {got}")
        return problems

    async def wait_mirror_equal(self, timeout: float, interval: float = 0.05) -> float:
        """Seconds until the mirror equals the sandbox; fails with the differences after `timeout`."""
        began = time.monotonic()
        while True:
            problems = await self.mismatches()
            if not problems:
                return time.monotonic() - began
            if time.monotonic() - began > timeout:
                raise AssertionError(f"mirror differs from the sandbox after {timeout}s "
                                     f"({len(problems)} nights): {problems[:8]}")
            await asyncio.sleep(interval)

    async def cursor(self) -> int | None:
        async with self.running.system.db.reading() as conn:
            query = select(sync_cursors.c.last_sequence).where(sync_cursors.c.channel_manager_id == CM_ID,
                                                               sync_cursors.c.hotel_id == HOTEL_ID)
            return (await conn.execute(query)).scalar()

    async def recorded_events(self) -> list[tuple[str, int, bool]]:
        """(event id, sequence, applied) of every row of webhook_events for our hotel."""
        async with self.running.system.db.reading() as conn:
            query = select(webhook_events.c.event_id, webhook_events.c.sequence,
                           webhook_events.c.applied_at.is_not(None)).where(
                webhook_events.c.source == CM_ID, webhook_events.c.hotel_id == HOTEL_ID)
            return [tuple(row) for row in (await conn.execute(query)).all()]

    async def webhook_event_count(self) -> int:
        async with self.running.system.db.reading() as conn:
            return (await conn.execute(select(func.count()).select_from(webhook_events))).scalar_one()

    async def create_room_type(self, code: str) -> None:
        await self.stub.CreateRoomType(inv.CreateRoomTypeRequest(
            request_id=_request_id(), hotel_id=HOTEL_ID,
            room_type=inv.RoomType(code=code, name=code, max_occupancy=2, total_rooms=ROOM_TYPES[code][0])),
            timeout=10)
        self.room_types.append(code)

    def watch_gaps(self) -> None:
        """Count gap signals and the polls that follow from now on (without changing what they do)."""
        mirror, poller, watch = self.running.system.mirror, self.poller, self.watch
        on_gap, poll_hotel = mirror.on_gap, poller.poll_hotel

        def counting_gap(hotel_id: str) -> None:
            watch.gaps += 1
            on_gap(hotel_id)

        async def counting_poll(hotel):
            watch.polls += 1
            watch.poll_times.append(time.monotonic())
            return await poll_hotel(hotel)

        mirror.on_gap = counting_gap
        poller.poll_hotel = counting_poll


def diff(truth: dict, mirror: dict) -> list[str]:
    problems = []
    for key in sorted(set(truth) | set(mirror)):
        if truth.get(key) != mirror.get(key):
            problems.append(f"{key[0]} {key[1]}: sandbox {truth.get(key)} mirror {mirror.get(key)}")
    return problems


async def bounded(awaitable: Awaitable, timeout: float):
    return await asyncio.wait_for(awaitable, timeout)


async def until(check: Callable[[], Awaitable[bool]], timeout: float, what: str, interval: float = 0.05) -> float:
    began = time.monotonic()
    while not await check():
        if time.monotonic() - began > timeout:
            raise AssertionError(f"{what}: not within {timeout}s")
        await asyncio.sleep(interval)
    return time.monotonic() - began


async def _put_sandbox_hotel(rig: SyncRig) -> None:
    await rig.admin("/admin/hotels", {
        "hotel_code": HOTEL_CODE, "name": "E2E Sync", "currency": "EUR", "start": first_night().isoformat(),
        "nights": NIGHTS,
        "room_types": [{"code": c, "name": c, "total": t, "price_minor": p} for c, (t, p) in ROOM_TYPES.items()],
    })


async def _create_mirrored_hotel(rig: SyncRig, room_types: Sequence[str]) -> None:
    await rig.stub.CreateHotel(inv.CreateHotelRequest(request_id=_request_id(), hotel_id=HOTEL_ID, hotel=inv.Hotel(
        name="E2E Sync", city="Rome", country_code="IT", latitude=41.9, longitude=12.5, time_zone="Europe/Rome",
        currency_code="EUR", channel_manager=inv.ChannelManagerLink(
            channel_manager_id=CM_ID, base_url=rig.sandbox_url, hotel_code=HOTEL_CODE))), timeout=10)
    for code in room_types:
        await rig.create_room_type(code)


@asynccontextmanager
async def sync_rig(db, poll_interval: float = 3600, seed: int | None = None,
                   before_load: Callable[[SyncRig], Awaitable[None]] | None = None,
                   room_types: Sequence[str] = tuple(ROOM_TYPES), **settings) -> AsyncIterator[SyncRig]:
    """Both sides running and in step; torn down (ours first, then the sandbox) on exit.

    Our hotel and its `room_types` are created before the sandbox has the hotel: a background poll
    round that comes in between then gets a harmless 404, never a hotel with half its room types
    (see test_a_room_type_created_after_the_first_load_is_mirrored). `before_load` runs once both
    hotels exist, before the subscription and the first poll (e.g. to start traffic); then the rig
    does not insist that the load saw the latest sequence. `seed` fixes the sandbox's fault and
    competitor draws."""
    runner, port = await start_sandbox(port=0, config=Config(api_key=API_KEY, random_seed=seed),
                                       shutdown_timeout=1.0)
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
    running = None
    try:
        cm = {"base_url": f"http://127.0.0.1:{port}", "api_key": API_KEY, "webhook_secret": SECRET}
        config = Settings(database_url=db.url, port=0, webhook_port=0, poll_interval_seconds=poll_interval,
                          channel_managers={CM_ID: cm}, **settings)
        running = await bootstrap.start(config)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            rig = SyncRig(running, runner, port, http, inventory_pb2_grpc.InventoryServiceStub(channel), config)
            await _create_mirrored_hotel(rig, room_types)
            await _put_sandbox_hotel(rig)
            if before_load is not None:
                await before_load(rig)
            status, body = await rig.call("POST", "/subscriptions", {"url": rig.webhook_url, "secret": SECRET})
            assert status == 201, body
            rig.subscription_id = body["subscription_id"]
            await bounded(rig.poller.poll_all(), 10)
            rig.load_sequence = await rig.cursor() or 0
            if before_load is None:
                assert rig.load_sequence == await rig.latest_sequence(), "the first poll did not load the hotel"
                problems = [p for p in await rig.mismatches() if p.split()[0] in rig.room_types]
                assert not problems, f"the mirror differs right after the load: {problems[:6]} ({len(problems)})"
            rig.watch_gaps()
            yield rig
    finally:
        if running is not None:
            await running.stop(grace=None)
        await http.close()
        await runner.cleanup()


def event_counts(rows: list[tuple[str, int, bool]]) -> Counter:
    return Counter(event_id for event_id, _, _ in rows)
