"""HoldInventory, ReleaseHold, CommitHold: all nights or none, never below zero, expiry frees at once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import grpc
from google.protobuf.duration_pb2 import Duration
from hotelagg.inventory.v1 import inventory_pb2 as inv
from sqlalchemy import select, update

from servers.inventory.flows.jobs import sweep_expired_holds
from servers.runtime.clock import ManualClock
from servers.storage.tables import holds, inventory
from tests.api.helpers import days_ahead, fails, inventory_stub, make_hotel, pb_date, request_id

HOTEL = "hold-hotel"


async def _load(stub, rooms: int = 5, nights: int = 10, **patch) -> None:
    await make_hotel(stub, HOTEL, rooms=rooms)
    await stub.UpdateInventory(inv.UpdateInventoryRequest(
        request_id=request_id(), hotel_id=HOTEL, room_type_code="STD", start_date=pb_date(days_ahead(1)),
        end_date=pb_date(days_ahead(1 + nights)), price={"currency_code": "EUR", "amount_minor": 10000}, **patch))


def _hold_request(first: int = 2, nights: int = 3, quantity: int = 1, **extra) -> inv.HoldInventoryRequest:
    return inv.HoldInventoryRequest(
        request_id=request_id(), hotel_id=HOTEL, room_type_code="STD", check_in=pb_date(days_ahead(first)),
        check_out=pb_date(days_ahead(first + nights)), quantity=quantity, **extra)


async def _nights(db) -> dict:
    async with db.reading() as conn:
        rows = (await conn.execute(select(inventory).order_by(inventory.c.night))).all()
    return {row.night: row for row in rows}


async def test_hold_takes_every_night_of_the_stay(channel, db):
    stub = inventory_stub(channel)
    await _load(stub)
    reply = await stub.HoldInventory(_hold_request(quantity=2))
    assert reply.hold.status == inv.HOLD_STATUS_HELD
    assert reply.hold.expire_time.ToDatetime(timezone.utc) > datetime.now(timezone.utc) + timedelta(minutes=14)
    nights = await _nights(db)
    held = {day: row.held for day, row in nights.items() if row.held}
    assert held == {days_ahead(2): 2, days_ahead(3): 2, days_ahead(4): 2}


async def test_sold_out_night_fails_the_whole_hold_and_changes_nothing(channel, db):
    stub = inventory_stub(channel)
    await _load(stub)
    async with db.unit_of_work() as uow:
        await uow.connection.execute(update(inventory).where(inventory.c.night == days_ahead(4)).values(available=0))
        await uow.commit()
    before = await _nights(db)
    failure = await fails(stub.HoldInventory(_hold_request()))
    assert failure.code == grpc.StatusCode.FAILED_PRECONDITION
    assert failure.reason == "SOLD_OUT"
    assert failure.metadata["night"] == days_ahead(4).isoformat()
    assert await _nights(db) == before


async def test_restrictions_refuse_the_stay(channel, db):
    stub = inventory_stub(channel)
    await _load(stub)
    cases = [
        ({"min_stay": 4}, "min_stay"),
        ({"closed_to_arrival": True}, "closed_to_arrival"),
        ({"stop_sell": True}, "stop_sell"),
    ]
    for patch, restriction in cases:
        await stub.UpdateInventory(inv.UpdateInventoryRequest(
            request_id=request_id(), hotel_id=HOTEL, room_type_code="STD", start_date=pb_date(days_ahead(2)),
            end_date=pb_date(days_ahead(3)), **patch))
        failure = await fails(stub.HoldInventory(_hold_request()))
        assert (failure.code, failure.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "RESTRICTED")
        assert failure.metadata["restriction"] == restriction
        assert failure.metadata["night"] == days_ahead(2).isoformat()
        await stub.UpdateInventory(inv.UpdateInventoryRequest(
            request_id=request_id(), hotel_id=HOTEL, room_type_code="STD", start_date=pb_date(days_ahead(2)),
            end_date=pb_date(days_ahead(3)), min_stay=0, closed_to_arrival=False, stop_sell=False))
    assert all(row.held == 0 for row in (await _nights(db)).values())


async def test_closed_to_departure_and_unloaded_nights_are_restricted(channel):
    stub = inventory_stub(channel)
    await _load(stub, nights=5)
    await stub.UpdateInventory(inv.UpdateInventoryRequest(
        request_id=request_id(), hotel_id=HOTEL, room_type_code="STD", start_date=pb_date(days_ahead(5)),
        end_date=pb_date(days_ahead(6)), closed_to_departure=True))
    departure = await fails(stub.HoldInventory(_hold_request(first=2, nights=3)))
    assert departure.metadata["restriction"] == "closed_to_departure"
    beyond = await fails(stub.HoldInventory(_hold_request(first=4, nights=5)))
    assert (beyond.reason, beyond.metadata["restriction"]) == ("RESTRICTED", "not_for_sale")


async def test_concurrent_holders_get_exactly_the_rooms_that_exist(channel, db):
    stub = inventory_stub(channel)
    await _load(stub, rooms=5)
    results = await asyncio.gather(
        *(stub.HoldInventory(_hold_request(nights=3)) for _ in range(40)), return_exceptions=True)
    winners = [r for r in results if isinstance(r, inv.HoldInventoryResponse)]
    losers = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(winners) == 5 and len(losers) == 35
    assert all(e.code() == grpc.StatusCode.FAILED_PRECONDITION for e in losers)
    stay = [days_ahead(2 + i) for i in range(3)]
    nights = await _nights(db)
    assert [nights[d].held for d in stay] == [5, 5, 5]
    assert all(row.available - row.held >= 0 for row in nights.values())


async def test_overlapping_stays_never_oversell_any_night(channel, db):
    stub = inventory_stub(channel)
    await _load(stub, rooms=3)
    requests = [_hold_request(first=2 + i % 4, nights=1 + i % 3) for i in range(30)]
    await asyncio.gather(*(stub.HoldInventory(r) for r in requests), return_exceptions=True)
    async with db.reading() as conn:
        live = (await conn.execute(select(holds).where(holds.c.status == "held"))).all()
    for day, row in (await _nights(db)).items():
        covering = sum(h.quantity for h in live if h.check_in <= day < h.check_out)
        assert row.held == covering <= row.available


async def test_expired_hold_frees_its_rooms_at_once(channel, db):
    stub = inventory_stub(channel)
    await _load(stub, rooms=1)
    first = await stub.HoldInventory(_hold_request())
    async with db.unit_of_work() as uow:
        await uow.connection.execute(update(holds).values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
        await uow.commit()
    seen = await stub.GetAvailability(inv.GetAvailabilityRequest(
        hotel_id=HOTEL, room_type_code="STD", start_date=pb_date(days_ahead(2)), end_date=pb_date(days_ahead(5))))
    assert [n.sellable_rooms for n in seen.room_types[0].nights] == [1, 1, 1]
    second = await stub.HoldInventory(_hold_request())
    assert second.hold.status == inv.HOLD_STATUS_HELD
    expired = await fails(stub.CommitHold(inv.CommitHoldRequest(request_id=request_id(), hold_id=first.hold.hold_id)))
    assert (expired.code, expired.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "HOLD_EXPIRED")
    assert [row.held for row in (await _nights(db)).values() if row.held] == [1, 1, 1]


async def test_sweeper_reclaims_expired_holds(server, channel, db):
    stub = inventory_stub(channel)
    await _load(stub, rooms=2)
    await stub.HoldInventory(_hold_request(quantity=2))
    async with db.unit_of_work() as uow:
        await uow.connection.execute(update(holds).values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
        await uow.commit()
    assert await sweep_expired_holds(db, server.system.hub) == 1
    assert all(row.held == 0 for row in (await _nights(db)).values())
    async with db.reading() as conn:
        assert (await conn.execute(select(holds.c.status))).scalar_one() == "expired"


async def test_sweeper_reclaims_a_hold_by_its_clock_not_before(server, channel, db):
    """The sweeper's clock says when a hold has lapsed: a minute before its 15 minutes the hold stays
    (rooms held), a minute after it goes, without waiting and without editing the hold's expiry."""
    stub = inventory_stub(channel)
    await _load(stub, rooms=2)
    held = await stub.HoldInventory(_hold_request(quantity=2))
    clock = ManualClock(held.hold.expire_time.ToDatetime(timezone.utc) - timedelta(minutes=1))
    assert await sweep_expired_holds(db, server.system.hub, clock=clock) == 0
    assert [row.held for row in (await _nights(db)).values() if row.held] == [2, 2, 2]
    clock.advance(timedelta(minutes=2))
    assert await sweep_expired_holds(db, server.system.hub, clock=clock) == 1
    assert all(row.held == 0 for row in (await _nights(db)).values())


async def test_commit_sells_and_release_gives_back(channel, db):
    stub = inventory_stub(channel)
    await _load(stub, rooms=5)
    sold = await stub.HoldInventory(_hold_request(quantity=2))
    kept = await stub.HoldInventory(_hold_request(quantity=1))
    committed = await stub.CommitHold(inv.CommitHoldRequest(request_id=request_id(), hold_id=sold.hold.hold_id))
    released = await stub.ReleaseHold(inv.ReleaseHoldRequest(request_id=request_id(), hold_id=kept.hold.hold_id))
    assert committed.hold.status == inv.HOLD_STATUS_COMMITTED
    assert released.hold.status == inv.HOLD_STATUS_RELEASED
    night = (await _nights(db))[days_ahead(2)]
    assert (night.total, night.available, night.held) == (5, 3, 0)
    again = await fails(stub.ReleaseHold(inv.ReleaseHoldRequest(request_id=request_id(), hold_id=sold.hold.hold_id)))
    assert again.reason == "HOLD_COMMITTED"
    late = await fails(stub.CommitHold(inv.CommitHoldRequest(request_id=request_id(), hold_id=kept.hold.hold_id)))
    assert late.reason == "HOLD_RELEASED"


async def test_hold_is_idempotent_by_request_id(channel, db):
    stub = inventory_stub(channel)
    await _load(stub)
    request = _hold_request()
    first, second = await stub.HoldInventory(request), await stub.HoldInventory(request)
    assert first.SerializeToString() == second.SerializeToString()
    async with db.reading() as conn:
        assert len((await conn.execute(select(holds))).all()) == 1


async def test_bad_hold_requests_name_the_field(channel):
    stub = inventory_stub(channel)
    await _load(stub)
    cases = {
        "quantity": _hold_request(quantity=0),
        "check_out": _hold_request(nights=0),
        "ttl": _hold_request(ttl=Duration(seconds=5)),
    }
    for field, request in cases.items():
        failure = await fails(stub.HoldInventory(request))
        assert failure.code == grpc.StatusCode.INVALID_ARGUMENT and field in failure.fields, field
    unknown = await fails(stub.CommitHold(inv.CommitHoldRequest(request_id=request_id(), hold_id="nope")))
    assert unknown.fields == ["hold_id"]


async def test_a_ttl_no_clock_can_hold_is_invalid_and_holds_nothing(channel, db):
    """Far past any date (a timedelta overflows) or negative: INVALID_ARGUMENT, never INTERNAL (issue 14, item 16)."""
    stub = inventory_stub(channel)
    await _load(stub)
    for ttl in (Duration(seconds=90_000_000_000_000), Duration(seconds=-90_000_000_000_000),
                Duration(seconds=60, nanos=-5)):
        failure = await fails(stub.HoldInventory(_hold_request(ttl=ttl)))
        assert (failure.code, failure.reason, failure.fields) == (
            grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD", ["ttl"]), ttl
    async with db.reading() as conn:
        assert (await conn.execute(select(holds))).all() == []


async def test_watch_streams_hold_changes_and_cache_is_written_through(server, channel):
    stub = inventory_stub(channel)
    await _load(stub)
    stream = stub.WatchInventory(inv.WatchInventoryRequest(hotel_ids=[HOTEL]))
    await asyncio.sleep(0.1)
    await stub.HoldInventory(_hold_request(quantity=2))
    change = await asyncio.wait_for(stream.read(), 5)
    stream.cancel()
    assert change.cause == inv.CHANGE_CAUSE_HOLD
    assert [n.sellable_rooms for n in change.nights] == [3, 3, 3]
    cached = await server.system.cache.get_nights([(HOTEL, days_ahead(2), "STD")])
    assert cached[0].available == 3 and cached[0].price == 10000


async def test_holds_reclaimed_by_a_hold_are_announced_like_any_expiry(server, channel):
    """The next hold reclaims an expired one on its nights; every night it frees is news to the cache,
    the hotel's change count and watchers, also those the new hold does not take (issue 14, item 11)."""
    stub = inventory_stub(channel)
    await _load(stub, rooms=2)
    cache = server.system.cache
    await stub.HoldInventory(_hold_request(first=2, nights=3, quantity=2))
    keys = [(HOTEL, days_ahead(day), "STD") for day in (2, 3, 4)]
    assert [n.available for n in await cache.get_nights(keys)] == [0, 0, 0]
    async with server.system.db.unit_of_work() as uow:
        await uow.connection.execute(update(holds).values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
        await uow.commit()
    [count_before] = await cache.change_counts([HOTEL])
    stream = stub.WatchInventory(inv.WatchInventoryRequest(hotel_ids=[HOTEL]))
    # The stream subscribes when its first message is asked for, inside the server: nothing here to await.
    while server.system.hub.subscriber_count == 0:  # noqa: ASYNC110
        await asyncio.sleep(0.01)

    await stub.HoldInventory(_hold_request(first=2, nights=1, quantity=1))
    expiry = await asyncio.wait_for(stream.read(), 5)
    assert expiry.cause == inv.CHANGE_CAUSE_EXPIRY, "the reclaimed hold was not announced"
    hold = await asyncio.wait_for(stream.read(), 5)
    stream.cancel()
    assert [n.sellable_rooms for n in expiry.nights] == [2, 2, 2]
    assert (hold.cause, [n.sellable_rooms for n in hold.nights]) == (inv.CHANGE_CAUSE_HOLD, [1])
    assert [n.available for n in await cache.get_nights(keys)] == [1, 2, 2]
    [count_after] = await cache.change_counts([HOTEL])
    assert count_after >= count_before + 2
