"""ListHotels: filters by city and country, and paging with signed page tokens."""

import base64

import grpc
import pytest
from hotelagg.inventory.v1 import inventory_pb2 as inv

from tests.api.helpers import fails, hotel_message, inventory_stub, make_hotel, request_id

DOMAIN = "hotelagg.inventory.v1"
HOTELS = {
    "alpine-lodge": ("Zermatt", "CH"),
    "bay-hotel": ("Paris", "FR"),
    "canal-house": ("Amsterdam", "NL"),
    "dune-resort": ("PARIS", "FR"),
    "eiffel-suites": ("Lyon", "FR"),
}


async def open_hotels(stub) -> None:
    for hotel_id in ("dune-resort", "alpine-lodge", "eiffel-suites", "bay-hotel", "canal-house"):
        city, country = HOTELS[hotel_id]
        await stub.CreateHotel(inv.CreateHotelRequest(
            request_id=request_id(), hotel_id=hotel_id, hotel=hotel_message(city=city, country_code=country),
        ))


async def listed_ids(stub, **filters) -> list[str]:
    return [h.hotel_id for h in (await stub.ListHotels(inv.ListHotelsRequest(**filters))).hotels]


async def test_no_hotels_lists_nothing(channel):
    listed = await inventory_stub(channel).ListHotels(inv.ListHotelsRequest())
    assert (list(listed.hotels), listed.next_page_token) == ([], "")


async def test_listed_hotels_carry_their_room_types_sorted(channel):
    stub = inventory_stub(channel)
    await make_hotel(stub, "bay-hotel")
    await stub.CreateRoomType(inv.CreateRoomTypeRequest(
        request_id=request_id(), hotel_id="bay-hotel",
        room_type=inv.RoomType(code="DBL", name="Double", max_occupancy=2, total_rooms=5),
    ))
    [hotel] = (await stub.ListHotels(inv.ListHotelsRequest())).hotels
    assert [rt.code for rt in hotel.room_types] == ["DBL", "STD"]
    assert hotel == (await stub.GetHotel(inv.GetHotelRequest(hotel_id="bay-hotel"))).hotel


@pytest.mark.parametrize("city", ["Paris", "paris", "PARIS", " Paris "])
async def test_city_filter_ignores_case(channel, city):
    stub = inventory_stub(channel)
    await open_hotels(stub)
    assert await listed_ids(stub, city=city) == ["bay-hotel", "dune-resort"]


async def test_country_filter(channel):
    stub = inventory_stub(channel)
    await open_hotels(stub)
    assert await listed_ids(stub, country_code="FR") == ["bay-hotel", "dune-resort", "eiffel-suites"]
    assert await listed_ids(stub, country_code="FR", city="lyon") == ["eiffel-suites"]
    assert await listed_ids(stub, country_code="DE") == []


@pytest.mark.parametrize("country_code", ["fr", "FRA", "F"])
async def test_malformed_country_filter_is_invalid(channel, country_code):
    error = await fails(inventory_stub(channel).ListHotels(inv.ListHotelsRequest(country_code=country_code)))
    assert (error.code, error.reason, error.domain) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD", DOMAIN)
    assert (error.metadata, error.fields) == ({"field": "country_code"}, ["country_code"])


async def test_pages_of_two_visit_every_hotel_once_in_id_order(channel):
    stub = inventory_stub(channel)
    await open_hotels(stub)
    pages, token = [], ""
    while True:
        page = await stub.ListHotels(inv.ListHotelsRequest(page_size=2, page_token=token))
        pages.append([h.hotel_id for h in page.hotels])
        token = page.next_page_token
        if not token:
            break
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [hotel_id for p in pages for hotel_id in p] == sorted(HOTELS)


async def test_filtered_pages_keep_the_filter(channel):
    stub = inventory_stub(channel)
    await open_hotels(stub)
    first = await stub.ListHotels(inv.ListHotelsRequest(country_code="FR", page_size=2))
    second = await stub.ListHotels(inv.ListHotelsRequest(country_code="FR", page_size=2,
                                                         page_token=first.next_page_token))
    assert [h.hotel_id for h in first.hotels] == ["bay-hotel", "dune-resort"]
    assert ([h.hotel_id for h in second.hotels], second.next_page_token) == (["eiffel-suites"], "")


async def test_full_last_page_has_no_token(channel):
    stub = inventory_stub(channel)
    await open_hotels(stub)
    listed = await stub.ListHotels(inv.ListHotelsRequest(country_code="FR", page_size=3))
    assert (len(listed.hotels), listed.next_page_token) == (3, "")


async def test_page_size_zero_means_fifty(channel):
    stub = inventory_stub(channel)
    await open_hotels(stub)
    listed = await stub.ListHotels(inv.ListHotelsRequest(page_size=0))
    assert (len(listed.hotels), listed.next_page_token) == (5, "")


def tampered(token: str) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[-2] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


async def first_page_token(stub, **filters) -> str:
    token = (await stub.ListHotels(inv.ListHotelsRequest(page_size=2, **filters))).next_page_token
    assert token
    return token


async def assert_page_token_refused(stub, request: inv.ListHotelsRequest) -> None:
    error = await fails(stub.ListHotels(request))
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")
    assert (error.metadata, error.fields) == ({"field": "page_token"}, ["page_token"])


async def test_tampered_page_token_is_invalid(channel):
    stub = inventory_stub(channel)
    await open_hotels(stub)
    token = await first_page_token(stub)
    await assert_page_token_refused(stub, inv.ListHotelsRequest(page_size=2, page_token=tampered(token)))


@pytest.mark.parametrize("token", ["not-a-token", "!!!", "é"])
async def test_made_up_page_token_is_invalid(channel, token):
    await assert_page_token_refused(inventory_stub(channel), inv.ListHotelsRequest(page_token=token))


async def test_page_token_of_another_filter_is_invalid(channel):
    stub = inventory_stub(channel)
    await open_hotels(stub)
    token = await first_page_token(stub, country_code="FR")
    await assert_page_token_refused(stub, inv.ListHotelsRequest(country_code="NL", page_token=token))
    await assert_page_token_refused(stub, inv.ListHotelsRequest(city="Paris", page_token=token))


@pytest.mark.parametrize("page_size", [501, -1])
async def test_page_size_out_of_range_is_invalid(channel, page_size):
    error = await fails(inventory_stub(channel).ListHotels(inv.ListHotelsRequest(page_size=page_size)))
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD")
    assert (error.metadata, error.fields) == ({"field": "page_size"}, ["page_size"])


@pytest.mark.parametrize("position", [5, {"id": "bay-hotel"}, ["bay-hotel"], True])
async def test_signed_page_token_with_a_position_of_another_type_is_invalid(channel, position):
    """Signed with the server's (default) secret but no hotel id as its position (issue 14, item 16)."""
    from servers.runtime.config import Settings
    from servers.runtime.paging import PageTokens

    stub = inventory_stub(channel)
    await open_hotels(stub)
    signer = PageTokens(Settings(database_url="sqlite+aiosqlite://").page_token_secret)
    forged = signer.issue("hotels", {"city": "", "country": ""}, position)
    await assert_page_token_refused(stub, inv.ListHotelsRequest(page_size=2, page_token=forged))
