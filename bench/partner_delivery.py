"""Partner delivery (issue 6): how long after an inventory change of a direct hotel each partner holds it,
at 100 changes/s over 50 hotels listed on two partners (goal: p99 ≤ 1 s), and requests sent per change
after coalescing. Baselines in the same run: the same changes with no partner listing the hotels
(UpdateInventory alone), and sent straight to the same partners with our partner client.
A change counts as delivered when the partner first stores its unique price, or a larger (later) one, for
its night (sandbox GET /admin/history, wall clock). Method and results: bench/README.md.
`python -m bench.partner_delivery [changes_per_second] [seconds]` (default 100 for 30 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
import grpc
import psycopg
from hotelagg.common.v1 import common_pb2
from hotelagg.inventory.v1 import inventory_pb2 as inv
from hotelagg.inventory.v1 import inventory_pb2_grpc
from hotelagg.partner.v1 import partner_pb2 as pp
from hotelagg.partner.v1 import partner_pb2_grpc

from bench.common import (
    cpu_seconds,
    forget_stack,
    free_port,
    libpq_url,
    percentile,
    postgres_database,
    record,
    sandbox_process,
    served,
    served_pid,
    source_revision,
    stack_env,
)
from clients.breaker import AsyncCircuitBreaker
from clients.partners import AriNight, AriUpdate, RoomAri, partner_client

HOTELS, NIGHTS, ROOM_TYPE, ROOMS = 50, 30, "DBL", 10
PARTNERS = {"bench-json": ("json_rest", "DOUBLE"), "bench-ota": ("ota_xml", "DBLROOM")}  # id: protocol, room
RPM = 600  # per property, at the partner and on our partner record alike
FIRST_PRICE, BASE_PRICE = 10_000, 1_000_000  # change i of phase n (its seed) sets n × BASE_PRICE + i
OURS, DIRECT = "H", "F"  # property codes: H00..H49 through hotelagg, F00..F49 for the straight baseline
OPERATOR = (("authorization", "Bearer hotelagg-dev-operator-token"),)
HOTEL_ID = "bench-direct-{:02d}"  # our hotel ids, by number
SETTLE_SECONDS = 30.0


@dataclass
class Change:
    hotel: int
    night: int
    price: int
    sent: float = 0.0  # wall clock (time.time), the sandboxes' clock too
    answered: float | None = None
    error: str | None = None


def night(offset: int) -> dt.date:
    return dt.date.today() + dt.timedelta(days=1 + offset)


def _update(hotel: int, start: int, nights: int, price: int) -> inv.UpdateInventoryRequest:
    def pb(day: dt.date) -> common_pb2.Date:
        return common_pb2.Date(year=day.year, month=day.month, day=day.day)
    return inv.UpdateInventoryRequest(
        request_id=uuid.uuid4().hex, hotel_id=HOTEL_ID.format(hotel), room_type_code=ROOM_TYPE,
        start_date=pb(night(start)), end_date=pb(night(start + nights)),
        price=common_pb2.Money(currency_code="EUR", amount_minor=price))


async def _create_hotel(stub, hotel: int) -> None:
    await stub.CreateHotel(inv.CreateHotelRequest(
        request_id=uuid.uuid4().hex, hotel_id=HOTEL_ID.format(hotel), hotel=inv.Hotel(
            name=f"Bench Direct {hotel}", city="Lisbon", country_code="PT", latitude=38.7, longitude=-9.1,
            time_zone="Europe/Lisbon", currency_code="EUR")))
    await stub.CreateRoomType(inv.CreateRoomTypeRequest(request_id=uuid.uuid4().hex, hotel_id=HOTEL_ID.format(hotel),
                                                        room_type=inv.RoomType(code=ROOM_TYPE, name="Double",
                                                                               max_occupancy=2, total_rooms=ROOMS)))
    request = _update(hotel, 0, NIGHTS, FIRST_PRICE)
    request.total_rooms = ROOMS
    await stub.UpdateInventory(request)


@contextlib.asynccontextmanager
async def partners(address: str, webhook_port: int):
    """Registers each partner at our server, starts its sandbox with the key it was given, lists the hotels."""
    async with contextlib.AsyncExitStack() as stack, grpc.aio.insecure_channel(address) as channel:
        stub, sandboxes = partner_pb2_grpc.PartnerServiceStub(channel), {}
        for partner_id, (protocol, room_code) in PARTNERS.items():
            port = free_port()
            created = await stub.CreatePartner(pp.CreatePartnerRequest(
                request_id=uuid.uuid4().hex, partner_id=partner_id, partner=pp.Partner(
                    name=partner_id, endpoint_url=f"http://127.0.0.1:{port}", protocol=pp.PartnerProtocol.Value(
                        f"PARTNER_PROTOCOL_{protocol.upper()}"),
                    rate_limit=pp.RateLimit(requests_per_minute=RPM, inbound_requests_per_minute=6000))),
                metadata=OPERATOR)
            sandboxes[partner_id] = await stack.enter_async_context(sandbox_process(
                "sandbox.partner", "--protocol", protocol, "--partner-id", partner_id, "--api-key", created.api_key,
                "--requests-per-minute", str(RPM), "--keep-history", "--hotelagg-target", address,
                "--hotelagg-webhook-url", f"http://127.0.0.1:{webhook_port}", port=port))
            for hotel in range(HOTELS):
                await stub.CreateListing(pp.CreateListingRequest(request_id=uuid.uuid4().hex, listing=pp.Listing(
                    partner_id=partner_id, hotel_id=HOTEL_ID.format(hotel), room_type_code=ROOM_TYPE, active=True,
                    partner_property_code=f"{OURS}{hotel:02d}", partner_room_code=room_code)), metadata=OPERATOR)
        yield sandboxes


async def _admin(http: aiohttp.ClientSession, url: str, path: str) -> dict:
    async with http.get(url + path) as reply:
        assert reply.status == 200, await reply.text()
        return await reply.json()


async def _holds(http, url: str, room_code: str, prefix: str, wanted: dict[tuple[int, int], int]) -> bool:
    """Whether the partner holds, for every (hotel, night) in `wanted`, that price or a larger one."""
    stored = (await _admin(http, url, "/admin/inventory"))["properties"]
    return all((stored.get(f"{prefix}{hotel:02d}", {}).get(room_code, {}).get(night(offset).isoformat(), {})
                .get("price_minor") or 0) >= price for (hotel, offset), price in wanted.items())


async def _settle(http, sandboxes: dict, prefix: str, wanted: dict, seconds: float = SETTLE_SECONDS) -> float:
    """Waits until every partner holds `wanted` (or `seconds` pass); returns how long that took."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if all([await _holds(http, url, PARTNERS[p][1], prefix, wanted) for p, url in sandboxes.items()]):
            break
        await asyncio.sleep(0.25)
    return round(time.monotonic() - started, 2)


async def _prices(http, url: str, prefix: str) -> dict[tuple[str, str], list[tuple[float, int]]]:
    """(property, date) → [(time stored, price)], oldest first, for the properties named `prefix`NN."""
    history: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for entry in (await _admin(http, url, "/admin/history"))["history"]:
        if entry["field"] == "price_minor" and entry["property_code"].startswith(prefix):
            history.setdefault((entry["property_code"], entry["date"]), []).append((entry["time"], entry["value"]))
    return history


def _slots(seed: int, spacing: int = 200):
    """Random (hotel, night)s, none again within `spacing` changes: two changes of one night in flight at
    once could commit in either order, and the partner would rightly end with the smaller price."""
    rng, recent = random.Random(seed), []
    while True:
        slot = (rng.randrange(HOTELS), rng.randrange(NIGHTS))
        if slot not in recent:
            recent = [*recent[-spacing + 1:], slot]
            yield slot


async def drive(send: Callable[[Change], Awaitable[None]], rate: float, seconds: float, seed: int) -> list[Change]:
    """Open loop: change i is started at i / rate s, whatever came back before."""
    slots, changes, tasks = _slots(seed), [], []
    started = time.monotonic()
    for i in range(int(rate * seconds)):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        changes.append(Change(*next(slots), seed * BASE_PRICE + i))
        tasks.append(asyncio.create_task(send(changes[-1])))
    await asyncio.gather(*tasks, return_exceptions=True)
    return changes


def through_hotelagg(stub) -> Callable[[Change], Awaitable[None]]:
    async def send(change: Change) -> None:
        request = _update(change.hotel, change.night, 1, change.price)
        change.sent = time.time()
        try:
            await stub.UpdateInventory(request, timeout=60)
            change.answered = time.time()
        except grpc.aio.AioRpcError as error:
            change.error = f"{error.code().name}: {error.details()}"[:200]
    return send


def straight(clients: dict) -> Callable[[Change], Awaitable[None]]:
    """The same change sent by this process to both partners at once, with the client our server uses
    (one night, as a lone change is sent): no database, bus or rate limiter in between."""
    async def send(change: Change) -> None:
        nights = (AriNight(night(change.night), ROOMS, change.price),)
        change.sent = time.time()
        await asyncio.gather(*(client.send_ari(AriUpdate(
            f"{DIRECT}{change.hotel:02d}", (RoomAri(PARTNERS[p][1], "EUR", nights),), uuid.uuid4().hex))
            for p, client in clients.items()))
        change.answered = time.time()
    return send


def _spread(values: list[float]) -> dict:
    def ms(seconds: float) -> float | None:
        return None if seconds == float("inf") else round(seconds * 1000, 1)
    return {"p50_ms": ms(percentile(values, 50)), "p99_ms": ms(percentile(values, 99)),
            "max_ms": ms(max(values, default=float("nan")))}


def lags(changes: list[Change], prices: dict, prefix: str) -> dict:
    """Change → the first time the partner stored its price or a larger one for its night (a newer change,
    coalesced or not, carries this one's news too), minus when it was sent. Never: counted as infinite."""
    values = []
    for c in changes:
        seen = prices.get((f"{prefix}{c.hotel:02d}", night(c.night).isoformat()), [])
        values.append(next((at - c.sent for at, price in seen if price >= c.price), float("inf")))
    return {"changes": len(values), "never_delivered": values.count(float("inf")), **_spread(values)}


def _wanted(changes: list[Change]) -> dict[tuple[int, int], int]:
    """(hotel, night) → the largest price sent to it (prices grow with i, so: the last change's)."""
    return {(c.hotel, c.night): c.price for c in sorted(changes, key=lambda c: c.price)}


def _deliveries(url: str, since: dt.datetime) -> dict:
    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute("SELECT partner_id, count(*), count(*) FILTER (WHERE status = 'parked'), "
                            "count(*) FILTER (WHERE status <> 'delivered'), sum(change_count), sum(requests_sent) "
                            "FROM deliveries WHERE created_at >= %s GROUP BY partner_id", (since,)).fetchall()
    return {r[0]: {"deliveries": r[1], "parked": r[2], "not_delivered": r[3], "changes_merged": int(r[4] or 0),
                   "requests_sent": int(r[5] or 0)} for r in rows}


def _postgres(url: str) -> tuple[int, int]:
    """(connections opened, transactions committed) so far in the run's database; stats lag ~1 s."""
    with psycopg.connect(libpq_url(url)) as conn:
        return conn.execute("SELECT sessions, xact_commit FROM pg_stat_database "
                            "WHERE datname = current_database()").fetchone()


@dataclass
class Bench:
    http: aiohttp.ClientSession
    url: str
    server_pid: int | None
    rate: float
    sandboxes: dict[str, str] = field(default_factory=dict)  # partner id → base URL


def _cpu(before: tuple, after: tuple, changes: int) -> dict:
    """Over the drive: how busy the host's cores were, and our server's CPU (one process: at most 1 core)."""
    busy, total, server = (b - a for a, b in zip(before, after, strict=True))
    return {"host_busy": round(busy / total, 2), "server_cores": round(server / (total / (os.cpu_count() or 1)), 2),
            "server_cpu_ms_per_change": round(server * 1000 / changes, 2)}


async def phase(bench: Bench, send, prefix: str | None, seconds: float, seed: int) -> dict:
    """Drives `send`; then, unless `prefix` is None (nothing to deliver), waits for both partners to hold
    every change answered and reads what each received."""
    stats = {p: await _admin(bench.http, url, "/admin/stats") for p, url in bench.sandboxes.items()}
    cpu, postgres = cpu_seconds(bench.server_pid), _postgres(bench.url)
    changes = await drive(send, bench.rate, seconds, seed)
    answered = [c for c in changes if c.answered is not None]
    errors = Counter(c.error or "no answer" for c in changes if c.answered is None)
    result = {"offered_changes": len(changes), "failed_calls": len(changes) - len(answered), "errors": errors,
              "achieved_changes_per_second": round((len(changes) - 1) / (changes[-1].sent - changes[0].sent), 1),
              "answer": _spread([c.answered - c.sent for c in answered]),
              "cpu": _cpu(cpu, cpu_seconds(bench.server_pid), len(changes))}
    if prefix is not None:
        result["settled_after_drive_s"] = await _settle(bench.http, bench.sandboxes, prefix, _wanted(answered))
    await asyncio.sleep(1.5)  # for the statistics to reach pg_stat_database
    opened, commits = (b - a for a, b in zip(postgres, _postgres(bench.url), strict=True))
    result["postgres"] = {"connections_opened": opened, "commits_per_change": round(commits / len(changes), 1)}
    if prefix is None:
        return result
    for partner_id, url in bench.sandboxes.items():
        now = await _admin(bench.http, url, "/admin/stats")
        requests = now["requests"] - stats[partner_id]["requests"]
        result[partner_id] = {**lags(answered, await _prices(bench.http, url, prefix), prefix), "requests": requests,
                              "requests_per_change": round(requests / max(len(answered), 1), 3),
                              "rate_limited": now["rate_limited"] - stats[partner_id]["rate_limited"]}
    return result


async def _phases(bench: Bench, stub, address: str, webhook_port: int, seconds: float) -> dict:
    results = {"baseline_unlisted": await phase(bench, through_hotelagg(stub), None, min(seconds, 10), 1)}
    async with partners(address, webhook_port) as bench.sandboxes:
        initial = {(h, n): FIRST_PRICE for h in range(HOTELS) for n in range(NIGHTS)}
        results["listings_pushed_in_s"] = await _settle(bench.http, bench.sandboxes, OURS, initial, 60)
        clients = {p: partner_client(PARTNERS[p][0], u, AsyncCircuitBreaker(p), 5) for p, u in bench.sandboxes.items()}
        try:
            results["baseline_straight_to_partner"] = await phase(bench, straight(clients), DIRECT, min(seconds, 10), 2)
        finally:
            for client in clients.values():
                await client.aclose()
        since = dt.datetime.now(dt.timezone.utc)
        results["through_hotelagg"] = await phase(bench, through_hotelagg(stub), OURS, seconds, 3)
        results["deliveries"] = _deliveries(bench.url, since)
    return results


def _goal_met(ours: dict) -> bool:
    return all(ours[p]["p99_ms"] is not None and ours[p]["p99_ms"] <= 1000 and ours[p]["rate_limited"] == 0
               and ours[p]["never_delivered"] == 0 for p in PARTNERS)


async def main(rate: float = 100.0, seconds: float = 30.0) -> dict:
    load_before, tag, webhook_port = os.getloadavg(), f"bench{uuid.uuid4().hex[:8]}", free_port()
    env = {"HOTELAGG_WEBHOOK_PORT": str(webhook_port)}
    try:
        with postgres_database() as url:
            async with served({**stack_env(url, tag), **env}, ("inventory", "partner")) as address, \
                    grpc.aio.insecure_channel(address) as channel, aiohttp.ClientSession() as http:
                stub = inventory_pb2_grpc.InventoryServiceStub(channel)
                await asyncio.gather(*(_create_hotel(stub, h) for h in range(HOTELS)))
                measured = await _phases(Bench(http, url, served_pid(address), rate), stub, address, webhook_port,
                                         seconds)
    finally:
        await forget_stack(tag, ("partner.delivery",))
    result = {"target_changes_per_second": rate, "seconds": seconds, "hotels": HOTELS, "nights": NIGHTS,
              "partner_requests_per_minute_per_property": RPM, **measured, "goal_p99_ms": 1000,
              "goal_met": _goal_met(measured["through_hotelagg"]), "source_revision": source_revision(),
              "db_pool_size": os.environ.get("HOTELAGG_DB_POOL_SIZE", "10 (default)"),
              "load_average_before": [round(x, 2) for x in load_before],
              "load_average_after": [round(x, 2) for x in os.getloadavg()]}
    record("partner_delivery" if (rate, seconds) == (100, 30) else f"partner_delivery_{rate:g}_{seconds:g}", result)
    return result


if __name__ == "__main__":
    asyncio.run(main(*(float(a) for a in sys.argv[1:3])))
