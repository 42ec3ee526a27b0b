"""Sync freshness: how long after a change at the channel manager GetAvailability shows it, at 200
changes/s (issue goal: p99 ≤ 100 ms), against the transport floor measured in the same run: the same
webhook reaching a bare aiohttp receiver in this process.

The sandbox channel manager and our server run as processes of their own; the hotel is loaded by the
poller (whose interval is long, so every change after the load reaches us by webhook). Each change
sets one night to a unique price; WatchInventory (published right after the change commits) sees
every one, and every 20th is also confirmed by reading GetAvailability until the price shows.
`python -m bench.sync_freshness [changes_per_second] [seconds]` (default 200 for 10 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import aiohttp
import grpc
import psycopg
from aiohttp import web
from hotelagg.common.v1 import common_pb2
from hotelagg.inventory.v1 import inventory_pb2 as inv
from hotelagg.inventory.v1 import inventory_pb2_grpc

from bench.common import (
    free_port,
    libpq_url,
    percentile,
    postgres_database,
    record,
    sandbox_channel_manager,
    served,
    source_revision,
)
from clients.channel_managers import verify_signature

HOTEL, CODE = "bench-sync", "BENCH-SYNC-1"
ROOM_TYPES = ("STD", "DBL", "TWN", "STE")
NIGHTS = 60
API_KEY = "sandbox-key"
OUR_SECRET = "bench-webhook-secret-ours"
FLOOR_SECRET = "bench-webhook-secret-floor"
BASE_PRICE = 1_000_000  # change i sets price BASE_PRICE + i: the price names the change
SAMPLE_EVERY = 20
SEEN_TIMEOUT = 10.0


@dataclass
class Run:
    """When each change was made, and when each observer first saw it (perf_counter seconds)."""

    sent: dict[int, float] = field(default_factory=dict)
    accepted: dict[int, float] = field(default_factory=dict)
    watched: dict[int, float] = field(default_factory=dict)
    floor: dict[int, float] = field(default_factory=dict)
    polled: dict[int, float] = field(default_factory=dict)
    sampled: list[int] = field(default_factory=list)
    refused: int = 0

    def saw(self, seen: dict[int, float], price: int, at: float) -> None:
        index = price - BASE_PRICE
        if index in self.sent and index not in seen:
            seen[index] = at


def _day(index: int) -> date:
    return date.today() + timedelta(days=index)


def _pb(day: date) -> common_pb2.Date:
    return common_pb2.Date(year=day.year, month=day.month, day=day.day)


def _slot(index: int) -> tuple[str, date]:
    """Change i touches room type i mod 4 on night (i div 4) mod 60: a slot comes round every 240 changes."""
    return ROOM_TYPES[index % len(ROOM_TYPES)], _day((index // len(ROOM_TYPES)) % NIGHTS)


# ---- the processes -------------------------------------------------------------------------------

@contextlib.asynccontextmanager
async def floor_receiver(run: Run) -> AsyncIterator[str]:
    """The baseline: a bare webhook receiver that checks the signature and notes the arrival."""

    async def receive(request: web.Request) -> web.Response:
        raw = await request.read()
        at = time.perf_counter()
        if not verify_signature(FLOOR_SECRET, request.headers.get("X-CM-Signature"), raw, time.time(), 300):
            return web.Response(status=401)
        for night in json.loads(raw).get("snapshot", {}).get("nights", ()):
            run.saw(run.floor, night["price_minor"], at)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        await runner.cleanup()


# ---- setup ---------------------------------------------------------------------------------------

async def _create_sandbox_hotel(session: aiohttp.ClientSession, cm_url: str) -> None:
    body = {"hotel_code": CODE, "name": "Bench Sync", "currency": "EUR", "start": date.today().isoformat(),
            "nights": NIGHTS, "room_types": [{"code": c, "name": c, "total": 20, "price_minor": 10_000}
                                             for c in ROOM_TYPES]}
    async with session.post(cm_url + "/admin/hotels", json=body) as reply:
        assert reply.status == 201, await reply.text()


async def _create_our_hotel(stub, cm_url: str) -> None:
    await stub.CreateHotel(inv.CreateHotelRequest(request_id=uuid.uuid4().hex, hotel_id=HOTEL, hotel=inv.Hotel(
        name="Bench Sync", city="Rome", country_code="IT", latitude=41.9, longitude=12.5, time_zone="Europe/Rome",
        currency_code="EUR", channel_manager=inv.ChannelManagerLink(
            channel_manager_id="sandbox", base_url=cm_url, hotel_code=CODE))))
    for code in ROOM_TYPES:
        await stub.CreateRoomType(inv.CreateRoomTypeRequest(request_id=uuid.uuid4().hex, hotel_id=HOTEL,
                                                            room_type=inv.RoomType(code=code, name=code,
                                                                                   max_occupancy=2, total_rooms=20)))


async def _wait_loaded(stub, seconds: float = 30) -> float:
    """Until the poller's load shows every night of every room type; returns how long that took."""
    started = time.perf_counter()
    request = inv.GetAvailabilityRequest(hotel_id=HOTEL, start_date=_pb(_day(0)), end_date=_pb(_day(NIGHTS)))
    while time.perf_counter() - started < seconds:
        reply = await stub.GetAvailability(request)
        if sum(len(rt.nights) for rt in reply.room_types) == len(ROOM_TYPES) * NIGHTS:
            return time.perf_counter() - started
        await asyncio.sleep(0.05)
    raise TimeoutError("the poller did not load the hotel")


async def _subscribe(session: aiohttp.ClientSession, cm_url: str, url: str, secret: str) -> str:
    async with session.post(cm_url + "/subscriptions", json={"url": url, "secret": secret},
                            headers={"X-Api-Key": API_KEY}) as reply:
        assert reply.status == 201, await reply.text()
        return (await reply.json())["subscription_id"]


# ---- the driver and the observers ----------------------------------------------------------------

async def _change(session: aiohttp.ClientSession, cm_url: str, run: Run, index: int) -> None:
    code, night = _slot(index)
    body = {"hotel_code": CODE, "room_type_code": code,
            "nights": [{"date": night.isoformat(), "price_minor": BASE_PRICE + index}]}
    run.sent[index] = time.perf_counter()
    async with session.post(cm_url + "/admin/ari", json=body) as reply:
        if reply.status != 200:
            run.refused += 1
            return
    run.accepted[index] = time.perf_counter()
    if index % SAMPLE_EVERY == 0:
        run.sampled.append(index)


async def _drive(session, cm_url: str, run: Run, first: int, count: int, rate: float) -> float:
    """Changes first..first+count-1 at `rate` per second, open loop; returns the achieved rate."""
    changes: list[asyncio.Task] = []
    started = time.perf_counter()
    for i in range(count):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        changes.append(asyncio.create_task(_change(session, cm_url, run, first + i)))
    await asyncio.gather(*changes)
    span = run.sent[first + count - 1] - run.sent[first]
    return (count - 1) / span if span > 0 else float("nan")


async def _read_samples(stub, run: Run) -> None:
    """Confirms the sampled changes with GetAvailability: one reader for all of them, reading the nights
    still awaited, again after 5% of the oldest wait (1 to 100 ms). Its resolution is that 5%, and its
    load stays bounded however far behind the mirror falls (one reader per change would pile up)."""
    while True:
        now = time.perf_counter()
        waiting = [i for i in run.sampled if i not in run.polled and now - run.sent[i] < SEEN_TIMEOUT]
        if not waiting:
            await asyncio.sleep(0.001)
            continue
        by_type: dict[str, list[int]] = {}
        for i in waiting:
            by_type.setdefault(_slot(i)[0], []).append(i)
        await asyncio.gather(*(_read_room_type(stub, run, code, indexes) for code, indexes in by_type.items()))
        oldest = time.perf_counter() - min(run.sent[i] for i in waiting)
        await asyncio.sleep(min(0.1, max(0.001, oldest * 0.05)))


async def _read_room_type(stub, run: Run, code: str, indexes: list[int]) -> None:
    nights = [_slot(i)[1] for i in indexes]
    reply = await stub.GetAvailability(inv.GetAvailabilityRequest(
        hotel_id=HOTEL, room_type_code=code, start_date=_pb(min(nights)),
        end_date=_pb(max(nights) + timedelta(days=1))))
    at = time.perf_counter()
    prices = {(n.date.year, n.date.month, n.date.day): n.price.amount_minor
              for rt in reply.room_types for n in rt.nights}
    for i, night in zip(indexes, nights, strict=True):
        # Prices only grow per slot, so a later change to this night also proves this one landed.
        if prices.get((night.year, night.month, night.day), 0) >= BASE_PRICE + i:
            run.polled.setdefault(i, at)


async def _watch(stub, run: Run, ready: asyncio.Event) -> None:
    call = stub.WatchInventory(inv.WatchInventoryRequest(hotel_ids=[HOTEL]))
    ready.set()
    async for change in call:
        at = time.perf_counter()
        for night in change.nights:
            run.saw(run.watched, night.price.amount_minor, at)


async def _settle(run: Run, indexes: range, seconds: float = SEEN_TIMEOUT) -> None:
    """Waits until every observer has seen every accepted change, or `seconds` pass."""
    deadline = time.perf_counter() + seconds
    accepted = [i for i in indexes if i in run.accepted]
    while time.perf_counter() < deadline:
        if all(i in run.watched and i in run.floor and (i in run.polled or i not in run.sampled)
               for i in accepted):
            return
        await asyncio.sleep(0.05)


# ---- results -------------------------------------------------------------------------------------

def _latencies(run: Run, seen: dict[int, float], indexes: list[int]) -> dict:
    """Percentiles over every change; one never seen counts as slower than all (null: beyond the window)."""
    values = [seen[i] - run.sent[i] if i in seen else float("inf") for i in indexes]

    def ms(value: float) -> float | None:
        return round(value * 1000, 2) if value != float("inf") else None

    return {"count": len(indexes), "seen": len(seen.keys() & set(indexes)),
            "never_seen": sum(v == float("inf") for v in values),
            "p50_ms": ms(percentile(values, 50)), "p99_ms": ms(percentile(values, 99)),
            "max_ms": ms(max(values, default=float("nan")))}


def _mirror_rate(run: Run, indexes: list[int]) -> float:
    """Changes per second our mirror actually applied (below the offered rate once it falls behind)."""
    seen = [run.watched[i] for i in indexes if i in run.watched]
    span = max(seen, default=0) - run.sent[indexes[0]] if seen else 0
    return round(len(seen) / span, 1) if span > 0 else float("nan")


def _waited_for_gap(url: str) -> dict:
    """Events our receiver got before an earlier one and had to park until the gap filled."""
    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute("SELECT count(*), count(*) FILTER (WHERE applied_at > received_at), "
                           "count(*) FILTER (WHERE applied_at IS NULL) FROM webhook_events "
                           "WHERE hotel_id = %s AND event_id NOT LIKE 'load-%%'", (HOTEL,)).fetchone()
    return {"events_recorded": row[0], "parked_for_a_gap": row[1], "never_applied": row[2]}


async def _sandbox_stats(session, cm_url: str) -> dict:
    async with session.get(cm_url + "/admin/stats") as reply:
        return (await reply.json())["webhooks"]


def _server_env(url: str, cm_url: str, webhook_port: int) -> dict[str, str]:
    return {"HOTELAGG_DATABASE_URL": url, "HOTELAGG_WEBHOOK_PORT": str(webhook_port),
            # Long: after the load, every change must reach us by webhook.
            "HOTELAGG_POLL_INTERVAL_SECONDS": "300",
            "HOTELAGG_CHANNEL_MANAGERS": json.dumps({"sandbox": {
                "base_url": cm_url, "api_key": API_KEY, "webhook_secret": OUR_SECRET}})}


async def _measure(session, cm_url: str, stub, run: Run, hooks: dict[str, str], warmup: int, count: int,
                   rate: float) -> tuple[float, dict]:
    """Subscribes both receivers (url → secret), drives the warm-up then the measured changes, and
    returns the achieved rate and the sandbox's webhook counters."""
    subscriptions = [await _subscribe(session, cm_url, url, secret) for url, secret in hooks.items()]
    ready = asyncio.Event()
    watcher = asyncio.create_task(_watch(stub, run, ready))
    await ready.wait()
    reader = asyncio.create_task(_read_samples(stub, run))
    await _drive(session, cm_url, run, 0, warmup, rate)
    await _settle(run, range(warmup))
    achieved = await _drive(session, cm_url, run, warmup, count, rate)
    await _settle(run, range(warmup, warmup + count))
    for task in (watcher, reader):
        task.cancel()
    await asyncio.gather(watcher, reader, return_exceptions=True)
    webhooks = await _sandbox_stats(session, cm_url)
    for subscription in subscriptions:
        await session.delete(f"{cm_url}/subscriptions/{subscription}", headers={"X-Api-Key": API_KEY})
    return achieved, webhooks


def _result(run: Run, rate: float, warmup: int, count: int, achieved: float, **extra) -> dict:
    measured = list(range(warmup, warmup + count))
    result = {
        "target_changes_per_second": rate, "changes": count, "achieved_changes_per_second": round(achieved, 1),
        "mirror_changes_per_second": _mirror_rate(run, measured), "refused_by_sandbox": run.refused,
        "watch_inventory": _latencies(run, run.watched, measured),
        "get_availability_sample": _latencies(run, run.polled, [i for i in run.sampled if i >= warmup]),
        "baseline_transport_floor": _latencies(run, run.floor, measured),
        "goal_p99_ms": 100, **extra, "source_revision": source_revision(),
    }
    p99s = [result[k]["p99_ms"] for k in ("watch_inventory", "get_availability_sample")]
    result["goal_met"] = all(p is not None and p <= 100 for p in p99s) and not result["watch_inventory"]["never_seen"]
    return result


async def main(rate: float = 200.0, seconds: float = 10.0, warmup_seconds: float = 1.0) -> dict:
    run, load_before = Run(), os.getloadavg()
    warmup, count, webhook_port = int(rate * warmup_seconds), int(rate * seconds), free_port()
    ours = f"http://127.0.0.1:{webhook_port}/webhooks/channel-managers/sandbox"
    with postgres_database() as url:
        async with sandbox_channel_manager(API_KEY) as cm_url, aiohttp.ClientSession() as session, \
                floor_receiver(run) as floor_url:
            env = _server_env(url, cm_url, webhook_port)
            await _create_sandbox_hotel(session, cm_url)
            async with served(env) as address, grpc.aio.insecure_channel(address) as channel:
                await _create_our_hotel(inventory_pb2_grpc.InventoryServiceStub(channel), cm_url)
            # Restarted, the server's first poll round finds the new hotel and loads it whole.
            async with served(env) as address, grpc.aio.insecure_channel(address) as channel:
                stub = inventory_pb2_grpc.InventoryServiceStub(channel)
                load_seconds = await _wait_loaded(stub)
                achieved, webhooks = await _measure(session, cm_url, stub, run,
                                                    {ours: OUR_SECRET, floor_url: FLOOR_SECRET}, warmup, count, rate)
        parked = _waited_for_gap(url)
    result = _result(run, rate, warmup, count, achieved, poller_load_seconds=round(load_seconds, 2),
                     sandbox_webhooks=webhooks, receiver=parked,
                     load_average_before=[round(x, 2) for x in load_before],
                     load_average_after=[round(x, 2) for x in os.getloadavg()])
    # Other rates (to find where the mirror falls behind) are kept beside the 200/s.
    record("sync_freshness" if rate == 200 else f"sync_freshness_{rate:g}", result)
    return result


if __name__ == "__main__":
    asyncio.run(main(*(float(a) for a in sys.argv[1:3])))
