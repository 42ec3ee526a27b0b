"""Idempotency keys (ARCHITECTURE §5 rule 3): a retried call gets the first answer, byte for byte."""

import asyncio

import grpc
from hotelagg.inventory.v1 import inventory_pb2 as inv

from tests.api.helpers import (
    INVENTORY_TABLES,
    db_state,
    fails,
    failure,
    hotel_message,
    inventory_stub,
    make_hotel,
    money,
    night_rows,
    request_id,
    row_count,
    update_request,
)


def new_hotel_request(hotel_id: str = "", **overrides) -> inv.CreateHotelRequest:
    return inv.CreateHotelRequest(request_id=request_id(), hotel_id=hotel_id, hotel=hotel_message(**overrides))


def suite_request(hotel_id: str = "seaside-inn") -> inv.CreateRoomTypeRequest:
    return inv.CreateRoomTypeRequest(
        request_id=request_id(), hotel_id=hotel_id,
        room_type=inv.RoomType(code="SUI", name="Suite", max_occupancy=4, total_rooms=3),
    )


async def test_retried_create_hotel_returns_the_same_bytes_and_one_hotel(channel, db):
    stub = inventory_stub(channel)
    request = new_hotel_request()
    first = await stub.CreateHotel(request)
    second = await stub.CreateHotel(request)
    assert second.SerializeToString() == first.SerializeToString()
    assert await row_count(db, "hotels") == 1
    assert await row_count(db, "idempotency_keys") == 1


async def test_retried_update_inventory_does_not_bump_versions(channel, db):
    stub = inventory_stub(channel)
    await make_hotel(stub)
    price_change = update_request(price=money(9900))
    first = await stub.UpdateInventory(price_change)
    second = await stub.UpdateInventory(price_change)
    assert second.SerializeToString() == first.SerializeToString()
    assert [row.version for row in await night_rows(db)] == [1, 1, 1]


async def test_key_reused_for_another_hotel_is_refused(channel, db):
    stub = inventory_stub(channel)
    request = new_hotel_request("seaside-inn")
    await stub.CreateHotel(request)
    before = await db_state(db)
    other = new_hotel_request("harbour-view")
    other.request_id = request.request_id
    error = await fails(stub.CreateHotel(other))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "IDEMPOTENCY_KEY_REUSED")
    assert error.metadata == {"request_id": request.request_id}
    assert await db_state(db) == before


async def create_or_failure(stub, request):
    try:
        return await stub.CreateHotel(request)
    except grpc.aio.AioRpcError as error:
        return failure(error)


async def test_concurrent_duplicates_create_one_hotel(channel, db):
    stub = inventory_stub(channel)
    request = new_hotel_request()
    outcomes = await asyncio.gather(*(create_or_failure(stub, request) for _ in range(10)))
    created = [o for o in outcomes if isinstance(o, inv.CreateHotelResponse)]
    refused = [o for o in outcomes if not isinstance(o, inv.CreateHotelResponse)]
    assert created
    assert {o.SerializeToString() for o in created} == {created[0].SerializeToString()}
    assert {(o.code, o.reason) for o in refused} <= {(grpc.StatusCode.ABORTED, "REQUEST_IN_PROGRESS")}
    assert await row_count(db, "hotels") == 1
    assert (await stub.GetHotel(inv.GetHotelRequest(hotel_id=created[0].hotel.hotel_id))).hotel == created[0].hotel


async def test_invalid_request_leaves_the_key_free(channel, db):
    stub = inventory_stub(channel)
    bad = new_hotel_request("seaside-inn", name="")
    error = await fails(stub.CreateHotel(bad))
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert await row_count(db, "idempotency_keys") == 0
    fixed = new_hotel_request("seaside-inn")
    fixed.request_id = bad.request_id
    assert (await stub.CreateHotel(fixed)).hotel.name == "Test Hotel"


async def test_room_type_for_a_missing_hotel_leaves_the_key_free(channel, db):
    stub = inventory_stub(channel)
    request = suite_request()
    error = await fails(stub.CreateRoomType(request))
    assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, "HOTEL_NOT_FOUND")
    assert await db_state(db) == {name: [] for name in INVENTORY_TABLES}
    await stub.CreateHotel(new_hotel_request("seaside-inn"))
    assert (await stub.CreateRoomType(request)).room_type.code == "SUI"


async def test_rejected_inventory_update_leaves_the_key_free(channel, db):
    stub = inventory_stub(channel)
    in_dollars = update_request(price=money(9900, "USD"))
    await make_hotel(stub)
    before = await db_state(db)
    error = await fails(stub.UpdateInventory(in_dollars))
    assert error.fields == ["price.currency_code"]
    assert await db_state(db) == before
    fixed = update_request(price=money(9900))
    fixed.request_id = in_dollars.request_id
    assert len((await stub.UpdateInventory(fixed)).nights) == 3


async def test_one_key_may_serve_different_rpcs(channel, db):
    stub = inventory_stub(channel)
    hotel_request = new_hotel_request("seaside-inn")
    room_request = suite_request()
    room_request.request_id = hotel_request.request_id
    await stub.CreateHotel(hotel_request)
    assert (await stub.CreateRoomType(room_request)).room_type.code == "SUI"
    assert await row_count(db, "idempotency_keys") == 2


async def test_overlong_request_id_is_invalid(channel, db):
    request = new_hotel_request()
    request.request_id = "k" * 129
    error = await fails(inventory_stub(channel).CreateHotel(request))
    assert (error.code, error.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["request_id"])
    assert await row_count(db, "hotels") == 0
