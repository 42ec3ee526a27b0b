"""CreateHotel and GetHotel: what a hotel owner sends, what comes back, what is stored."""

import math
import re
from datetime import datetime, timedelta, timezone

import grpc
import pytest
from hotelagg.inventory.v1 import inventory_pb2 as inv
from sqlalchemy import select

from servers.storage.tables import hotels
from tests.api.helpers import (
    INVENTORY_TABLES,
    db_state,
    fails,
    hotel_message,
    inventory_stub,
    make_hotel,
    request_id,
    row_count,
)

DOMAIN = "hotelagg.inventory.v1"
HOTEL_ID_PATTERN = r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]"


def create_request(hotel_id: str = "grand-paris", **overrides) -> inv.CreateHotelRequest:
    return inv.CreateHotelRequest(request_id=request_id(), hotel_id=hotel_id, hotel=hotel_message(**overrides))


def channel_link(base_url: str = "https://cm.example.com") -> inv.ChannelManagerLink:
    return inv.ChannelManagerLink(channel_manager_id="siteminder", base_url=base_url, hotel_code="PAR-001")


async def stored_hotel(db, hotel_id: str):
    async with db.reading() as conn:
        return (await conn.execute(select(hotels).where(hotels.c.id == hotel_id))).one()


async def test_created_hotel_echoes_its_fields(channel, db):
    request = create_request(name="Grand Paris", city="Paris", latitude=48.8566, longitude=2.3522,
                             overbooking_allowance=2)
    hotel = (await inventory_stub(channel).CreateHotel(request)).hotel
    assert (hotel.hotel_id, hotel.name, hotel.city, hotel.country_code) == ("grand-paris", "Grand Paris", "Paris", "FR")
    assert (hotel.latitude, hotel.longitude) == (48.8566, 2.3522)
    assert (hotel.time_zone, hotel.currency_code, hotel.overbooking_allowance) == ("Europe/Paris", "EUR", 2)
    assert hotel.etag
    assert not hotel.HasField("channel_manager")
    assert list(hotel.room_types) == []
    created = hotel.create_time.ToDatetime(tzinfo=timezone.utc)
    assert abs(datetime.now(timezone.utc) - created) < timedelta(minutes=1)
    row = await stored_hotel(db, "grand-paris")
    assert (row.name, row.city_key, row.channel_manager_id, row.version) == ("Grand Paris", "paris", None, 1)


async def test_hotel_without_an_id_gets_a_generated_one(channel, db):
    stub = inventory_stub(channel)
    hotel = (await stub.CreateHotel(create_request(hotel_id=""))).hotel
    assert hotel.hotel_id
    assert re.fullmatch(HOTEL_ID_PATTERN, hotel.hotel_id)
    assert (await stub.GetHotel(inv.GetHotelRequest(hotel_id=hotel.hotel_id))).hotel == hotel
    assert await row_count(db, "hotels") == 1


async def test_channel_managed_hotel_keeps_its_link(channel, db):
    hotel = (await inventory_stub(channel).CreateHotel(create_request(channel_manager=channel_link()))).hotel
    assert hotel.channel_manager == channel_link()
    row = await stored_hotel(db, "grand-paris")
    assert (row.channel_manager_id, row.channel_manager_url) == ("siteminder", "https://cm.example.com")


@pytest.mark.parametrize("overrides", [{"latitude": -90, "longitude": 180}, {"latitude": 90, "longitude": -180}])
async def test_coordinates_at_the_poles_and_the_date_line_are_fine(channel, overrides):
    hotel = (await inventory_stub(channel).CreateHotel(create_request(**overrides))).hotel
    assert (hotel.latitude, hotel.longitude) == (overrides["latitude"], overrides["longitude"])


@pytest.mark.parametrize(
    "field, hotel_id, overrides",
    [
        ("hotel.name", "grand-paris", {"name": ""}),
        ("hotel.country_code", "grand-paris", {"country_code": "FRA"}),
        ("hotel.latitude", "grand-paris", {"latitude": 91}),
        ("hotel.longitude", "grand-paris", {"longitude": math.nan}),
        ("hotel.time_zone", "grand-paris", {"time_zone": "Mars/Base"}),
        ("hotel.currency_code", "grand-paris", {"currency_code": "EU"}),
        ("hotel_id", "Bad_Id", {}),
        ("hotel.channel_manager.base_url", "grand-paris", {"channel_manager": channel_link("ftp://cm.example.com")}),
    ],
    ids=["no name", "FRA", "latitude 91", "longitude NaN", "Mars/Base", "EU", "Bad_Id", "ftp channel manager"],
)
async def test_bad_hotel_field_is_named_and_nothing_is_written(channel, db, field, hotel_id, overrides):
    before = await db_state(db)
    error = await fails(inventory_stub(channel).CreateHotel(create_request(hotel_id, **overrides)))
    assert (error.code, error.reason, error.domain) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD", DOMAIN)
    assert error.metadata == {"field": field}
    assert error.fields == [field]
    assert await db_state(db) == before


async def test_every_bad_field_is_named_at_once(channel, db):
    request = create_request("Bad_Id", name="", country_code="FRA", latitude=91, currency_code="EU")
    error = await fails(inventory_stub(channel).CreateHotel(request))
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert sorted(error.fields) == [
        "hotel.country_code", "hotel.currency_code", "hotel.latitude", "hotel.name", "hotel_id",
    ]
    assert error.metadata["field"] == error.fields[0]
    assert await row_count(db, "hotels") == 0


@pytest.mark.parametrize("hotel_id, overrides", [("grand-paris\n", {}), ("grand-paris", {"currency_code": "EUR\n"})],
                         ids=["hotel id", "currency"])
async def test_code_with_a_trailing_newline_is_rejected(channel, db, hotel_id, overrides):
    error = await fails(inventory_stub(channel).CreateHotel(create_request(hotel_id, **overrides)))
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert await row_count(db, "hotels") == 0


async def test_missing_request_id_is_rejected(channel, db):
    request = create_request()
    request.request_id = ""
    error = await fails(inventory_stub(channel).CreateHotel(request))
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")
    assert (error.metadata, error.fields) == ({"field": "request_id"}, ["request_id"])
    assert await db_state(db) == {name: [] for name in INVENTORY_TABLES}


async def test_second_hotel_with_the_same_id_already_exists(channel, db):
    stub = inventory_stub(channel)
    await stub.CreateHotel(create_request(name="Grand Paris"))
    before = await db_state(db)
    error = await fails(stub.CreateHotel(create_request(name="Impostor")))
    assert (error.code, error.reason) == (grpc.StatusCode.ALREADY_EXISTS, "HOTEL_EXISTS")
    assert error.metadata["hotel_id"] == "grand-paris"
    assert await db_state(db) == before
    assert (await stored_hotel(db, "grand-paris")).name == "Grand Paris"


async def test_get_hotel_returns_its_room_types_sorted_by_code(channel):
    stub = inventory_stub(channel)
    await make_hotel(stub, "grand-paris")
    for code in ("SUI", "DBL"):
        await stub.CreateRoomType(inv.CreateRoomTypeRequest(
            request_id=request_id(), hotel_id="grand-paris",
            room_type=inv.RoomType(code=code, name=code.title(), max_occupancy=2, total_rooms=4),
        ))
    hotel = (await stub.GetHotel(inv.GetHotelRequest(hotel_id="grand-paris"))).hotel
    assert [rt.code for rt in hotel.room_types] == ["DBL", "STD", "SUI"]
    assert all(rt.hotel_id == "grand-paris" and rt.etag for rt in hotel.room_types)


async def test_unknown_hotel_is_not_found(channel):
    error = await fails(inventory_stub(channel).GetHotel(inv.GetHotelRequest(hotel_id="nowhere-inn")))
    assert (error.code, error.reason, error.domain) == (grpc.StatusCode.NOT_FOUND, "HOTEL_NOT_FOUND", DOMAIN)
    assert error.metadata == {"hotel_id": "nowhere-inn"}


@pytest.mark.parametrize("hotel_id", ["", "Bad_Id"])
async def test_get_hotel_with_a_malformed_id_is_invalid(channel, hotel_id):
    error = await fails(inventory_stub(channel).GetHotel(inv.GetHotelRequest(hotel_id=hotel_id)))
    assert (error.code, error.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["hotel_id"])
