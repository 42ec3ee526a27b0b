"""Two replicas on one database and one RabbitMQ vhost (issue 10): what one of them commits, the other's
WatchInventory streams, search cache and hotel directory hear through the broadcast exchange, without
waiting for a TTL; the replica that made a change tells its own streams once."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import grpc
import pytest
from hotelagg.inventory.v1 import inventory_pb2 as inv

from servers import bootstrap
from servers.runtime.config import Settings
from servers.runtime.server import RunningServer
from tests.api.helpers import days_ahead, inventory_stub, pb_date, request_id
from tests.api.partner_helpers import eventually
from tests.api.test_search import create_hotel, search_request, search_stub, set_nights
from tests.services import missing

HOTEL = "fanout-hotel"
HEARD_WITHIN = 5.0  # seconds: relay wake-up, broker, the other replica's listener


@dataclass
class Replica:
    running: RunningServer
    channel: grpc.aio.Channel

    @property
    def inventory(self):
        return inventory_stub(self.channel)

    @property
    def search(self):
        return search_stub(self.channel)

    async def watching(self):
        """A WatchInventory stream of the hotel, once this replica has it subscribed."""
        stream = self.inventory.WatchInventory(inv.WatchInventoryRequest(hotel_ids=[HOTEL]))
        hub = self.running.system.hub
        before = hub.subscriber_count

        async def subscribed() -> bool:
            return hub.subscriber_count > before

        stream_read = asyncio.ensure_future(stream.read())  # a stream subscribes on its first read
        await eventually(subscribed)
        return stream, stream_read



@pytest.fixture
def database_url(postgres_url: str) -> str:
    """Replicas share PostgreSQL, Redis and RabbitMQ (the conftest `stack`): the production-like stack only.
    On SQLite (one process by construction) there is nothing to fan out."""
    return postgres_url

@asynccontextmanager
async def _replica(settings: Settings) -> AsyncIterator[Replica]:
    running = await bootstrap.start(settings)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            yield Replica(running, channel)
    finally:
        await running.stop(grace=None)


@asynccontextmanager
async def _two(db, stack: dict, own_cache_for_b: bool = False) -> AsyncIterator[tuple[Replica, Replica]]:
    shared = Settings(database_url=db.url, port=0, webhook_port=0, **stack)
    # B's search cache in its own memory: only the broadcast can tell it what A changed.
    b = shared.model_copy(update={"redis_url": None}) if own_cache_for_b else shared
    async with _replica(shared) as first, _replica(b) as second:
        yield first, second


async def _load(replica: Replica, rooms: int = 5) -> None:
    await create_hotel(replica.inventory, HOTEL, "Fanout Inn", {"STD": (2, rooms)})
    await set_nights(replica.inventory, HOTEL, "STD", 1, 10, price=10000)


def _hold(quantity: int = 1) -> inv.HoldInventoryRequest:
    return inv.HoldInventoryRequest(request_id=request_id(), hotel_id=HOTEL, room_type_code="STD",
                                    check_in=pb_date(days_ahead(2)), check_out=pb_date(days_ahead(5)),
                                    quantity=quantity)


async def test_a_hold_on_one_replica_reaches_the_others_stream_once_and_its_own_once(db, stack):
    async with _two(db, stack) as (a, b):
        await _load(a)
        stream_a, first_a = await a.watching()
        stream_b, first_b = await b.watching()
        await a.inventory.HoldInventory(_hold(quantity=2))
        heard = await asyncio.wait_for(first_b, HEARD_WITHIN)
        own = await asyncio.wait_for(first_a, HEARD_WITHIN)
        for change in (heard, own):
            assert change.cause == inv.CHANGE_CAUSE_HOLD
            assert [n.sellable_rooms for n in change.nights] == [3, 3, 3]
        assert [n.version for n in heard.nights] == [n.version for n in own.nights]
        # A's copy from the bus has come back to A by now (B heard it): A's stream must not show it again.
        await asyncio.sleep(1.0)
        again_a, again_b = asyncio.ensure_future(stream_a.read()), asyncio.ensure_future(stream_b.read())
        await asyncio.sleep(0.5)
        assert not again_a.done() and not again_b.done(), "a change was delivered twice"
        for stream in (stream_a, stream_b):
            stream.cancel()
        await asyncio.gather(again_a, again_b, return_exceptions=True)


async def test_updates_on_one_replica_reach_the_others_stream_in_version_order(db, stack):
    async with _two(db, stack) as (a, b):
        await _load(a)
        stream_b, first_b = await b.watching()
        for price in (11000, 12000, 13000):
            await set_nights(a.inventory, HOTEL, "STD", 3, 1, price=price)
        # The load's own change may still be on its way to B: read until the last update has come.
        heard = [await asyncio.wait_for(first_b, HEARD_WITHIN)]
        while heard[-1].nights[0].price.amount_minor != 13000:
            heard.append(await asyncio.wait_for(stream_b.read(), HEARD_WITHIN))
        stream_b.cancel()
        night = pb_date(days_ahead(3))
        heard = [c for c in heard if any(n.date == night for n in c.nights)]
        prices = [next(n.price.amount_minor for n in c.nights if n.date == night) for c in heard]
        assert [p for p in prices if p != 10000] == [11000, 12000, 13000]
        versions = [next(n.version for n in c.nights if n.date == night) for c in heard]
        assert versions == sorted(versions) and len(set(versions)) == len(versions)


async def test_a_hold_on_one_replica_is_in_the_others_own_search_cache_at_once(db, stack):
    async with _two(db, stack, own_cache_for_b=True) as (a, b):
        await _load(a)

        async def rooms_left_on_b() -> int | None:
            reply = await b.search.SearchAvailability(search_request(first=2, nights=3, hotel_ids=[HOTEL]))
            return reply.options[0].rooms_left if reply.options else None

        async def b_sees_five() -> bool:  # B's cache (and directory) filled from the database
            return await rooms_left_on_b() == 5

        await eventually(b_sees_five)
        await a.inventory.HoldInventory(_hold(quantity=2))

        async def b_sees_three() -> bool:
            return await rooms_left_on_b() == 3

        await eventually(b_sees_three, timeout=HEARD_WITHIN)  # the cache TTL is minutes: only the bus tells B


async def test_a_new_room_type_on_one_replica_is_in_the_others_search_at_once(db, stack):
    async with _two(db, stack) as (a, b):
        await _load(a)

        async def codes_on_b() -> set[str]:
            reply = await b.search.SearchAvailability(search_request(first=2, nights=3, hotel_ids=[HOTEL]))
            return {option.room_type_code for option in reply.options}

        async def only_std() -> bool:
            return await codes_on_b() == {"STD"}

        await eventually(only_std)  # B's directory holds the hotel with STD alone now (its TTL: a minute)
        await a.inventory.CreateRoomType(inv.CreateRoomTypeRequest(request_id=request_id(), hotel_id=HOTEL,
                                         room_type=inv.RoomType(code="DLX", name="Deluxe", max_occupancy=2,
                                                                total_rooms=2)))
        await set_nights(a.inventory, HOTEL, "DLX", 1, 10, price=20000)

        async def both() -> bool:
            return await codes_on_b() == {"STD", "DLX"}

        await eventually(both, timeout=HEARD_WITHIN)
        got = await b.inventory.GetHotel(inv.GetHotelRequest(hotel_id=HOTEL))
        assert {t.code for t in got.hotel.room_types} == {"STD", "DLX"}


async def test_a_stream_of_a_replica_that_lost_track_is_told_to_resubscribe(server, channel):
    """What a replica does once its broadcast connection came back (news may have been missed meanwhile)."""
    replica = Replica(server, channel)
    await _load(replica)
    stream, first = await replica.watching()
    server.system.hub.lose_track()
    with pytest.raises(grpc.aio.AioRpcError) as cut:
        await asyncio.wait_for(first, HEARD_WITHIN)
    assert cut.value.code() == grpc.StatusCode.ABORTED
    assert "subscribe again" in (cut.value.details() or "")


def _close_connections_of(vhost_url: str, name: str) -> int:
    """Closes from the broker's side every connection of the vhost named `name` (as a broker restart or
    a network cut would end them); returns how many."""
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        missing("rabbitmqctl", "it is needed to cut a connection from the broker's side")
    vhost = urllib.parse.unquote(vhost_url.rsplit("/", 1)[1]) or "/"
    listed = subprocess.run([ctl, "-q", "list_connections", "pid", "vhost", "client_properties"],
                            capture_output=True, text=True, timeout=30, check=True).stdout
    pids = [line.split("\t")[0] for line in listed.splitlines()
            if line.split("\t")[1:2] == [vhost] and f'"{name}"' in line]
    for pid in pids:
        subprocess.run([ctl, "-q", "close_connection", pid, "cut by a test"], timeout=30, check=True)
    return len(pids)


async def test_a_replica_whose_broker_connection_was_cut_tells_its_streams_to_resubscribe(db, stack):
    async with _replica(Settings(database_url=db.url, port=0, webhook_port=0, **stack)) as replica:
        await _load(replica)
        stream, first = await replica.watching()
        assert await asyncio.to_thread(_close_connections_of, stack["amqp_url"], f"{stack['amqp_prefix']}-bus")
        with pytest.raises(grpc.aio.AioRpcError) as cut:
            await asyncio.wait_for(first, 20)
        assert cut.value.code() == grpc.StatusCode.ABORTED
