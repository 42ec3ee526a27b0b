"""GetAvailability: what a room type has on each night of a range, as a channel reads it."""

import grpc
import pytest
from hotelagg.common.v1 import common_pb2
from hotelagg.inventory.v1 import inventory_pb2 as inv

from tests.api.helpers import (
    availability_request,
    change_night,
    days_ahead,
    fails,
    inventory_stub,
    load_nights,
    make_hotel,
    money,
    pb_date,
    request_id,
)

DOMAIN = "hotelagg.inventory.v1"


async def add_double_rooms(stub, hotel_id: str = "test-hotel") -> None:
    await stub.CreateRoomType(inv.CreateRoomTypeRequest(
        request_id=request_id(), hotel_id=hotel_id,
        room_type=inv.RoomType(code="DBL", name="Double", max_occupancy=2, total_rooms=6),
    ))


async def test_nights_come_in_date_order_with_sellable_rooms(channel, db):
    stub = inventory_stub(channel)
    await make_hotel(stub, rooms=10)
    await load_nights(db, start=10, nights=3, price_minor=15000)
    await change_night(db, days_ahead(11), available=8, held=2)
    [room_type] = (await stub.GetAvailability(availability_request())).room_types
    assert room_type.room_type_code == "STD"
    assert [n.date for n in room_type.nights] == [pb_date(days_ahead(d)) for d in (10, 11, 12)]
    counts = [(n.total_rooms, n.available_rooms, n.held_rooms, n.sellable_rooms) for n in room_type.nights]
    assert counts == [(10, 10, 0, 10), (10, 8, 2, 6), (10, 10, 0, 10)]
    assert all(n.price == money(15000) for n in room_type.nights)
    assert [n.version for n in room_type.nights] == [1, 1, 1]


async def test_restrictions_are_reported(channel, db):
    stub = inventory_stub(channel)
    await make_hotel(stub)
    await load_nights(db, nights=1, min_stay=2, max_stay=7, closed_to_arrival=True, stop_sell=True)
    night = (await stub.GetAvailability(availability_request(nights=1))).room_types[0].nights[0]
    assert night.restrictions == inv.Restrictions(min_stay=2, max_stay=7, closed_to_arrival=True, stop_sell=True)


async def test_price_is_in_the_hotel_currency(channel, db):
    stub = inventory_stub(channel)
    await make_hotel(stub, "kyoto-ryokan", city="Kyoto", country_code="JP", time_zone="Asia/Tokyo",
                     currency_code="JPY")
    await load_nights(db, hotel_id="kyoto-ryokan", nights=1, price_minor=24000)
    found = await stub.GetAvailability(availability_request(nights=1, hotel_id="kyoto-ryokan"))
    assert found.room_types[0].nights[0].price == money(24000, "JPY")


async def test_night_without_a_rate_has_no_price(channel, db):
    stub = inventory_stub(channel)
    await make_hotel(stub)
    await load_nights(db, nights=1)
    night = (await stub.GetAvailability(availability_request(nights=1))).room_types[0].nights[0]
    assert not night.HasField("price")


async def test_every_room_type_when_no_code_is_given(channel, db):
    stub = inventory_stub(channel)
    await make_hotel(stub)
    await add_double_rooms(stub)
    await load_nights(db, price_minor=9000)
    found = (await stub.GetAvailability(availability_request(code=""))).room_types
    assert [(rt.room_type_code, len(rt.nights)) for rt in found] == [("DBL", 0), ("STD", 3)]
    assert all(rt.etag for rt in found)
    assert found[0].etag != found[1].etag


async def test_hotel_without_room_types_has_nothing_to_show(channel):
    stub = inventory_stub(channel)
    await stub.CreateHotel(inv.CreateHotelRequest(
        request_id=request_id(), hotel_id="empty-hotel",
        hotel=inv.Hotel(name="Empty", city="Nice", country_code="FR", time_zone="Europe/Paris", currency_code="EUR"),
    ))
    found = await stub.GetAvailability(availability_request(hotel_id="empty-hotel", code=""))
    assert list(found.room_types) == []


async def test_nights_never_loaded_are_absent(channel, db):
    stub = inventory_stub(channel)
    await make_hotel(stub)
    await load_nights(db, start=10, nights=2, price_minor=9000)
    await load_nights(db, start=13, nights=1, price_minor=9000)
    nights = (await stub.GetAvailability(availability_request(start=8, nights=8))).room_types[0].nights
    assert [n.date for n in nights] == [pb_date(days_ahead(d)) for d in (10, 11, 13)]


async def test_past_nights_may_be_read(channel, db):
    stub = inventory_stub(channel)
    await make_hotel(stub)
    await load_nights(db, start=-5, nights=2, price_minor=9000)
    nights = (await stub.GetAvailability(availability_request(start=-6, nights=4))).room_types[0].nights
    assert [n.date for n in nights] == [pb_date(days_ahead(-5)), pb_date(days_ahead(-4))]


async def test_etag_follows_only_the_nights_of_the_range(channel, db):
    stub = inventory_stub(channel)
    await make_hotel(stub)
    await load_nights(db, start=10, nights=5, price_minor=9000)

    async def etag() -> str:
        return (await stub.GetAvailability(availability_request(start=10, nights=3))).room_types[0].etag

    first = await etag()
    await change_night(db, days_ahead(14), version=2)
    assert await etag() == first
    await change_night(db, days_ahead(11), version=2)
    assert await etag() != first


def with_start(year: int, month: int, day: int) -> inv.GetAvailabilityRequest:
    request = availability_request()
    request.start_date.CopyFrom(common_pb2.Date(year=year, month=month, day=day))
    return request


def without_end() -> inv.GetAvailabilityRequest:
    request = availability_request()
    request.ClearField("end_date")
    return request


BAD_RANGES = {
    "end equals start": (["end_date"], lambda: availability_request(nights=0)),
    "367 nights": (["end_date"], lambda: availability_request(start=1, nights=367)),
    "beyond three years": (["end_date"], lambda: availability_request(start=1095, nights=10)),
    "month 13": (["start_date"], lambda: with_start(days_ahead(0).year + 1, 13, 1)),
    "february 30": (["start_date"], lambda: with_start(days_ahead(0).year + 1, 2, 30)),
    "no end": (["end_date"], without_end),
    "lower-case room type": (["room_type_code"], lambda: availability_request(code="std")),
    "no hotel": (["hotel_id"], lambda: availability_request(hotel_id="")),
}


@pytest.mark.parametrize("fields, build", BAD_RANGES.values(), ids=BAD_RANGES.keys())
async def test_bad_request_names_its_fields(channel, fields, build):
    stub = inventory_stub(channel)
    await make_hotel(stub)
    error = await fails(stub.GetAvailability(build()))
    assert (error.code, error.reason, error.domain) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD", DOMAIN)
    assert (error.fields, error.metadata) == (fields, {"field": fields[0]})


@pytest.mark.parametrize(
    "hotel_id, code, reason",
    [("ghost-hotel", "STD", "HOTEL_NOT_FOUND"), ("ghost-hotel", "", "HOTEL_NOT_FOUND"),
     ("test-hotel", "PENTHOUSE", "ROOM_TYPE_NOT_FOUND")],
)
async def test_unknown_hotel_or_room_type_is_not_found(channel, hotel_id, code, reason):
    stub = inventory_stub(channel)
    await make_hotel(stub)
    error = await fails(stub.GetAvailability(availability_request(hotel_id=hotel_id, code=code)))
    assert (error.code, error.reason, error.metadata["hotel_id"]) == (grpc.StatusCode.NOT_FOUND, reason, hotel_id)
