"""CreateRoomType: a hotel adds the kinds of room it sells."""

import grpc
import pytest
from hotelagg.inventory.v1 import inventory_pb2 as inv
from sqlalchemy import select

from servers.storage.tables import hotels, room_types
from tests.api.helpers import db_state, fails, inventory_stub, make_hotel, request_id

DOMAIN = "hotelagg.inventory.v1"


def room_type_request(hotel_id: str = "test-hotel", **overrides) -> inv.CreateRoomTypeRequest:
    fields = dict(code="DBL", name="Double", max_occupancy=2, total_rooms=12)
    fields.update(overrides)
    return inv.CreateRoomTypeRequest(request_id=request_id(), hotel_id=hotel_id, room_type=inv.RoomType(**fields))


async def stored_room_types(db) -> list:
    async with db.reading() as conn:
        query = select(room_types).order_by(room_types.c.hotel_id, room_types.c.code)
        return list((await conn.execute(query)).all())


async def test_new_room_type_is_returned_and_stored(channel, db):
    stub = inventory_stub(channel)
    await make_hotel(stub)
    room_type = (await stub.CreateRoomType(room_type_request(name="Double Deluxe", max_occupancy=3))).room_type
    assert (room_type.hotel_id, room_type.code, room_type.name) == ("test-hotel", "DBL", "Double Deluxe")
    assert (room_type.max_occupancy, room_type.total_rooms) == (3, 12)
    assert room_type.etag
    stored = [(r.hotel_id, r.code, r.max_occupancy, r.total_rooms) for r in await stored_room_types(db)]
    assert stored == [("test-hotel", "DBL", 3, 12), ("test-hotel", "STD", 2, 10)]
    hotel = (await stub.GetHotel(inv.GetHotelRequest(hotel_id="test-hotel"))).hotel
    assert hotel.room_types[0] == room_type


async def test_room_type_with_no_rooms_yet_is_allowed(channel):
    stub = inventory_stub(channel)
    await make_hotel(stub)
    assert (await stub.CreateRoomType(room_type_request(total_rooms=0))).room_type.total_rooms == 0


async def test_room_type_of_an_unknown_hotel_is_not_found(channel, db):
    error = await fails(inventory_stub(channel).CreateRoomType(room_type_request("ghost-hotel")))
    assert (error.code, error.reason, error.domain) == (grpc.StatusCode.NOT_FOUND, "HOTEL_NOT_FOUND", DOMAIN)
    assert error.metadata == {"hotel_id": "ghost-hotel"}
    assert await stored_room_types(db) == []


async def test_second_room_type_with_the_same_code_already_exists(channel, db):
    stub = inventory_stub(channel)
    await make_hotel(stub)
    await stub.CreateRoomType(room_type_request(name="Double"))
    before = await db_state(db)
    error = await fails(stub.CreateRoomType(room_type_request(name="Another Double")))
    assert (error.code, error.reason) == (grpc.StatusCode.ALREADY_EXISTS, "ROOM_TYPE_EXISTS")
    assert error.metadata == {"hotel_id": "test-hotel", "room_type_code": "DBL"}
    assert await db_state(db) == before


async def test_same_code_in_two_hotels_is_fine(channel, db):
    stub = inventory_stub(channel)
    await make_hotel(stub, "harbour-view")
    await make_hotel(stub, "seaside-inn")
    assert [(r.hotel_id, r.code) for r in await stored_room_types(db)] == [
        ("harbour-view", "STD"), ("seaside-inn", "STD"),
    ]


@pytest.mark.parametrize(
    "field, overrides",
    [
        ("room_type.code", {"code": "dbl"}),
        ("room_type.code", {"code": ""}),
        ("room_type.code", {"code": "D" * 33}),
        ("room_type.name", {"name": " "}),
        ("room_type.max_occupancy", {"max_occupancy": 0}),
        ("room_type.max_occupancy", {"max_occupancy": 21}),
        ("room_type.total_rooms", {"total_rooms": -1}),
        ("room_type.total_rooms", {"total_rooms": 10_001}),
    ],
    ids=["lower-case code", "no code", "33-letter code", "blank name", "sleeps nobody", "sleeps 21",
         "negative rooms", "10001 rooms"],
)
async def test_bad_room_type_field_is_named_and_nothing_is_written(channel, db, field, overrides):
    stub = inventory_stub(channel)
    await make_hotel(stub)
    before = await db_state(db)
    error = await fails(stub.CreateRoomType(room_type_request(**overrides)))
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")
    assert (error.metadata, error.fields) == ({"field": field}, [field])
    assert await db_state(db) == before


async def test_every_bad_room_type_field_is_named_at_once(channel):
    stub = inventory_stub(channel)
    await make_hotel(stub)
    error = await fails(stub.CreateRoomType(room_type_request(code="dbl", max_occupancy=0, total_rooms=-1)))
    assert error.fields == ["room_type.code", "room_type.max_occupancy", "room_type.total_rooms"]
    assert error.metadata == {"field": "room_type.code"}


@pytest.mark.parametrize("hotel_id", ["", "Bad_Id"])
async def test_malformed_hotel_id_is_invalid(channel, db, hotel_id):
    error = await fails(inventory_stub(channel).CreateRoomType(room_type_request(hotel_id)))
    assert (error.code, error.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["hotel_id"])
    assert await stored_room_types(db) == []


async def test_missing_request_id_is_invalid(channel, db):
    stub = inventory_stub(channel)
    await make_hotel(stub)
    before = await db_state(db)
    request = room_type_request()
    request.request_id = ""
    error = await fails(stub.CreateRoomType(request))
    assert (error.code, error.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["request_id"])
    assert await db_state(db) == before


async def test_code_with_a_trailing_newline_is_invalid(channel, db):
    stub = inventory_stub(channel)
    await make_hotel(stub)
    error = await fails(stub.CreateRoomType(room_type_request(code="DBL\n")))
    assert error.fields == ["room_type.code"]


async def test_hotel_etag_changes_when_a_room_type_is_added(channel, db):
    stub = inventory_stub(channel)
    created = await make_hotel(stub)
    after_std = (await stub.GetHotel(inv.GetHotelRequest(hotel_id="test-hotel"))).hotel
    await stub.CreateRoomType(room_type_request())
    after_dbl = (await stub.GetHotel(inv.GetHotelRequest(hotel_id="test-hotel"))).hotel
    assert len({created.etag, after_std.etag, after_dbl.etag}) == 3
    async with db.reading() as conn:
        assert (await conn.execute(select(hotels.c.version))).scalar_one() == 3


async def test_rejected_room_type_keeps_the_hotel_etag(channel):
    stub = inventory_stub(channel)
    await make_hotel(stub)
    before = (await stub.GetHotel(inv.GetHotelRequest(hotel_id="test-hotel"))).hotel.etag
    await fails(stub.CreateRoomType(room_type_request(code="STD")))
    assert (await stub.GetHotel(inv.GetHotelRequest(hotel_id="test-hotel"))).hotel.etag == before
