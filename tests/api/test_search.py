"""SearchAvailability: which room types a stay can be sold in, at what price, in what order.

The rules are checked twice over: nights written through the API (UpdateInventory writes them
through to the search cache, so search reads the cache) and nights put straight into the database
(the cache misses, search reads the database, then the cache on the next search). Both must give
the same options. This module also holds what the other test_search_*.py modules share.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hotelagg.inventory.v1 import inventory_pb2 as inv
from hotelagg.search.v1 import search_pb2 as pb
from hotelagg.search.v1 import search_pb2_grpc
from sqlalchemy import select

from servers.storage import tables
from tests.api.helpers import days_ahead, inventory_stub, money, pb_date, request_id

DOMAIN = "hotelagg.search.v1"
FIRST = 10  # the first night of the stays below, days from today
LIVE, CACHED, STALE = pb.FRESHNESS_LIVE, pb.FRESHNESS_CACHED, pb.FRESHNESS_STALE


# ---- shared helpers ------------------------------------------------------------------------------


def search_stub(channel) -> search_pb2_grpc.SearchServiceStub:
    return search_pb2_grpc.SearchServiceStub(channel)


def search_request(first: int = FIRST, nights: int = 3, **fields) -> pb.SearchAvailabilityRequest:
    """A stay of `nights` nights from `first` days ahead, 2 guests, in Lisbon unless told otherwise."""
    fields.setdefault("guests", 2)
    if not ({"city", "hotel_ids", "near"} & set(fields)):
        fields["city"] = "Lisbon"
    return pb.SearchAvailabilityRequest(check_in=pb_date(days_ahead(first)),
                                        check_out=pb_date(days_ahead(first + nights)), **fields)


async def create_hotel(stub, hotel_id: str, name: str, room_types: dict[str, tuple[int, int]], *,
                       city: str = "Lisbon", currency: str = "EUR", latitude: float = 38.72,
                       longitude: float = -9.14, channel_manager: inv.ChannelManagerLink | None = None) -> None:
    """A hotel with room types code → (max occupancy, total rooms)."""
    hotel = inv.Hotel(name=name, city=city, country_code="PT", latitude=latitude, longitude=longitude,
                      time_zone="Europe/Lisbon", currency_code=currency, channel_manager=channel_manager)
    await stub.CreateHotel(inv.CreateHotelRequest(request_id=request_id(), hotel_id=hotel_id, hotel=hotel))
    for code, (occupancy, rooms) in room_types.items():
        await stub.CreateRoomType(inv.CreateRoomTypeRequest(request_id=request_id(), hotel_id=hotel_id, room_type=(
            inv.RoomType(code=code, name=f"{code.title()} room", max_occupancy=occupancy, total_rooms=rooms))))


async def set_nights(stub, hotel_id: str, code: str, first: int, nights: int, price: int | None = None,
                     currency: str = "EUR", **patch) -> None:
    """UpdateInventory over `nights` nights from `first` days ahead (written through to the cache)."""
    if price is not None:
        patch["price"] = money(price, currency)
    await stub.UpdateInventory(inv.UpdateInventoryRequest(
        request_id=request_id(), hotel_id=hotel_id, room_type_code=code, start_date=pb_date(days_ahead(first)),
        end_date=pb_date(days_ahead(first + nights)), **patch))


NIGHT_DEFAULTS = {"held": 0, "price_minor": None, "min_stay": 0, "max_stay": 0, "closed_to_arrival": False,
                  "closed_to_departure": False, "stop_sell": False, "version": 1}


async def insert_nights(db, hotel_id: str, code: str, nights: dict[int, dict]) -> None:
    """Nights straight into the database (the search cache knows nothing of them): offset → columns."""
    async with db.unit_of_work() as uow:
        query = select(tables.room_types).where(tables.room_types.c.hotel_id == hotel_id,
                                                tables.room_types.c.code == code)
        room_type = (await uow.connection.execute(query)).one()
        rows = []
        for offset, values in nights.items():
            values = dict(values)
            total = values.pop("total", room_type.total_rooms)
            rows.append({**NIGHT_DEFAULTS, "room_type_id": room_type.id, "hotel_id": hotel_id,
                         "night": days_ahead(offset), "total": total, "available": values.pop("available", total),
                         "updated_at": datetime.now(timezone.utc), **values})
        await uow.connection.execute(tables.inventory.insert(), rows)
        await uow.commit()


def summary(response: pb.SearchAvailabilityResponse) -> list[tuple]:
    """(hotel, room type, nightly prices, total, rooms left) of every option, in answer order."""
    return [(o.hotel_id, o.room_type_code, [p.amount_minor for p in o.nightly_prices], o.total_price.amount_minor,
             o.rooms_left) for o in response.options]


def keys(response: pb.SearchAvailabilityResponse) -> list[tuple[str, str]]:
    return [(o.hotel_id, o.room_type_code) for o in response.options]


def freshness(response: pb.SearchAvailabilityResponse) -> set[int]:
    return {o.freshness for o in response.options}


def night_date(offset: int) -> date:
    return date.today() + timedelta(days=offset)


# ---- the rules: one hotel, one room type per case ------------------------------------------------

HOTEL = "rules-hotel"
N0, N1, N2, DEPARTURE = FIRST, FIRST + 1, FIRST + 2, FIRST + 3


def _night(price: int | None = 10000, **values) -> dict:
    return {"price_minor": price, **values}


def _case(*changes: tuple[int, dict], base: int = 10000) -> dict[int, dict]:
    """The stay's three nights and the departure night at `base`, 100 a night dearer each day; then changes."""
    nights = {offset: _night(base + 100 * i) for i, offset in enumerate((N0, N1, N2, DEPARTURE))}
    for offset, change in changes:
        if change is None:
            nights.pop(offset)
        else:
            nights[offset] = {**nights[offset], **change}
    return nights


# code → (max occupancy, nights, sold for a 3-night stay of 1 room and 2 guests?)
CASES: dict[str, tuple[int, dict[int, dict], bool]] = {
    "OK": (2, _case((N1, {"total": 3})), True),
    "SOLD_N1": (2, _case((N1, {"total": 0}), base=9000), False),
    "NO_RATE_N2": (2, _case((N2, {"price_minor": None}), base=9000), False),
    "GAP_N1": (2, _case((N1, None), base=9000), False),
    "STOP_N2": (2, _case((N2, {"stop_sell": True}), base=9000), False),
    "STOP_DEPARTURE": (2, _case((DEPARTURE, {"stop_sell": True}), base=10010), True),
    "CTA_N0": (2, _case((N0, {"closed_to_arrival": True}), base=9000), False),
    "CTA_N1": (2, _case((N1, {"closed_to_arrival": True}), base=10020), True),
    "MIN4_N0": (2, _case((N0, {"min_stay": 4}), base=9000), False),
    "MIN3_N0": (2, _case((N0, {"min_stay": 3}), base=10030), True),
    "MIN4_N1": (2, _case((N1, {"min_stay": 4}), base=10040), True),
    "MAX2_N0": (2, _case((N0, {"max_stay": 2}), base=9000), False),
    "MAX3_N0": (2, _case((N0, {"max_stay": 3}), base=10050), True),
    "MAX2_N1": (2, _case((N1, {"max_stay": 2}), base=10060), True),
    "CTD_DEPARTURE": (2, _case((DEPARTURE, {"closed_to_departure": True}), base=9000), False),
    "CTD_N1": (2, _case((N1, {"closed_to_departure": True}), base=10070), True),
    "CTD_N2": (2, _case((N2, {"closed_to_departure": True}), base=10080), True),
    "SINGLE": (1, _case(base=8000), False),
    "FAMILY": (4, _case((N0, {"total": 2}), base=12000), True),
}
PATCH_FIELDS = {"min_stay", "max_stay", "closed_to_arrival", "closed_to_departure", "stop_sell"}


async def _through_api(stub, db) -> None:
    for code, (_, nights, _) in CASES.items():
        for offset, values in nights.items():
            patch = {k: v for k, v in values.items() if k in PATCH_FIELDS}
            if "total" in values:
                patch["total_rooms"] = values["total"]
            if not patch and values["price_minor"] is None:
                patch["total_rooms"] = 5  # a night with rooms and no rate
            await set_nights(stub, HOTEL, code, offset, 1, values["price_minor"], **patch)


async def _straight_into_database(stub, db) -> None:
    for code, (_, nights, _) in CASES.items():
        await insert_nights(db, HOTEL, code, nights)


LOADERS = {"api": _through_api, "database": _straight_into_database}


async def _rules_hotel(channel, db, loader: str):
    stub = inventory_stub(channel)
    await create_hotel(stub, HOTEL, "Rules", {code: (occupancy, 5) for code, (occupancy, _, _) in CASES.items()})
    await LOADERS[loader](stub, db)
    return search_stub(channel)


def _expected(rooms: int = 1) -> list[tuple]:
    out = []
    for code, (_, nights, sold) in CASES.items():
        if sold:
            stay = [nights[o] for o in (N0, N1, N2)]
            prices = [n["price_minor"] for n in stay]
            out.append((HOTEL, code, prices, sum(prices) * rooms, min(n.get("total", 5) for n in stay)))
    return sorted(out, key=lambda o: (o[3], o[1]))


@pytest.mark.parametrize("loader", LOADERS)
async def test_only_room_types_sellable_on_every_night_under_their_restrictions(channel, db, loader):
    search = await _rules_hotel(channel, db, loader)
    first = await search.SearchAvailability(search_request())
    assert summary(first) == _expected()
    second = await search.SearchAvailability(search_request())
    assert summary(second) == summary(first)
    # Through the API every night was written through to the cache; straight into the database
    # the first search reads the database, and fills the cache for the second.
    assert (freshness(first), freshness(second)) == (({CACHED}, {CACHED}) if loader == "api" else ({LIVE}, {CACHED}))


@pytest.mark.parametrize("loader", LOADERS)
async def test_rooms_and_guests_together(channel, db, loader):
    search = await _rules_hotel(channel, db, loader)
    # 2 rooms for 3 guests: every room type of 2 or more fits; OK has 3 rooms left and FAMILY 2.
    reply = await search.SearchAvailability(search_request(guests=3, rooms=2))
    assert summary(reply) == _expected(rooms=2)
    # 1 room for 3 guests: only FAMILY (4) fits.
    reply = await search.SearchAvailability(search_request(guests=3, rooms=1))
    assert keys(reply) == [(HOTEL, "FAMILY")]
    # 3 rooms: OK has 3 left on N1 and FAMILY only 2 on N0.
    reply = await search.SearchAvailability(search_request(guests=3, rooms=3))
    assert "OK" in [k[1] for k in keys(reply)] and "FAMILY" not in [k[1] for k in keys(reply)]
    assert next(o for o in reply.options if o.room_type_code == "OK").total_price.amount_minor == 3 * (
        10000 + 10100 + 10200)


@pytest.mark.parametrize("loader", LOADERS)
async def test_shorter_and_later_stays_meet_other_restrictions(channel, db, loader):
    search = await _rules_hotel(channel, db, loader)
    # Two nights N1, N2 (departure N2+1): MAX2_N1 allows 2, MIN4_N1 does not; CTA_N1 is closed to arrival now;
    # CTD_N2 is not the departure; GAP_N1 and SOLD_N1 still miss N1; MAX2_N0 binds arrivals on N0 only.
    reply = await search.SearchAvailability(search_request(first=N1, nights=2, room_type_codes=[
        "MAX2_N1", "MIN4_N1", "CTA_N1", "CTD_N2", "GAP_N1", "SOLD_N1", "STOP_N2", "MAX2_N0"]))
    assert sorted(k[1] for k in keys(reply)) == ["CTD_N2", "MAX2_N0", "MAX2_N1"]
    # One night N0 with departure N1: CTD_N1 is now closed on its departure; MAX2_N0 and SOLD_N1 are fine.
    reply = await search.SearchAvailability(search_request(first=N0, nights=1, room_type_codes=[
        "CTD_N1", "MAX2_N0", "SOLD_N1", "MIN3_N0"]))
    assert sorted(k[1] for k in keys(reply)) == ["MAX2_N0", "SOLD_N1"]


async def test_option_fields_in_the_hotels_currency(channel):
    stub = inventory_stub(channel)
    await create_hotel(stub, "gbp-house", "Pound House", {"STD": (2, 4)}, currency="GBP")
    await set_nights(stub, "gbp-house", "STD", FIRST, 1, 7000, "GBP")
    await set_nights(stub, "gbp-house", "STD", FIRST + 1, 2, 8050, "GBP")
    reply = await search_stub(channel).SearchAvailability(search_request(rooms=2))
    [option] = reply.options
    assert (option.hotel_id, option.hotel_name, option.city) == ("gbp-house", "Pound House", "Lisbon")
    assert (option.room_type_code, option.room_type_name, option.max_occupancy) == ("STD", "Std room", 2)
    assert [(p.currency_code, p.amount_minor) for p in option.nightly_prices] == [
        ("GBP", 7000), ("GBP", 8050), ("GBP", 8050)]
    assert (option.total_price.currency_code, option.total_price.amount_minor) == ("GBP", 2 * (7000 + 8050 + 8050))
    assert option.rooms_left == 4
    assert option.distance_km == 0.0
    assert 0 <= option.age.ToTimedelta().total_seconds() < 5
    assert reply.next_page_token == ""


async def test_sorted_by_total_then_hotel_name(channel):
    stub = inventory_stub(channel)
    # Ids in the opposite order of names, so a sort by id would show.
    hotels = {"a-zeta": "Zeta", "b-mid": "Mid", "c-alpha": "Alpha"}
    for hotel_id, name in hotels.items():
        await create_hotel(stub, hotel_id, name, {"STD": (2, 5), "DBL": (2, 5)})
        await set_nights(stub, hotel_id, "STD", FIRST, 3, 10000)
        await set_nights(stub, hotel_id, "DBL", FIRST, 3, 9000 if hotel_id != "b-mid" else 12000)
    reply = await search_stub(channel).SearchAvailability(search_request())
    assert [(k, o.total_price.amount_minor) for k, o in zip(keys(reply), reply.options, strict=True)] == [
        (("c-alpha", "DBL"), 27000), (("a-zeta", "DBL"), 27000),
        (("c-alpha", "STD"), 30000), (("b-mid", "STD"), 30000), (("a-zeta", "STD"), 30000),
        (("b-mid", "DBL"), 36000),
    ]


async def test_max_total_price_and_room_type_filters(channel):
    stub = inventory_stub(channel)
    await create_hotel(stub, "eur-one", "Euro One", {"STD": (2, 5), "DBL": (2, 5)})
    await set_nights(stub, "eur-one", "STD", FIRST, 3, 10000)
    await set_nights(stub, "eur-one", "DBL", FIRST, 3, 11000)
    await create_hotel(stub, "gbp-one", "Pound One", {"STD": (2, 5)}, currency="GBP")
    await set_nights(stub, "gbp-one", "STD", FIRST, 3, 5000, "GBP")
    search = search_stub(channel)
    # The cap is inclusive, per stay and for every room; another currency is left out, not converted.
    cases = [
        (dict(max_total_price=money(30000)), [("eur-one", "STD")]),
        (dict(max_total_price=money(33000)), [("eur-one", "STD"), ("eur-one", "DBL")]),
        (dict(max_total_price=money(29999)), []),
        (dict(max_total_price=money(60000), rooms=2), [("eur-one", "STD")]),
        (dict(max_total_price=money(15000, "GBP")), [("gbp-one", "STD")]),
        (dict(max_total_price=money(10**9, "USD")), []),
        (dict(room_type_codes=["DBL"]), [("eur-one", "DBL")]),
        (dict(room_type_codes=["STD", "NOPE"]), [("gbp-one", "STD"), ("eur-one", "STD")]),
        (dict(room_type_codes=["NOPE"]), []),
        (dict(room_type_codes=["DBL"], max_total_price=money(30000)), []),
        ({}, [("gbp-one", "STD"), ("eur-one", "STD"), ("eur-one", "DBL")]),
    ]
    for fields, expected in cases:
        assert keys(await search.SearchAvailability(search_request(**fields))) == expected, fields
