"""UpdateInventory that is refused: every refusal names its cause and leaves every night as it was."""

import grpc
import pytest
from hotelagg.common.v1 import common_pb2
from hotelagg.inventory.v1 import inventory_pb2 as inv

from tests.api.helpers import (
    availability_request,
    change_night,
    days_ahead,
    db_state,
    fails,
    inventory_stub,
    load_nights,
    make_hotel,
    money,
    update_request,
)

DOMAIN = "hotelagg.inventory.v1"


@pytest.fixture
async def loaded_hotel(channel, db):
    """test-hotel with 10 STD rooms loaded at 100.00 EUR on nights 10 to 12 days ahead."""
    await make_hotel(inventory_stub(channel), rooms=10)
    await load_nights(db, start=10, nights=3, price_minor=10000)


def undated(**fields) -> inv.UpdateInventoryRequest:
    request = update_request(**fields)
    request.ClearField("start_date")
    request.ClearField("end_date")
    return request


def in_month_13(**fields) -> inv.UpdateInventoryRequest:
    request = update_request(**fields)
    request.start_date.CopyFrom(common_pb2.Date(year=days_ahead(10).year + 1, month=13, day=1))
    return request


def without_request_id(**fields) -> inv.UpdateInventoryRequest:
    request = update_request(**fields)
    request.request_id = ""
    return request


EUR = {"price": money(12000)}
BAD_REQUESTS = {
    "end not after start": (["end_date"], lambda: update_request(nights=0, **EUR)),
    "end before start": (["end_date"], lambda: update_request(nights=-2, **EUR)),
    "367 nights": (["end_date"], lambda: update_request(start=2, nights=367, **EUR)),
    "beyond three years": (["end_date"], lambda: update_request(start=1095, nights=10, **EUR)),
    "start in the past": (["start_date"], lambda: update_request(start=-3, nights=2, **EUR)),
    "month 13": (["start_date"], lambda: in_month_13(**EUR)),
    "no dates": (["start_date", "end_date"], lambda: undated(**EUR)),
    "nothing to update": (["total_rooms"], lambda: update_request()),
    "negative total": (["total_rooms"], lambda: update_request(total_rooms=-1)),
    "negative price": (["price.amount_minor"], lambda: update_request(price=money(-1))),
    "negative min stay": (["min_stay"], lambda: update_request(min_stay=-1)),
    "max stay over a year": (["max_stay"], lambda: update_request(max_stay=366)),
    "price in dollars": (["price.currency_code"], lambda: update_request(price=money(12000, "USD"))),
    "lower-case room type": (["room_type_code"], lambda: update_request(code="std", **EUR)),
    "no room type": (["room_type_code"], lambda: update_request(code="", **EUR)),
    "malformed hotel id": (["hotel_id"], lambda: update_request(hotel_id="Bad_Id", **EUR)),
    "no request id": (["request_id"], lambda: without_request_id(**EUR)),
}


@pytest.mark.parametrize("fields, build", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
async def test_bad_update_names_its_fields_and_changes_nothing(channel, db, loaded_hotel, fields, build):
    before = await db_state(db)
    error = await fails(inventory_stub(channel).UpdateInventory(build()))
    assert (error.code, error.reason, error.domain) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD", DOMAIN)
    assert error.fields == fields
    assert error.metadata == {"field": fields[0]}
    assert await db_state(db) == before


@pytest.mark.parametrize(
    "hotel_id, code, reason, metadata",
    [
        ("ghost-hotel", "STD", "HOTEL_NOT_FOUND", {"hotel_id": "ghost-hotel"}),
        ("test-hotel", "PENTHOUSE", "ROOM_TYPE_NOT_FOUND", {"hotel_id": "test-hotel", "room_type_code": "PENTHOUSE"}),
    ],
)
async def test_update_of_an_unknown_room_is_not_found(channel, db, loaded_hotel, hotel_id, code, reason, metadata):
    before = await db_state(db)
    error = await fails(inventory_stub(channel).UpdateInventory(update_request(hotel_id=hotel_id, code=code,
                                                                               price=money(9000))))
    assert (error.code, error.reason, error.metadata) == (grpc.StatusCode.NOT_FOUND, reason, metadata)
    assert await db_state(db) == before


async def test_channel_managed_hotel_takes_no_direct_updates(channel, db):
    stub = inventory_stub(channel)
    link = inv.ChannelManagerLink(channel_manager_id="siteminder", base_url="https://cm.example.com", hotel_code="H7")
    await make_hotel(stub, "mirror-hotel", channel_manager=link)
    before = await db_state(db)
    error = await fails(stub.UpdateInventory(update_request(hotel_id="mirror-hotel", total_rooms=5)))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "CHANNEL_MANAGED_HOTEL")
    assert error.metadata == {"hotel_id": "mirror-hotel"}
    assert await db_state(db) == before


async def test_min_stay_above_max_stay_conflicts(channel, db, loaded_hotel):
    before = await db_state(db)
    error = await fails(inventory_stub(channel).UpdateInventory(update_request(min_stay=5, max_stay=3)))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "RESTRICTION_CONFLICT")
    assert error.metadata == {"night": days_ahead(10).isoformat()}
    assert await db_state(db) == before


async def test_min_stay_above_a_stored_max_stay_conflicts(channel, db, loaded_hotel):
    await change_night(db, days_ahead(12), max_stay=3)
    before = await db_state(db)
    error = await fails(inventory_stub(channel).UpdateInventory(update_request(min_stay=4)))
    assert (error.reason, error.metadata) == ("RESTRICTION_CONFLICT", {"night": days_ahead(12).isoformat()})
    assert await db_state(db) == before


@pytest.mark.parametrize("in_use, sold, held", [({"available": 7}, "3", "0"), ({"held": 4}, "0", "4")])
async def test_total_below_rooms_in_use_is_refused(channel, db, loaded_hotel, in_use, sold, held):
    await change_night(db, days_ahead(11), **in_use)
    before = await db_state(db)
    error = await fails(inventory_stub(channel).UpdateInventory(update_request(total_rooms=2)))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ROOMS_IN_USE")
    assert error.metadata == {"night": days_ahead(11).isoformat(), "sold": sold, "held": held}
    assert await db_state(db) == before


async def test_stale_etag_is_aborted_and_changes_nothing(channel, db, loaded_hotel):
    stub = inventory_stub(channel)
    etag = (await stub.GetAvailability(availability_request())).room_types[0].etag
    await change_night(db, days_ahead(11), version=2, price_minor=11000)
    before = await db_state(db)
    error = await fails(stub.UpdateInventory(update_request(price=money(9000), etag=etag)))
    assert (error.code, error.reason, error.metadata) == (grpc.StatusCode.ABORTED, "ETAG_MISMATCH",
                                                          {"hotel_id": "test-hotel"})
    assert await db_state(db) == before


async def test_etag_of_another_room_type_is_a_mismatch(channel, db, loaded_hotel):
    stub = inventory_stub(channel)
    await make_hotel(stub, "twin-hotel")
    await load_nights(db, hotel_id="twin-hotel", price_minor=10000)
    twin_etag = (await stub.GetAvailability(availability_request(hotel_id="twin-hotel"))).room_types[0].etag
    error = await fails(stub.UpdateInventory(update_request(price=money(9000), etag=twin_etag)))
    assert error.reason == "ETAG_MISMATCH"
