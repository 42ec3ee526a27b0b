"""Search follows the sandbox channel manager end to end: a change made there (an ARI change, a
reservation) is searchable once its webhook is acknowledged; with the channel manager down and our
breaker open, search still answers, flagging that hotel's options STALE.

Both backends (the `db` fixture), the real sandbox and our real server on port 0 (tests/e2e/sync_helpers.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
from hotelagg.inventory.v1 import inventory_pb2 as inv
from hotelagg.search.v1 import search_pb2 as pb
from hotelagg.search.v1 import search_pb2_grpc

from tests.e2e.sync_helpers import HOTEL_CODE, HOTEL_ID, ROOM_TYPES, SyncRig, night_date, pb_date, sync_rig, until

SEEN_WITHIN = 1.0  # seconds from the change at the sandbox to search showing it
FIRST = 3  # the stay: nights 3, 4, 5 of the sandbox hotel's 30
DIRECT_ID = "direct-rome"


def _request(**fields) -> pb.SearchAvailabilityRequest:
    fields.setdefault("hotel_ids", [HOTEL_ID])
    return pb.SearchAvailabilityRequest(check_in=pb_date(night_date(FIRST)), check_out=pb_date(night_date(FIRST + 3)),
                                        guests=2, **fields)


@asynccontextmanager
async def _searching(rig: SyncRig) -> AsyncIterator[search_pb2_grpc.SearchServiceStub]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{rig.running.port}") as channel:
        yield search_pb2_grpc.SearchServiceStub(channel)


def _options(reply: pb.SearchAvailabilityResponse) -> dict[tuple[str, str], pb.SearchOption]:
    return {(o.hotel_id, o.room_type_code): o for o in reply.options}


def _prices(option: pb.SearchOption | None) -> list[int] | None:
    return None if option is None else [p.amount_minor for p in option.nightly_prices]


async def _acknowledged(rig: SyncRig) -> int:
    return (await rig.stats())["webhooks"]["acknowledged"]


async def _wait_acknowledged(rig: SyncRig, count: int, timeout: float = 5.0) -> None:
    await until(lambda: _at_least(rig, count), timeout, f"{count} webhooks acknowledged", interval=0.005)


async def _at_least(rig: SyncRig, count: int) -> bool:
    return await _acknowledged(rig) >= count


async def _seen(search, want, timeout: float = SEEN_WITHIN) -> float:
    """Seconds until a search answers what `want` accepts; searches every 10 ms, fails after `timeout`."""
    began = time.monotonic()
    while True:
        reply = await search.SearchAvailability(_request(), timeout=2)
        if want(_options(reply)):
            return time.monotonic() - began
        if time.monotonic() - began > timeout:
            raise AssertionError(f"not seen within {timeout}s: {_options(reply)}")
        await asyncio.sleep(0.01)


async def test_changes_at_the_sandbox_are_searchable_once_acknowledged(db):
    async with sync_rig(db) as rig, _searching(rig) as search:
        rooms, price = ROOM_TYPES["STD"]
        first = _options(await search.SearchAvailability(_request()))
        assert set(first) == {(HOTEL_ID, code) for code in ROOM_TYPES}
        std = first[(HOTEL_ID, "STD")]
        assert (_prices(std), std.rooms_left) == ([price] * 3, rooms)

        # A price change at the channel manager: one snapshot event.
        acked = await _acknowledged(rig)
        await rig.set_nights("STD", [{"date": night_date(FIRST + 1).isoformat(), "price_minor": 15500}])
        took_price = await _seen(search, lambda o: _prices(o.get((HOTEL_ID, "STD"))) == [price, 15500, price])
        await _wait_acknowledged(rig, acked + 1)

        # Another, checked by one search right after the acknowledgement: no polling allowed.
        acked = await _acknowledged(rig)
        await rig.set_nights("DBL", [{"date": night_date(FIRST).isoformat(), "price_minor": 9900}])
        await _wait_acknowledged(rig, acked + 1)
        dbl = _options(await search.SearchAvailability(_request()))[(HOTEL_ID, "DBL")]
        assert _prices(dbl)[0] == 9900 and dbl.freshness in (pb.FRESHNESS_CACHED, pb.FRESHNESS_LIVE)

        # A reservation on another channel: one delta per night.
        acked = await _acknowledged(rig)
        status, body = await rig.call("POST", "/reservations", {
            "hotel_code": HOTEL_CODE, "room_type_code": "STD", "check_in": night_date(FIRST).isoformat(),
            "check_out": night_date(FIRST + 2).isoformat(), "rooms": 3, "channel": "expedia"})
        assert status == 201, body
        took_booking = await _seen(search, lambda o: o[(HOTEL_ID, "STD")].rooms_left == rooms - 3)
        await _wait_acknowledged(rig, acked + 2)

        # The last rooms of the middle night go: the stay is no longer offered for STD.
        acked = await _acknowledged(rig)
        await rig.set_nights("STD", [{"date": night_date(FIRST + 1).isoformat(), "available": 0}])
        await _wait_acknowledged(rig, acked + 1)
        gone = _options(await search.SearchAvailability(_request()))
        assert (HOTEL_ID, "STD") not in gone and (HOTEL_ID, "DBL") in gone
        print(f"\n[{db.url.split(':')[0]}] price seen after {took_price * 1000:.0f} ms, "
              f"reservation after {took_booking * 1000:.0f} ms")


async def _open_direct_hotel(rig: SyncRig) -> None:
    await rig.stub.CreateHotel(inv.CreateHotelRequest(request_id=f"{DIRECT_ID}-h", hotel_id=DIRECT_ID, hotel=inv.Hotel(
        name="Direct Rome", city="Rome", country_code="IT", latitude=41.9, longitude=12.5, time_zone="Europe/Rome",
        currency_code="EUR")))
    await rig.stub.CreateRoomType(inv.CreateRoomTypeRequest(request_id=f"{DIRECT_ID}-rt", hotel_id=DIRECT_ID,
                                                            room_type=inv.RoomType(code="STD", name="Standard",
                                                                                   max_occupancy=2, total_rooms=4)))
    await rig.stub.UpdateInventory(inv.UpdateInventoryRequest(
        request_id=f"{DIRECT_ID}-inv", hotel_id=DIRECT_ID, room_type_code="STD", start_date=pb_date(night_date(0)),
        end_date=pb_date(night_date(10)), price={"currency_code": "EUR", "amount_minor": 11000}))


async def test_with_the_breaker_open_search_answers_stale_for_that_hotel_only(db):
    reset = 3.0
    async with sync_rig(db, poll_interval=0.2, breaker_fail_max=2, breaker_reset_seconds=reset,
                        channel_manager_timeout_seconds=1.0) as rig, _searching(rig) as search:
        await _open_direct_hotel(rig)
        before = _options(await search.SearchAvailability(_request(hotel_ids=[], city="Rome")))
        assert {o.freshness for o in before.values()} <= {pb.FRESHNESS_CACHED, pb.FRESHNESS_LIVE}
        assert len(before) == 4

        await rig.faults(outage=True)
        await until(lambda: _open_for_a_while(rig), timeout=5, what="the breaker opening")
        began = time.monotonic()
        during = _options(await search.SearchAvailability(_request(hotel_ids=[], city="Rome"), timeout=2))
        answered = time.monotonic() - began
        assert answered < 0.5, f"search took {answered:.3f}s with the breaker open"
        assert set(during) == set(before)
        assert {k: o.freshness for k, o in during.items()} == {
            **{(HOTEL_ID, code): pb.FRESHNESS_STALE for code in ROOM_TYPES},
            (DIRECT_ID, "STD"): pb.FRESHNESS_CACHED}
        # The last known state: the same rooms and prices as before the outage.
        assert {k: (_prices(o), o.rooms_left) for k, o in during.items()} == {
            k: (_prices(o), o.rooms_left) for k, o in before.items()}

        await rig.faults(outage=False)
        await until(lambda: _closed(rig), timeout=reset + 3, what="the breaker closing")
        after = _options(await search.SearchAvailability(_request(hotel_ids=[], city="Rome")))
        assert {o.freshness for o in after.values()} <= {pb.FRESHNESS_CACHED, pb.FRESHNESS_LIVE}


async def _open_for_a_while(rig: SyncRig) -> bool:
    # Open with time to spare, so the search below cannot meet a half-open breaker.
    return rig.breaker.state == "open" and rig.breaker.retry_after() > 1.0


async def _closed(rig: SyncRig) -> bool:
    return rig.breaker.state == "closed"
