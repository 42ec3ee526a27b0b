"""UpdateInventory that succeeds: a direct hotel loads rooms, rates and restrictions over a range of nights."""

import asyncio

import grpc
from hotelagg.inventory.v1 import inventory_pb2 as inv

from tests.api.helpers import (
    availability_request,
    change_night,
    days_ahead,
    fails,
    failure,
    inventory_stub,
    make_hotel,
    money,
    night_rows,
    pb_date,
    update_request,
)


async def test_update_loads_every_night_with_the_room_type_total(channel, db):
    stub = inventory_stub(channel)
    await make_hotel(stub, rooms=10)
    updated = await stub.UpdateInventory(update_request(start=10, nights=3, price=money(12050)))
    assert [n.date for n in updated.nights] == [pb_date(days_ahead(d)) for d in (10, 11, 12)]
    for night in updated.nights:
        assert (night.total_rooms, night.available_rooms, night.held_rooms, night.sellable_rooms) == (10, 10, 0, 10)
        assert (night.price, night.version) == (money(12050), 1)
    rows = await night_rows(db)
    assert [(r.night, r.total, r.available, r.price_minor, r.version) for r in rows] == [
        (days_ahead(d), 10, 10, 12050, 1) for d in (10, 11, 12)
    ]


async def test_night_loaded_without_a_price_has_no_rate(channel, db):
    stub = inventory_stub(channel)
    await make_hotel(stub, rooms=4)
    updated = await stub.UpdateInventory(update_request(nights=1, stop_sell=True))
    assert not updated.nights[0].HasField("price")
    assert [(r.total, r.price_minor, r.stop_sell) for r in await night_rows(db)] == [(4, None, True)]


async def test_partial_update_keeps_what_it_does_not_set(channel, db):
    stub = inventory_stub(channel)
    await make_hotel(stub)
    await stub.UpdateInventory(update_request(total_rooms=8, price=money(10000), min_stay=2, closed_to_arrival=True))
    updated = await stub.UpdateInventory(update_request(stop_sell=True))
    for night in updated.nights:
        assert (night.total_rooms, night.price.amount_minor, night.version) == (8, 10000, 2)
        assert night.restrictions == inv.Restrictions(min_stay=2, closed_to_arrival=True, stop_sell=True)
    assert [(r.total, r.price_minor, r.min_stay, r.stop_sell, r.version) for r in await night_rows(db)] == [
        (8, 10000, 2, True, 2)
    ] * 3


async def test_new_total_keeps_the_rooms_already_sold(channel, db):
    stub = inventory_stub(channel)
    await make_hotel(stub, rooms=10)
    await stub.UpdateInventory(update_request(price=money(9000)))
    await change_night(db, days_ahead(11), available=7)
    updated = await stub.UpdateInventory(update_request(total_rooms=12))
    assert [(n.total_rooms, n.available_rooms) for n in updated.nights] == [(12, 12), (12, 9), (12, 12)]
    assert [r.available for r in await night_rows(db)] == [12, 9, 12]


async def test_returned_etag_is_the_one_availability_reports(channel):
    stub = inventory_stub(channel)
    await make_hotel(stub)
    first = await stub.UpdateInventory(update_request(price=money(9000)))
    read = await stub.GetAvailability(availability_request())
    assert first.etag == read.room_types[0].etag
    second = await stub.UpdateInventory(update_request(price=money(9500)))
    assert second.etag != first.etag
    assert second.etag == (await stub.GetAvailability(availability_request())).room_types[0].etag


async def test_etag_of_a_range_never_loaded_is_accepted(channel, db):
    stub = inventory_stub(channel)
    await make_hotel(stub)
    etag = (await stub.GetAvailability(availability_request())).room_types[0].etag
    updated = await stub.UpdateInventory(update_request(price=money(9000), etag=etag))
    assert [n.version for n in updated.nights] == [1, 1, 1]


async def test_current_etag_is_accepted_and_a_stale_one_refused(channel, db):
    stub = inventory_stub(channel)
    await make_hotel(stub)
    first = await stub.UpdateInventory(update_request(price=money(9000)))
    second = await stub.UpdateInventory(update_request(price=money(9500), etag=first.etag))
    assert [n.version for n in second.nights] == [2, 2, 2]
    stale = await fails(stub.UpdateInventory(update_request(price=money(1), etag=first.etag)))
    assert (stale.code, stale.reason) == (grpc.StatusCode.ABORTED, "ETAG_MISMATCH")
    assert [(r.price_minor, r.version) for r in await night_rows(db)] == [(9500, 2)] * 3


async def test_longest_range_of_366_nights_is_accepted(channel, db):
    stub = inventory_stub(channel)
    await make_hotel(stub)
    updated = await stub.UpdateInventory(update_request(start=1, nights=366, price=money(8000)))
    assert len(updated.nights) == 366
    assert len(await night_rows(db)) == 366


async def update_or_failure(stub, request):
    try:
        return await stub.UpdateInventory(request)
    except grpc.aio.AioRpcError as error:
        return failure(error)


async def test_concurrent_updates_with_one_etag_let_exactly_one_win(channel, db):
    stub = inventory_stub(channel)
    await make_hotel(stub)
    etag = (await stub.UpdateInventory(update_request(price=money(9000)))).etag
    racers = [update_request(price=money(10000 + i), etag=etag) for i in range(6)]
    outcomes = await asyncio.gather(*(update_or_failure(stub, r) for r in racers))
    winners = [i for i, o in enumerate(outcomes) if not hasattr(o, "reason")]
    losers = [o for o in outcomes if hasattr(o, "reason")]
    assert len(winners) == 1
    assert {o.code for o in losers} == {grpc.StatusCode.ABORTED}
    assert {o.reason for o in losers} <= {"ETAG_MISMATCH", "CONCURRENT_UPDATE"}
    rows = await night_rows(db)
    assert [(r.price_minor, r.version) for r in rows] == [(10000 + winners[0], 2)] * 3
