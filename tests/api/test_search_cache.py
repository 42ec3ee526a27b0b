"""Search reads the cache first (ARCHITECTURE §6): what a search fills in, what every committed change
writes through (direct updates, holds, bookings, expiries, channel updates), and how fresh it says it is."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timedelta, timezone

import grpc
import pytest_asyncio
from hotelagg.inventory.v1 import inventory_pb2 as inv
from sqlalchemy import update

from servers import bootstrap
from servers.inventory.flows.jobs import sweep_expired_holds
from servers.runtime.config import Settings
from servers.storage.tables import holds
from tests.api.helpers import days_ahead, inventory_stub, pb_date, request_id
from tests.api.test_search import (
    CACHED,
    FIRST,
    LIVE,
    create_hotel,
    freshness,
    insert_nights,
    keys,
    night_date,
    search_request,
    search_stub,
    set_nights,
    summary,
)
from tests.services import REDIS_URL

STAY = [FIRST, FIRST + 1, FIRST + 2]


def _nights(price: int = 10000, available: int = 4, count: int = 4, **values) -> dict[int, dict]:
    """The stay's three nights and its departure night, for insert_nights."""
    return {FIRST + i: {"price_minor": price + 100 * i, "total": 5, "available": available, **values}
            for i in range(count)}


def _hold(hotel_id: str, code: str = "STD", first: int = FIRST, nights: int = 3, quantity: int = 1):
    return inv.HoldInventoryRequest(request_id=request_id(), hotel_id=hotel_id, room_type_code=code,
                                    check_in=pb_date(days_ahead(first)), check_out=pb_date(days_ahead(first + nights)),
                                    quantity=quantity)


async def _rooms_left(search, hotel_id: str, **fields) -> int | None:
    reply = await search.SearchAvailability(search_request(hotel_ids=[hotel_id], **fields))
    return reply.options[0].rooms_left if reply.options else None


async def test_a_miss_reads_the_database_and_fills_the_cache(server, channel, db):
    stub = inventory_stub(channel)
    await create_hotel(stub, "db-hotel", "From The Database", {"STD": (2, 5)})
    await insert_nights(db, "db-hotel", "STD", _nights(min_stay=2, closed_to_departure=False))
    cache = server.system.cache
    wanted = [("db-hotel", night_date(o), "STD") for o in (*STAY, FIRST + 3)]
    assert await cache.get_nights(wanted) == [None] * 4

    search = search_stub(channel)
    before = time.time()
    first = await search.SearchAvailability(search_request())
    assert summary(first) == [("db-hotel", "STD", [10000, 10100, 10200], 30300, 4)]
    assert freshness(first) == {LIVE}
    assert first.options[0].age.ToTimedelta() < timedelta(seconds=2)

    cached = await cache.get_nights(wanted)
    assert [(c.available, c.price, c.restrictions) for c in cached] == [
        (4, 10000 + 100 * i, (2, 0, False, False, False)) for i in range(4)]
    assert all(before - 1 <= c.last_updated <= time.time() + 1 for c in cached)

    second = await search.SearchAvailability(search_request())
    assert freshness(second) == {CACHED}
    assert summary(second) == summary(first)


async def test_held_rooms_are_not_offered_from_the_database_either(server, channel, db):
    stub = inventory_stub(channel)
    await create_hotel(stub, "db-hotel", "From The Database", {"STD": (2, 5)})
    await insert_nights(db, "db-hotel", "STD", {**_nights(available=4), FIRST + 1: {
        "price_minor": 10100, "total": 5, "available": 4, "held": 3}})
    search = search_stub(channel)
    assert await _rooms_left(search, "db-hotel") == 1
    assert await _rooms_left(search, "db-hotel", rooms=2) is None


async def test_direct_updates_are_written_through(server, channel):
    stub = inventory_stub(channel)
    await create_hotel(stub, "direct", "Direct", {"STD": (2, 5)})
    await set_nights(stub, "direct", "STD", FIRST, 4, 10000)
    search = search_stub(channel)
    reply = await search.SearchAvailability(search_request())
    assert (summary(reply), freshness(reply)) == ([("direct", "STD", [10000] * 3, 30000, 5)], {CACHED})
    await set_nights(stub, "direct", "STD", FIRST + 1, 1, 15000)
    assert summary(await search.SearchAvailability(search_request())) == [
        ("direct", "STD", [10000, 15000, 10000], 35000, 5)]
    await set_nights(stub, "direct", "STD", FIRST + 3, 1, closed_to_departure=True)
    assert keys(await search.SearchAvailability(search_request())) == []
    await set_nights(stub, "direct", "STD", FIRST + 3, 1, closed_to_departure=False)
    await set_nights(stub, "direct", "STD", FIRST + 2, 1, total_rooms=2)
    assert await _rooms_left(search, "direct") == 2
    await set_nights(stub, "direct", "STD", FIRST, 1, stop_sell=True)
    assert await _rooms_left(search, "direct") is None


async def test_holds_and_bookings_take_their_room_nights_out_at_once(server, channel, db):
    stub = inventory_stub(channel)
    await create_hotel(stub, "busy", "Busy", {"STD": (2, 3)})
    await insert_nights(db, "busy", "STD", _nights(available=3))
    search = search_stub(channel)
    assert await _rooms_left(search, "busy") == 3  # read from the database, now cached

    sold = await stub.HoldInventory(_hold("busy", quantity=2))
    assert await _rooms_left(search, "busy") == 1
    await stub.CommitHold(inv.CommitHoldRequest(request_id=request_id(), hold_id=sold.hold.hold_id))
    assert await _rooms_left(search, "busy") == 1
    last = await stub.HoldInventory(_hold("busy", first=FIRST + 1, nights=1))
    # The middle night is gone: no 3-night stay, no 1-night stay on it, the nights around it still sell.
    assert await _rooms_left(search, "busy") is None
    assert await _rooms_left(search, "busy", first=FIRST + 1, nights=1) is None
    assert await _rooms_left(search, "busy", first=FIRST, nights=1) == 1
    assert await _rooms_left(search, "busy", first=FIRST + 2, nights=1) == 1
    reply = await search.SearchAvailability(search_request(hotel_ids=["busy"], first=FIRST, nights=1))
    assert freshness(reply) == {CACHED}

    await stub.ReleaseHold(inv.ReleaseHoldRequest(request_id=request_id(), hold_id=last.hold.hold_id))
    assert await _rooms_left(search, "busy") == 1
    booked = await stub.HoldInventory(_hold("busy"))
    await stub.CommitHold(inv.CommitHoldRequest(request_id=request_id(), hold_id=booked.hold.hold_id))
    assert await _rooms_left(search, "busy") is None
    cached = await server.system.cache.get_nights([("busy", night_date(o), "STD") for o in STAY])
    assert [c.available for c in cached] == [0, 0, 0]


async def test_searches_racing_holds_never_keep_a_gone_room(server, channel, db):
    """A search that read the database before a hold committed must not put its older count back."""
    stub = inventory_stub(channel)
    await create_hotel(stub, "race", "Race", {"STD": (2, 5)})
    search = search_stub(channel)
    for round_ in range(8):
        first = FIRST + 5 * round_
        await insert_nights(db, "race", "STD", {first + i: {"price_minor": 10000, "total": 5} for i in range(4)})
        calls = []
        for i in range(12):
            if i % 4 == 1:
                calls.append(stub.HoldInventory(_hold("race", first=first, quantity=1)))
            else:
                calls.append(search.SearchAvailability(search_request(hotel_ids=["race"], first=first)))
        await asyncio.gather(*calls)
        assert await _rooms_left(search, "race", first=first) == 2, f"round {round_}"
        cached = await server.system.cache.get_nights([("race", night_date(first + i), "STD") for i in range(3)])
        assert [c.available for c in cached] == [2, 2, 2], f"round {round_}"


async def test_an_expired_hold_gives_its_rooms_back_to_search_when_swept(server, channel, db):
    stub = inventory_stub(channel)
    await create_hotel(stub, "sweep", "Sweep", {"STD": (2, 1)})
    await set_nights(stub, "sweep", "STD", FIRST, 4, 10000)
    await stub.HoldInventory(_hold("sweep"))
    search = search_stub(channel)
    assert await _rooms_left(search, "sweep") is None
    async with db.unit_of_work() as uow:
        await uow.connection.execute(update(holds).values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
        await uow.commit()
    assert await sweep_expired_holds(db, server.system.hub) == 1
    assert await _rooms_left(search, "sweep") == 1


async def test_a_second_search_is_cached_even_where_a_night_has_no_row(server, channel, db):
    """The check-out night of a stay is often the first night a hotel has not loaded yet; searching such
    a stay again should be served from the cache like any other, not re-read from the database."""
    stub = inventory_stub(channel)
    await create_hotel(stub, "short", "Short", {"STD": (2, 5)})
    await insert_nights(db, "short", "STD", _nights(count=3))  # no row for the departure night
    search = search_stub(channel)
    first = await search.SearchAvailability(search_request())
    assert (keys(first), freshness(first)) == ([("short", "STD")], {LIVE})
    second = await search.SearchAvailability(search_request())
    assert freshness(second) == {CACHED}


# ---- Redis ---------------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def redis_server(db, redis_client):
    settings = Settings(database_url=db.url, port=0, webhook_port=0, redis_url=REDIS_URL,
                        cache_key_prefix=redis_client.test_prefix)
    running = await bootstrap.start(settings)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        yield running, channel
    await running.stop(grace=None)


async def test_the_redis_cache_holds_one_json_value_per_night(redis_server, redis_client, db):
    _, channel = redis_server
    prefix = redis_client.test_prefix
    stub = inventory_stub(channel)
    await create_hotel(stub, "red-hotel", "Red", {"STD": (2, 5), "DBL": (2, 5)})
    before = int(time.time())
    await set_nights(stub, "red-hotel", "STD", FIRST, 4, 10000, min_stay=2)
    raw = await redis_client.get(f"{prefix}hotel:red-hotel:{night_date(FIRST).isoformat()}:STD")
    value = json.loads(raw)
    assert (value["available"], value["price"]) == (5, 10000)
    assert before - 1 <= value["last_updated"] <= time.time() + 1
    assert value["restrictions"] == [2, 0, False, False, False]

    search = search_stub(channel)
    reply = await search.SearchAvailability(search_request(room_type_codes=["STD"]))
    assert (summary(reply), freshness(reply)) == ([("red-hotel", "STD", [10000] * 3, 30000, 5)], {CACHED})

    # Nights the cache has never seen: read from the database, then found in Redis.
    await insert_nights(db, "red-hotel", "DBL", _nights(price=9000))
    dbl_key = f"{prefix}hotel:red-hotel:{night_date(FIRST + 1).isoformat()}:DBL"
    assert await redis_client.get(dbl_key) is None
    first = await search.SearchAvailability(search_request(room_type_codes=["DBL"]))
    assert (summary(first), freshness(first)) == ([("red-hotel", "DBL", [9000, 9100, 9200], 27300, 4)], {LIVE})
    assert json.loads(await redis_client.get(dbl_key))["available"] == 4
    second = await search.SearchAvailability(search_request(room_type_codes=["DBL"]))
    assert (summary(second), freshness(second)) == (summary(first), {CACHED})

    await stub.HoldInventory(_hold("red-hotel", code="DBL", quantity=4))
    assert json.loads(await redis_client.get(dbl_key))["available"] == 0
    assert keys(await search.SearchAvailability(search_request())) == [("red-hotel", "STD")]
    stored = sorted([k.decode() async for k in redis_client.scan_iter(match=prefix + "hotel:*", count=500)])
    assert stored == sorted(f"{prefix}hotel:red-hotel:{night_date(FIRST + i).isoformat()}:{code}"
                            for i in range(4) for code in ("STD", "DBL"))
    # Beside the nights, the hotel's count of committed changes, which search results are keyed on.
    assert int(await redis_client.get(f"{prefix}hotel-changes:red-hotel")) >= 1
