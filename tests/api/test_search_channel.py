"""Search over channel-managed hotels: their mirror is fed by ApplyChannelUpdates and webhooks and is
searchable at once; a channel manager that cannot be reached makes their options STALE, never an error.

The channel manager here is configured at a port nobody listens on: every call to it fails."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from datetime import datetime, timedelta, timezone

import aiohttp
import grpc
import pytest
from hotelagg.inventory.v1 import inventory_pb2 as inv
from sqlalchemy import update

from clients.channel_managers import ChannelManagerUnavailable, sign
from servers import bootstrap
from servers.runtime.config import Settings
from servers.storage.tables import sync_cursors
from tests.api.helpers import days_ahead, inventory_stub, pb_date, request_id
from tests.api.test_search import (
    CACHED,
    FIRST,
    LIVE,
    STALE,
    create_hotel,
    freshness,
    keys,
    search_request,
    search_stub,
    set_nights,
    summary,
)

CM, CODE, SECRET, DOWN = "sandbox", "CM-ROME-1", "webhook-secret-for-search-tests", "http://127.0.0.1:9"
MIRRORED, DIRECT = "mirrored", "direct"


@contextlib.asynccontextmanager
async def _cm_app(db, **settings):
    """Our app with channel manager `sandbox` (unreachable), a mirrored and a direct hotel in Lisbon."""
    config = Settings(database_url=db.url, port=0, webhook_port=0, poll_interval_seconds=3600,
                      channel_managers={CM: {"base_url": DOWN, "api_key": "k", "webhook_secret": SECRET}}, **settings)
    running = await bootstrap.start(config)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = inventory_stub(channel)
            link = inv.ChannelManagerLink(channel_manager_id=CM, base_url=DOWN, hotel_code=CODE)
            await create_hotel(stub, MIRRORED, "Mirrored", {"STD": (2, 10)}, channel_manager=link)
            await create_hotel(stub, DIRECT, "Direct", {"STD": (2, 10)})
            await set_nights(stub, DIRECT, "STD", FIRST, 4, 20000)
            yield running, stub, search_stub(channel)
    finally:
        await running.stop(grace=None)


def _snapshot(seq: int, available: int = 6, price: int = 12000, **restrictions) -> inv.ChannelUpdate:
    nights = [inv.NightSnapshot(date=pb_date(days_ahead(FIRST + i)), total_rooms=10, available_rooms=available,
                                price={"currency_code": "EUR", "amount_minor": price + 100 * i},
                                restrictions=inv.Restrictions(**restrictions) if i == 0 else None)
              for i in range(4)]
    return inv.ChannelUpdate(event_id=uuid.uuid4().hex, sequence=seq,
                             snapshot=inv.InventorySnapshot(room_type_code="STD", nights=nights))


def _delta(seq: int, change: int, offset: int = FIRST + 1) -> inv.ChannelUpdate:
    return inv.ChannelUpdate(event_id=uuid.uuid4().hex, sequence=seq, delta=inv.InventoryDelta(
        room_type_code="STD", date=pb_date(days_ahead(offset)), available_change=change))


async def _apply(stub, *updates) -> None:
    reply = await stub.ApplyChannelUpdates(inv.ApplyChannelUpdatesRequest(
        request_id=request_id(), hotel_id=MIRRORED, updates=list(updates)))
    assert reply.applied_count == len(updates)


async def _post_webhook(running, sequence: int, change: int) -> int:
    body = {"event_id": uuid.uuid4().hex, "hotel_code": CODE, "sequence": sequence,
            "occurred_at": "2026-11-25T16:00:00Z", "type": "delta",
            "delta": {"room_type_code": "STD", "date": days_ahead(FIRST + 2).isoformat(), "available_change": change,
                      "channel": "expedia", "reservation_id": f"x-{sequence}"}}
    raw = json.dumps(body).encode()
    headers = {"X-CM-Signature": sign(SECRET, raw, int(time.time())), "Content-Type": "application/json"}
    url = f"http://127.0.0.1:{running.system.webhook_port}/webhooks/channel-managers/{CM}"
    async with aiohttp.ClientSession() as session, session.post(url, data=raw, headers=headers) as reply:
        return reply.status


async def _mirrored(search, **fields):
    reply = await search.SearchAvailability(search_request(hotel_ids=[MIRRORED], **fields))
    return reply.options[0] if reply.options else None


async def _trip(running) -> None:
    client = running.system.clients[CM]
    while not client.breaker.is_open:
        with pytest.raises(ChannelManagerUnavailable):
            await client.availability(CODE, days_ahead(FIRST), days_ahead(FIRST + 1))


async def test_channel_updates_and_webhooks_are_searchable_at_once(db):
    async with _cm_app(db) as (running, stub, search):
        await _apply(stub, _snapshot(1))
        option = await _mirrored(search)
        assert ([p.amount_minor for p in option.nightly_prices], option.rooms_left, option.freshness) == (
            [12000, 12100, 12200], 6, CACHED)
        await _apply(stub, _delta(2, -2))
        assert (await _mirrored(search)).rooms_left == 4
        assert await _post_webhook(running, 3, -3) == 200
        assert (await _mirrored(search)).rooms_left == 3
        assert await _post_webhook(running, 4, -3) == 200
        assert await _mirrored(search) is None
        assert (await _mirrored(search, first=FIRST, nights=1)).rooms_left == 6
        await _apply(stub, _snapshot(5, available=2, price=9000, closed_to_arrival=True))
        assert await _mirrored(search) is None
        assert (await _mirrored(search, first=FIRST + 1, nights=2)).rooms_left == 2


async def test_breaker_open_search_answers_stale_for_that_channel_managers_hotels(db):
    async with _cm_app(db, breaker_fail_max=2, breaker_reset_seconds=300) as (running, stub, search):
        await _apply(stub, _snapshot(1))
        await _trip(running)
        began = time.monotonic()
        reply = await search.SearchAvailability(search_request())
        assert time.monotonic() - began < 1.0
        assert summary(reply) == [(MIRRORED, "STD", [12000, 12100, 12200], 36300, 6),
                                  (DIRECT, "STD", [20000] * 3, 60000, 10)]
        assert [o.freshness for o in reply.options] == [STALE, CACHED]
        assert freshness(await search.SearchAvailability(search_request(hotel_ids=[MIRRORED]))) == {STALE}
        # A change the mirror still receives (a webhook, say) is shown, and still flagged: the breaker is open.
        await _apply(stub, _delta(2, -1))
        option = await _mirrored(search)
        assert (option.rooms_left, option.freshness) == (5, STALE)


async def test_breaker_open_and_cache_missed_reads_the_mirror_as_stale(db):
    async with _cm_app(db, breaker_fail_max=1, breaker_reset_seconds=300, cache_ttl_seconds=1,
                       search_freshness_seconds=1) as (running, stub, search):
        await _apply(stub, _snapshot(1))
        await _trip(running)
        await asyncio.sleep(1.1)  # the cache forgot, and the mirror is past its freshness bound
        began = time.monotonic()
        reply = await search.SearchAvailability(search_request())
        assert time.monotonic() - began < 1.0
        assert keys(reply) == [(MIRRORED, "STD"), (DIRECT, "STD")]
        assert [o.freshness for o in reply.options] == [STALE, LIVE]


async def test_a_stale_mirror_whose_channel_manager_fails_is_stale_not_an_error(db):
    async with _cm_app(db, breaker_fail_max=5, cache_ttl_seconds=1, search_freshness_seconds=1) as (
            running, stub, search):
        await _apply(stub, _snapshot(1))
        await asyncio.sleep(1.1)
        reply = await search.SearchAvailability(search_request(hotel_ids=[MIRRORED, DIRECT]))
        assert [(o.hotel_id, o.freshness) for o in reply.options] == [(MIRRORED, STALE), (DIRECT, LIVE)]
        assert running.system.clients[CM].breaker.fail_counter == 1  # it did ask the channel manager


async def test_a_mirror_fed_by_webhooks_is_fresh_though_its_last_poll_is_old(db):
    async with _cm_app(db, cache_ttl_seconds=1, search_freshness_seconds=60) as (running, stub, search):
        await _apply(stub, _snapshot(1))
        async with running.system.db.unit_of_work() as uow:  # a successful poll (a load), ten minutes ago
            ago = datetime.now(timezone.utc) - timedelta(minutes=10)
            await uow.connection.execute(update(sync_cursors).values(last_polled_at=ago, loaded_at=ago))
            await uow.commit()
        await asyncio.sleep(1.1)  # the cache forgot
        await _apply(stub, _delta(2, -1, offset=FIRST + 20))  # heard from just now, about another night
        option = await _mirrored(search)
        assert (option.rooms_left, option.freshness) == (6, LIVE)
        assert running.system.clients[CM].breaker.fail_counter == 0, "asked the channel manager"


async def test_a_mirror_that_could_not_be_confirmed_does_not_turn_fresh_in_the_cache(db):
    async with _cm_app(db, cache_ttl_seconds=2, search_freshness_seconds=1) as (running, stub, search):
        await _apply(stub, _snapshot(1))
        heard = time.time()
        await asyncio.sleep(2.1)
        first = await _mirrored(search)
        assert first.freshness == STALE
        second = await _mirrored(search)
        age = second.age.ToTimedelta().total_seconds()
        assert second.freshness == STALE or age >= time.time() - heard - 0.5, (second.freshness, age)
