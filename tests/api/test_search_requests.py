"""SearchAvailability requests: where (city, hotel ids, a circle), bad input, and paging with tokens."""

from __future__ import annotations

import base64
import json
import math

import grpc
import pytest
from hotelagg.common.v1 import common_pb2
from hotelagg.inventory.v1 import inventory_pb2 as inv
from hotelagg.search.v1 import search_pb2 as pb

from servers.runtime.paging import PageTokens
from tests.api.helpers import days_ahead, fails, inventory_stub, money, pb_date
from tests.api.test_search import (
    DOMAIN,
    FIRST,
    create_hotel,
    keys,
    search_request,
    search_stub,
    set_nights,
)

CENTRE = (38.7223, -9.1393)


def _offset(lat: float, lon: float, north_km: float, east_km: float) -> tuple[float, float]:
    return lat + north_km / 111.195, lon + east_km / (111.195 * math.cos(math.radians(lat)))


def _haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dp, dl = p2 - p1, math.radians(b[1] - a[1])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


async def _open(stub, hotel_id: str, city: str = "Lisbon", at: tuple[float, float] = CENTRE,
                price: int = 10000, **kw) -> None:
    await create_hotel(stub, hotel_id, hotel_id.replace("-", " ").title(), {"STD": (2, 5)}, city=city,
                       latitude=at[0], longitude=at[1], **kw)
    await set_nights(stub, hotel_id, "STD", FIRST, 3, price)


# ---- where ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("city", ["Lisbon", "lisbon", "LISBON", "  Lisbon "])
async def test_city_is_case_insensitive_and_exact(channel, city):
    stub = inventory_stub(channel)
    await _open(stub, "lisbon-one", price=10000)
    await _open(stub, "lisbon-two", city="LISBON", price=9000)
    await _open(stub, "porto-one", city="Porto")
    await _open(stub, "new-lisbon", city="New Lisbon")
    reply = await search_stub(channel).SearchAvailability(search_request(city=city))
    assert keys(reply) == [("lisbon-two", "STD"), ("lisbon-one", "STD")]
    assert [o.city for o in reply.options] == ["LISBON", "Lisbon"]


async def test_hotel_ids_pick_those_hotels_wherever_they_are(channel):
    stub = inventory_stub(channel)
    await _open(stub, "lisbon-one", price=10000)
    await _open(stub, "porto-one", city="Porto", price=9000)
    await _open(stub, "faro-one", city="Faro", price=8000)
    search = search_stub(channel)
    reply = await search.SearchAvailability(search_request(hotel_ids=["lisbon-one", "porto-one", "no-such-hotel",
                                                                      "porto-one"]))
    assert keys(reply) == [("porto-one", "STD"), ("lisbon-one", "STD")]
    assert keys(await search.SearchAvailability(search_request(hotel_ids=["no-such-hotel"]))) == []


async def test_near_finds_hotels_within_the_radius_with_their_distance(channel):
    stub = inventory_stub(channel)
    places = {
        "at-centre": CENTRE,
        "east-4km": _offset(*CENTRE, 0, 4),
        "north-9km": _offset(*CENTRE, 9, 0),
        "south-west-11km": _offset(*CENTRE, -7.8, -7.8),
        "far-40km": _offset(*CENTRE, 40, 0),
    }
    for i, (hotel_id, at) in enumerate(places.items()):
        await _open(stub, hotel_id, at=at, price=10000 + i)
    reply = await search_stub(channel).SearchAvailability(search_request(
        near=pb.GeoCircle(latitude=CENTRE[0], longitude=CENTRE[1], radius_km=10)))
    assert keys(reply) == [("at-centre", "STD"), ("east-4km", "STD"), ("north-9km", "STD")]
    for option in reply.options:
        assert option.distance_km == pytest.approx(_haversine(CENTRE, places[option.hotel_id]), abs=0.002)
    assert [round(o.distance_km) for o in reply.options] == [0, 4, 9]


async def test_near_crosses_degree_cells_and_the_antimeridian(channel):
    stub = inventory_stub(channel)
    edge = (38.999, -9.001)  # the circle's centre sits in a corner of its one-degree cell
    await _open(stub, "over-the-line", at=(39.002, -8.998), price=10000)
    await _open(stub, "date-line-west", at=(10.0, 179.99), price=10000)
    await _open(stub, "date-line-east", at=(10.0, -179.99), price=10001)
    search = search_stub(channel)
    reply = await search.SearchAvailability(search_request(
        near=pb.GeoCircle(latitude=edge[0], longitude=edge[1], radius_km=1)))
    assert keys(reply) == [("over-the-line", "STD")]
    reply = await search.SearchAvailability(search_request(
        near=pb.GeoCircle(latitude=10.0, longitude=179.995, radius_km=5)))
    assert keys(reply) == [("date-line-west", "STD"), ("date-line-east", "STD")]
    assert [round(o.distance_km, 1) for o in reply.options] == [0.5, 1.6]


async def test_near_finds_hotels_within_the_radius_close_to_a_pole(channel):
    stub = inventory_stub(channel)
    await _open(stub, "arctic-close", at=(85.2, 2.0), price=10000)
    await _open(stub, "arctic-east", at=(85.5, 8.0), price=10001)  # 92 km from the centre, 8 cells east
    await _open(stub, "over-the-pole", at=(89.7, 90.0), price=10002)  # 65 km from (89.5, 0)
    search = search_stub(channel)
    reply = await search.SearchAvailability(search_request(
        near=pb.GeoCircle(latitude=85.0, longitude=0.0, radius_km=100)))
    assert keys(reply) == [("arctic-close", "STD"), ("arctic-east", "STD")]
    reply = await search.SearchAvailability(search_request(
        near=pb.GeoCircle(latitude=89.5, longitude=0.0, radius_km=70)))
    assert keys(reply) == [("over-the-pole", "STD")]


# ---- bad input -----------------------------------------------------------------------------------

def _bad_requests() -> dict[str, tuple[pb.SearchAvailabilityRequest, list[str]]]:
    inverted = search_request()
    inverted.check_out.CopyFrom(pb_date(days_ahead(FIRST - 1)))
    feb_30 = search_request()
    feb_30.check_in.CopyFrom(common_pb2.Date(year=days_ahead(400).year, month=2, day=30))
    no_check_in = search_request()
    no_check_in.ClearField("check_in")
    return {
        "check-out on check-in": (search_request(nights=0), ["check_out"]),
        "check-out before check-in": (inverted, ["check_out"]),
        "31 nights": (search_request(nights=31), ["check_out"]),
        "no check-in": (no_check_in, ["check_in"]),
        "not a date": (feb_30, ["check_in"]),
        "in the past": (search_request(first=-5), ["check_in"]),
        "zero guests": (search_request(guests=0), ["guests"]),
        "negative guests": (search_request(guests=-1), ["guests"]),
        "101 guests": (search_request(guests=101), ["guests"]),
        "11 rooms": (search_request(rooms=11), ["rooms"]),
        "negative rooms": (search_request(rooms=-1), ["rooms"]),
        "radius without coordinates": (search_request(near=pb.GeoCircle(radius_km=5)), ["near.latitude"]),
        "coordinates without radius": (search_request(near=pb.GeoCircle(latitude=38.7, longitude=-9.1)),
                                       ["near.radius_km"]),
        "radius too big": (search_request(near=pb.GeoCircle(latitude=38.7, longitude=-9.1, radius_km=101)),
                           ["near.radius_km"]),
        "latitude off the globe": (search_request(near=pb.GeoCircle(latitude=91, longitude=1, radius_km=5)),
                                   ["near.latitude"]),
        "nowhere": (pb.SearchAvailabilityRequest(check_in=pb_date(days_ahead(FIRST)),
                                                 check_out=pb_date(days_ahead(FIRST + 1)), guests=2), ["city"]),
        "city and hotel ids": (search_request(city="Lisbon", hotel_ids=["lisbon-one"]), ["city"]),
        "city and near": (search_request(city="Lisbon", near=pb.GeoCircle(latitude=38.7, longitude=-9.1,
                                                                          radius_km=5)), ["city"]),
        "blank city": (search_request(city="   "), ["city"]),
        "101 hotel ids": (search_request(hotel_ids=[f"hotel-{i}" for i in range(101)]), ["hotel_ids"]),
        "too far ahead": (search_request(first=3 * 366), ["check_out"]),
        "bad hotel id": (search_request(hotel_ids=["lisbon-one", "Not_An_Id"]), ["hotel_ids[1]"]),
        "bad room type code": (search_request(room_type_codes=["STD", "std"]), ["room_type_codes[1]"]),
        "price currency": (search_request(max_total_price=money(100, "eur")), ["max_total_price.currency_code"]),
        "price zero": (search_request(max_total_price=money(0)), ["max_total_price.amount_minor"]),
        "page size 101": (search_request(page_size=101), ["page_size"]),
        "negative page size": (search_request(page_size=-1), ["page_size"]),
        "forged page token": (search_request(page_token="bm90LWEtdG9rZW4"), ["page_token"]),
    }


@pytest.mark.parametrize("case", list(_bad_requests()))
async def test_bad_input_is_invalid_argument_naming_the_field(channel, case):
    request, fields = _bad_requests()[case]
    failure = await fails(search_stub(channel).SearchAvailability(request))
    assert (failure.code, failure.reason, failure.domain) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD", DOMAIN)
    assert failure.fields == fields
    assert failure.metadata["field"] == fields[0]


async def test_every_bad_field_is_named_at_once(channel):
    request = search_request(nights=0, guests=0, rooms=20, room_type_codes=["x"])
    failure = await fails(search_stub(channel).SearchAvailability(request))
    assert failure.fields == ["check_out", "guests", "rooms", "room_type_codes[0]"]


async def test_longest_stay_and_boundaries_are_accepted(channel):
    stub = inventory_stub(channel)
    await _open(stub, "lisbon-one")
    await set_nights(stub, "lisbon-one", "STD", FIRST, 31, 10000)
    search = search_stub(channel)
    reply = await search.SearchAvailability(search_request(nights=30, guests=100, rooms=10, page_size=100,
                                                           max_total_price=money(10**12)))
    assert reply.options == []  # 100 guests in 10 double rooms do not fit; the request itself is fine
    reply = await search.SearchAvailability(search_request(nights=30, rooms=5))
    assert keys(reply) == [("lisbon-one", "STD")]
    assert reply.options[0].total_price.amount_minor == 5 * 30 * 10000


# ---- paging --------------------------------------------------------------------------------------


async def _many_options(channel) -> None:
    """21 options with ties on price, and on price and hotel name together."""
    stub = inventory_stub(channel)
    for i in range(7):
        hotel_id = f"hotel-{i}"
        name = "Twin" if i in (2, 5) else f"Hotel {'GFEDCBA'[i]}"
        await create_hotel(stub, hotel_id, name, {"STD": (2, 5), "DBL": (2, 5), "SUI": (4, 2)})
        await set_nights(stub, hotel_id, "STD", FIRST, 3, 10000)
        await set_nights(stub, hotel_id, "DBL", FIRST, 3, 12000 + 100 * (i % 3))
        await set_nights(stub, hotel_id, "SUI", FIRST, 3, 20000 - 100 * i)


async def _all_pages(search, page_size: int, **fields) -> tuple[list, int]:
    seen, token, pages = [], "", 0
    while True:
        reply = await search.SearchAvailability(search_request(page_size=page_size, page_token=token, **fields))
        pages += 1
        assert len(reply.options) <= page_size
        seen.extend(keys(reply))
        token = reply.next_page_token
        if not token:
            return seen, pages
        assert len(reply.options) == page_size
        assert pages < 50


@pytest.mark.parametrize("page_size", [1, 4, 7, 20, 21])
async def test_pages_visit_every_option_once_in_order(channel, page_size):
    await _many_options(channel)
    search = search_stub(channel)
    everything = keys(await search.SearchAvailability(search_request(page_size=100)))
    assert len(everything) == 21 and len(set(everything)) == 21
    paged, pages = await _all_pages(search, page_size)
    assert paged == everything
    assert pages == max(1, math.ceil(21 / page_size))


async def test_default_page_is_twenty(channel):
    await _many_options(channel)
    search = search_stub(channel)
    first = await search.SearchAvailability(search_request())
    assert len(first.options) == 20 and first.next_page_token
    rest = await search.SearchAvailability(search_request(page_token=first.next_page_token))
    assert len(rest.options) == 1 and rest.next_page_token == ""


async def test_a_token_keeps_to_its_query(channel):
    await _many_options(channel)
    search = search_stub(channel)
    token = (await search.SearchAvailability(search_request(page_size=5))).next_page_token
    # The page size may change between pages; nothing else may.
    assert len((await search.SearchAvailability(search_request(page_size=3, page_token=token))).options) == 3
    changed = [
        search_request(page_size=5, page_token=token, guests=1),
        search_request(page_size=5, page_token=token, rooms=2),
        search_request(page_size=5, page_token=token, city="lisbon"),
        search_request(page_size=5, page_token=token, first=FIRST + 1),
        search_request(page_size=5, page_token=token, nights=2),
        search_request(page_size=5, page_token=token, room_type_codes=["STD"]),
        search_request(page_size=5, page_token=token, max_total_price=money(10**9)),
    ]
    for request in changed:
        failure = await fails(search.SearchAvailability(request))
        assert (failure.code, failure.reason, failure.fields) == (
            grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD", ["page_token"]), request


async def test_forged_tampered_and_foreign_tokens_are_refused(channel):
    await _many_options(channel)
    search = search_stub(channel)
    token = (await search.SearchAvailability(search_request(page_size=5))).next_page_token
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[-3] ^= 0x01  # one bit of the position
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    body = bytes(raw[16:])
    other_secret = PageTokens("someone-else-s-secret-key").issue("search", {"q": "x"}, [0, "", "", ""])
    listed = inventory_stub(channel).ListHotels(inv.ListHotelsRequest(page_size=1))
    hotels_token = (await listed).next_page_token
    assert hotels_token
    for forged in (tampered, other_secret, hotels_token, token[:-2], "!!!", base64.urlsafe_b64encode(body).decode()):
        failure = await fails(search.SearchAvailability(search_request(page_size=5, page_token=forged)))
        assert (failure.code, failure.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["page_token"]), forged


async def test_a_signed_token_with_a_position_of_odd_shape_is_refused(channel):
    """Signed with the server's secret (a leaked or default one), but no position search issued: the
    shape is checked too, so the comparison never fails inside (issue 14, item 16)."""
    from servers.runtime.config import Settings

    await _many_options(channel)
    search = search_stub(channel)
    token = (await search.SearchAvailability(search_request(page_size=5))).next_page_token
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    issued = json.loads(raw[16:])
    signer = PageTokens(Settings(database_url="sqlite+aiosqlite://").page_token_secret)
    odd_positions = ["a string", 12, None, {"p": 1}, [], ["10000", "Hotel A", "hotel-0", "STD"],
                     [10000, 1, "hotel-0", "STD"], [True, "Hotel A", "hotel-0", "STD"], [10000, "Hotel A", "hotel-0"],
                     [10000, "Hotel A", "hotel-0", "STD", "more"], [1e300, "Hotel A", "hotel-0", "STD"]]
    for position in odd_positions:
        forged = signer.issue("search", issued["f"], position)
        failure = await fails(search.SearchAvailability(search_request(page_size=5, page_token=forged)))
        assert (failure.code, failure.reason, failure.fields) == (
            grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD", ["page_token"]), position
    # A whole token of another shape (not an object at all), signed the same way.
    body = b"[1, 2, 3]"
    not_an_object = base64.urlsafe_b64encode(signer._sign(body) + body).decode().rstrip("=")
    failure = await fails(search.SearchAvailability(search_request(page_size=5, page_token=not_an_object)))
    assert (failure.code, failure.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["page_token"])
