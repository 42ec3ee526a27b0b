"""Hot hold: holds/s on ONE room-night through HoldInventory with 32 concurrent clients, against the
same conditional UPDATE run straight on PostgreSQL at the same concurrency (issue 3; goal ≥ 0.5×)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import date, timedelta

import grpc
import psycopg
from hotelagg.common.v1 import common_pb2
from hotelagg.inventory.v1 import inventory_pb2 as inv
from hotelagg.inventory.v1 import inventory_pb2_grpc

from bench.common import libpq_url, percentile, postgres_database, record, served

NIGHT = date.today() + timedelta(days=7)
ROOMS = 10_000
HOTEL = "bench-hot"
UPDATE = ("UPDATE inventory SET held = held + 1, version = version + 1 "
          "WHERE room_type_id = %s AND night = %s AND available - held >= 1")


def _setup(url: str) -> int:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("INSERT INTO hotels (id, name, city, city_key, country_code, latitude, longitude, time_zone, "
                     "currency_code, created_at, updated_at) VALUES (%s, 'Hot', 'Paris', 'paris', 'FR', 48.8, 2.3, "
                     "'Europe/Paris', 'EUR', now(), now())", (HOTEL,))
        room_type_id = conn.execute(
            "INSERT INTO room_types (hotel_id, code, name, max_occupancy, total_rooms, created_at, updated_at) "
            "VALUES (%s, 'STD', 'Standard', 2, %s, now(), now()) RETURNING id", (HOTEL, ROOMS)).fetchone()[0]
        conn.execute("INSERT INTO inventory (room_type_id, night, hotel_id, total, available, held, price_minor, "
                     "updated_at) VALUES (%s, %s, %s, %s, %s, 0, 10000, now()), (%s, %s, %s, %s, %s, 0, 10000, now())",
                     (room_type_id, NIGHT, HOTEL, ROOMS, ROOMS, room_type_id, NIGHT + timedelta(days=1), HOTEL,
                      ROOMS, ROOMS))
        return room_type_id


def _reset(url: str) -> None:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("UPDATE inventory SET held = 0")
        conn.execute("DELETE FROM holds")
        conn.execute("DELETE FROM idempotency_keys")


async def _baseline(url: str, room_type_id: int, total: int, clients: int) -> dict:
    latencies: list[float] = []
    remaining = [total]

    async def client() -> None:
        async with await psycopg.AsyncConnection.connect(libpq_url(url), autocommit=True) as conn:
            while remaining[0] > 0:
                remaining[0] -= 1
                started = time.perf_counter()
                await conn.execute(UPDATE, (room_type_id, NIGHT))
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return _summary(total, time.perf_counter() - started, latencies)


async def _through_api(address: str, total: int, clients: int) -> dict:
    latencies: list[float] = []
    remaining = [total]
    failures = [0]
    day = common_pb2.Date(year=NIGHT.year, month=NIGHT.month, day=NIGHT.day)
    after = NIGHT + timedelta(days=1)
    day_after = common_pb2.Date(year=after.year, month=after.month, day=after.day)
    async with grpc.aio.insecure_channel(address) as channel:
        stub = inventory_pb2_grpc.InventoryServiceStub(channel)

        async def client() -> None:
            while remaining[0] > 0:
                remaining[0] -= 1
                request = inv.HoldInventoryRequest(request_id=uuid.uuid4().hex, hotel_id=HOTEL, room_type_code="STD",
                                                   check_in=day, check_out=day_after, quantity=1)
                started = time.perf_counter()
                try:
                    await stub.HoldInventory(request)
                except grpc.aio.AioRpcError:
                    failures[0] += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return {**_summary(total - failures[0], elapsed, latencies), "failed": failures[0]}


def _summary(count: int, elapsed: float, latencies: list[float]) -> dict:
    return {"holds": count, "seconds": round(elapsed, 3), "holds_per_second": round(count / elapsed, 1),
            "p50_ms": round(percentile(latencies, 50) * 1000, 2), "p99_ms": round(percentile(latencies, 99) * 1000, 2)}


def _held(url: str, room_type_id: int) -> int:
    with psycopg.connect(libpq_url(url)) as conn:
        return conn.execute("SELECT held FROM inventory WHERE room_type_id = %s AND night = %s",
                            (room_type_id, NIGHT)).fetchone()[0]


async def main(total: int = 3000, clients: int = 32) -> dict:
    with postgres_database() as url:
        room_type_id = _setup(url)
        await _baseline(url, room_type_id, 300, clients)  # warm-up
        _reset(url)
        baseline = await _baseline(url, room_type_id, total, clients)
        _reset(url)
        async with served({"HOTELAGG_DATABASE_URL": url, "HOTELAGG_DB_POOL_SIZE": str(clients)}) as address:
            await _through_api(address, 200, clients)  # warm-up
            _reset(url)
            ours = await _through_api(address, total, clients)
            held = _held(url, room_type_id)
    result = {
        "clients": clients, "baseline_sql_update": baseline, "hold_inventory_rpc": ours,
        "ratio": round(ours["holds_per_second"] / baseline["holds_per_second"], 3), "goal_ratio": 0.5,
        "held_after_matches_successes": held == ours["holds"],
    }
    record("hot_hold", result)
    return result


if __name__ == "__main__":
    asyncio.run(main())
