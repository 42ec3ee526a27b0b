"""Bulk ARI ingest: a 365-night snapshot of 1,000 room types (365,000 room-nights) through
ApplyChannelUpdates, against the same rows inserted straight into the same PostgreSQL with psycopg
(executemany in pipeline mode, and COPY), in the same run (issue goal: ≥ 0.3× raw and ≥ 50,000
room-nights/s).

Events of one hotel apply strictly in sequence, so one hotel takes one stream of requests, each
waiting for the one before. Two shapes: one hotel with 1,000 room types (one stream: the goal's
number), and four hotels, each with its own sequence, ingested by four concurrent streams (by default
250 room types each: the whole snapshot again). Both load nights that are not there yet, as a hotel's
first load does (and as the raw baselines insert); the one-stream hotel is then loaded a second time
with newer sequences, so every night is merged with the one there (`reload_1_stream`, no raw
baseline: COPY cannot update). `python -m bench.bulk_ingest [per_request] [room_types_per_parallel_hotel]`.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone

import grpc
import psycopg
from hotelagg.common.v1 import common_pb2
from hotelagg.inventory.v1 import inventory_pb2 as inv
from hotelagg.inventory.v1 import inventory_pb2_grpc

from bench.common import libpq_url, postgres_database, record, served, source_revision

ROOM_TYPES = 1000
NIGHTS = 365
CHANNEL_MANAGER = "bench-bulk"  # configured nowhere, so the poller leaves these hotels alone
COLUMNS = ("room_type_id", "hotel_id", "night", "total", "available", "held", "price_minor", "min_stay",
           "max_stay", "closed_to_arrival", "closed_to_departure", "stop_sell", "version", "source_sequence",
           "source_updated_at", "updated_at")
INSERT = f"INSERT INTO inventory ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"
COPY = f"COPY inventory ({', '.join(COLUMNS)}) FROM STDIN"


def _night(n: int) -> date:
    return date.today() + timedelta(days=n)


def _available(room: int, n: int) -> int:
    return 10 - (room + n) % 4


def _price(room: int, n: int) -> int:
    return 10_000 + (room * 37 + n * 11) % 9_000


# ---- setup ---------------------------------------------------------------------------------------

def _create_hotels(url: str, shapes: dict[str, tuple[int, int]]) -> dict[str, list[tuple[int, str]]]:
    """Shape → (hotels, room types per hotel), created in SQL (fast).
    Returns hotel id → its room types (id, code) in code order."""
    created: dict[str, list[tuple[int, str]]] = {}
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        for shape, (count, per_hotel) in shapes.items():
            for h in range(count):
                hotel = f"bulk-{shape}-{h}"
                conn.execute("INSERT INTO hotels (id, name, city, city_key, country_code, latitude, longitude, "
                             "time_zone, currency_code, channel_manager_id, channel_manager_url, "
                             "channel_manager_hotel_code, created_at, updated_at) VALUES (%s, %s, 'Lisbon', "
                             "'lisbon', 'PT', 38.7, -9.1, 'Europe/Lisbon', 'EUR', %s, 'http://127.0.0.1:9', %s, "
                             "now(), now())", (hotel, hotel, CHANNEL_MANAGER, hotel.upper()))
                rows = conn.execute(
                    "INSERT INTO room_types (hotel_id, code, name, max_occupancy, total_rooms, created_at, updated_at) "
                    "SELECT %s, 'RT' || lpad(g::text, 4, '0'), 'Room ' || g, 2, 10, now(), now() "
                    "FROM generate_series(1, %s) AS g RETURNING id, code", (hotel, per_hotel)).fetchall()
                created[hotel] = sorted(rows, key=lambda r: r[1])
    return created


def _requests(hotel: str, room_types: list[tuple[int, str]], per_request: int,
              first: int = 1) -> list[inv.ApplyChannelUpdatesRequest]:
    """The hotel's whole snapshot as ApplyChannelUpdates requests, sequence first.. in order."""
    dates = [common_pb2.Date(year=d.year, month=d.month, day=d.day) for d in map(_night, range(NIGHTS))]
    updates = []
    for seq, (room_type_id, code) in enumerate(room_types, start=first):
        nights = [inv.NightSnapshot(date=dates[n], total_rooms=10, available_rooms=_available(room_type_id, n),
                                    price=common_pb2.Money(currency_code="EUR",
                                                           amount_minor=_price(room_type_id, n)))
                  for n in range(NIGHTS)]
        updates.append(inv.ChannelUpdate(event_id=f"{hotel}-{seq}", sequence=seq,
                                         snapshot=inv.InventorySnapshot(room_type_code=code, nights=nights)))
    return [inv.ApplyChannelUpdatesRequest(request_id=uuid.uuid4().hex, hotel_id=hotel,
                                           updates=updates[i:i + per_request])
            for i in range(0, len(updates), per_request)]


def _rows(hotel: str, room_types: list[tuple[int, str]]) -> list[tuple]:
    """The rows ApplyChannelUpdates writes for that hotel, for the raw inserts."""
    now = datetime.now(timezone.utc)
    return [(room_type_id, hotel, _night(n), 10, _available(room_type_id, n), 0, _price(room_type_id, n), 0, 0,
             False, False, False, 1, seq, now, now)
            for seq, (room_type_id, _) in enumerate(room_types, start=1) for n in range(NIGHTS)]


# ---- ours ----------------------------------------------------------------------------------------

async def _stream(stub, requests: list[inv.ApplyChannelUpdatesRequest]) -> int:
    """One hotel's requests, each after the one before; returns the updates applied."""
    applied = 0
    for request in requests:
        reply = await stub.ApplyChannelUpdates(request, timeout=300)
        if reply.gap_detected or reply.applied_count != len(request.updates):
            raise RuntimeError(f"{request.hotel_id}: {reply}")
        applied += reply.applied_count
    return applied


async def _through_api(address: str, streams: dict[str, list[inv.ApplyChannelUpdatesRequest]]) -> float:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = inventory_pb2_grpc.InventoryServiceStub(channel)
        started = time.perf_counter()
        await asyncio.gather(*(_stream(stub, requests) for requests in streams.values()))
        return time.perf_counter() - started


# ---- the raw baselines ---------------------------------------------------------------------------

def _executemany(url: str, rows: list[tuple]) -> float:
    with psycopg.connect(libpq_url(url)) as conn:
        started = time.perf_counter()
        with conn.pipeline(), conn.cursor() as cur:
            cur.executemany(INSERT, rows)
        conn.commit()
        return time.perf_counter() - started


def _copy(url: str, rows: list[tuple]) -> float:
    with psycopg.connect(libpq_url(url)) as conn:
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy(COPY) as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return time.perf_counter() - started


def _landed(url: str, hotels: list[str]) -> dict:
    """What landed for those hotels: count, price sum, and the versions (1 per night per time written)."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        count, prices, versions = conn.execute(
            "SELECT count(*), coalesce(sum(price_minor), 0), coalesce(sum(version), 0) FROM inventory "
            "WHERE hotel_id = ANY(%s)", (hotels,)).fetchone()
    return {"rows": count, "price_sum": int(prices), "version_sum": int(versions)}


def _check_and_clear(url: str, hotels: list[str]) -> dict:
    """What landed, then an empty inventory table for the next run."""
    landed = _landed(url, hotels)
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("DELETE FROM inventory")
        conn.execute("VACUUM ANALYZE inventory")
    return landed


def _expected(hotels: dict[str, list[tuple[int, str]]], names: list[str], times_written: int = 1) -> dict:
    prices = [_price(room_type_id, n) for h in names for room_type_id, _ in hotels[h] for n in range(NIGHTS)]
    return {"rows": len(prices), "price_sum": sum(prices), "version_sum": times_written * len(prices)}


def _summary(seconds: float, landed: dict, expected: dict) -> dict:
    return {"room_nights": expected["rows"], "seconds": round(seconds, 3),
            "room_nights_per_second": round(expected["rows"] / seconds),
            "rows_after": landed["rows"], "rows_match": landed == expected}


async def _reload(address: str, url: str, hotel: str, room_types: list[tuple[int, str]], per_request: int) -> dict:
    """The same snapshot again, newer (sequence 1,001..): every night is there already, so every one is
    merged (INSERT ... ON CONFLICT DO UPDATE ... RETURNING), not inserted as on a first load."""
    requests = _requests(hotel, room_types, per_request, first=len(room_types) + 1)
    seconds = await _through_api(address, {hotel: requests})
    return _summary(seconds, _landed(url, [hotel]), _expected({hotel: room_types}, [hotel], times_written=2))


async def _ours(url: str, hotels: dict, by_shape: dict[str, list[str]], per_request: int) -> dict:
    """Each shape through our server (the one-stream hotel reloaded once more), the table emptied after each."""
    results: dict[str, dict] = {}
    async with served({"HOTELAGG_DATABASE_URL": url}) as address:
        for shape, names in by_shape.items():
            seconds = await _through_api(address, {h: _requests(h, hotels[h], per_request) for h in names})
            landed = _landed(url, names)
            if shape == "one":
                results["reload_1_stream"] = await _reload(address, url, names[0], hotels[names[0]], per_request)
            _check_and_clear(url, names)
            results[f"apply_channel_updates_{len(names)}_stream"] = _summary(seconds, landed, _expected(hotels, names))
    return results


async def main(per_request: int = 50, parallel_room_types: int = 250) -> dict:
    """The full snapshot through one stream; `parallel_room_types` per hotel over four concurrent streams
    (250: all of it; 50, the earlier default: a fifth of it)."""
    load_before = os.getloadavg()
    shapes = {"one": (1, ROOM_TYPES), "four": (4, parallel_room_types)}
    with postgres_database() as url:
        hotels = _create_hotels(url, shapes)
        by_shape = {s: [h for h in hotels if h.startswith(f"bulk-{s}-")] for s in shapes}
        results = await _ours(url, hotels, by_shape, per_request)
        one = by_shape["one"]
        rows, expected = _rows(one[0], hotels[one[0]]), _expected(hotels, one)
        results["baseline_executemany_pipeline"] = _summary(_executemany(url, rows), _check_and_clear(url, one),
                                                            expected)
        results["baseline_copy"] = _summary(_copy(url, rows), _check_and_clear(url, one), expected)
    ours, parallel = results["apply_channel_updates_1_stream"], results["apply_channel_updates_4_stream"]
    many = results["baseline_executemany_pipeline"]["room_nights_per_second"]
    raw = max(many, results["baseline_copy"]["room_nights_per_second"])
    result = {
        "snapshots_per_request": per_request, **results,
        "ratio_vs_fastest_raw": round(ours["room_nights_per_second"] / raw, 3),
        "ratio_vs_executemany": round(ours["room_nights_per_second"] / many, 3),
        "ratio_4_streams_vs_fastest_raw": round(parallel["room_nights_per_second"] / raw, 3),
        "goal_ratio": 0.3, "goal_room_nights_per_second": 50_000,
        "source_revision": source_revision(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    best = max(ours["room_nights_per_second"], parallel["room_nights_per_second"])
    result["goal_met_1_stream"] = bool(result["ratio_vs_fastest_raw"] >= 0.3
                                       and ours["room_nights_per_second"] >= 50_000
                                       and ours["rows_after"] == ROOM_TYPES * NIGHTS)
    result["goal_met_best_shape"] = bool(best / raw >= 0.3 and best >= 50_000)
    record("bulk_ingest", result)
    return result


if __name__ == "__main__":
    asyncio.run(main(*(int(a) for a in sys.argv[1:3])))
