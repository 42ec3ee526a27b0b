"""CreatePartner, CreateListing and the lists: what an operator sets up, checked field by field."""

from __future__ import annotations

import hashlib

import grpc
from hotelagg.inventory.v1 import inventory_pb2 as inv
from hotelagg.partner.v1 import partner_pb2 as pb

from tests.api.helpers import days_ahead, fails, inventory_stub, make_hotel, request_id
from tests.api.partner_helpers import (
    HOTEL,
    NOWHERE,
    OPERATOR,
    as_partner,
    count,
    create_listing,
    create_partner,
    listing_request,
    partner_message,
    partner_stub,
    rows,
)


async def test_create_partner_shows_the_key_once_and_stores_only_its_hash(channel, db):
    stub = partner_stub(channel)
    request = pb.CreatePartnerRequest(request_id=request_id(), partner_id="acme", partner=partner_message(
        protocol=pb.PARTNER_PROTOCOL_OTA_XML, rate_limit=pb.RateLimit(requests_per_minute=30,
                                                                      inbound_requests_per_minute=90)))
    created = await stub.CreatePartner(request, metadata=OPERATOR)
    key, partner = created.api_key, created.partner
    assert key.startswith("hpk_") and len(key) > 30
    assert partner.api_key_prefix.startswith("hpk_") and key.startswith(partner.api_key_prefix)
    assert len(partner.api_key_prefix) < len(key)
    assert (partner.partner_id, partner.name, partner.protocol, partner.endpoint_url) == (
        "acme", "Test Partner", pb.PARTNER_PROTOCOL_OTA_XML, NOWHERE)
    assert (partner.rate_limit.requests_per_minute, partner.rate_limit.inbound_requests_per_minute) == (30, 90)
    assert partner.etag and partner.create_time.seconds > 0

    [row] = await rows(db, "partners")
    assert row.api_key_hash == hashlib.sha256(key.encode()).hexdigest()
    for table in ("partners", "idempotency_keys"):
        for stored in await rows(db, table):
            assert all(key not in (value.decode("latin-1") if isinstance(value, bytes) else str(value))
                       for value in stored), table

    replay = await stub.CreatePartner(request, metadata=OPERATOR)
    assert replay.api_key == ""
    assert replay.partner == partner
    assert await count(db, "partners") == 1
    # The key works; the prefix alone does not.
    me = await stub.GetPartner(pb.GetPartnerRequest(partner_id="acme"), metadata=as_partner(key))
    assert me.partner == partner
    refused = await fails(stub.GetPartner(pb.GetPartnerRequest(partner_id="acme"),
                                          metadata=as_partner(partner.api_key_prefix)))
    assert refused.reason == "BAD_CREDENTIALS"


async def test_defaults_and_a_generated_id(channel, db):
    stub = partner_stub(channel)
    created = await stub.CreatePartner(pb.CreatePartnerRequest(request_id=request_id(), partner=partner_message()),
                                       metadata=OPERATOR)
    limits = created.partner.rate_limit
    assert (limits.requests_per_minute, limits.inbound_requests_per_minute) == (60, 600)
    got = await stub.GetPartner(pb.GetPartnerRequest(partner_id=created.partner.partner_id), metadata=OPERATOR)
    assert got.partner == created.partner
    [row] = await rows(db, "partners")
    assert (row.id, row.requests_per_minute, row.inbound_requests_per_minute) == (created.partner.partner_id, 60, 600)


BAD_PARTNERS = [
    (dict(partner_id="A-Upper"), {}, ["partner_id"]),
    (dict(partner_id="ab"), {}, ["partner_id"]),
    (dict(partner_id="-leading"), {}, ["partner_id"]),
    (dict(partner_id="trailing-"), {}, ["partner_id"]),
    (dict(partner_id="x" * 64), {}, ["partner_id"]),
    ({}, dict(name=""), ["partner.name"]),
    ({}, dict(name="   "), ["partner.name"]),
    ({}, dict(name="n" * 201), ["partner.name"]),
    ({}, dict(protocol=pb.PARTNER_PROTOCOL_UNSPECIFIED), ["partner.protocol"]),
    ({}, dict(endpoint_url="ftp://example.com/"), ["partner.endpoint_url"]),
    ({}, dict(endpoint_url="example.com"), ["partner.endpoint_url"]),
    ({}, dict(endpoint_url=""), ["partner.endpoint_url"]),
    ({}, dict(rate_limit=pb.RateLimit(requests_per_minute=-1)), ["partner.rate_limit.requests_per_minute"]),
    ({}, dict(rate_limit=pb.RateLimit(inbound_requests_per_minute=-5)),
     ["partner.rate_limit.inbound_requests_per_minute"]),
    ({}, dict(rate_limit=pb.RateLimit(requests_per_minute=100_001)), ["partner.rate_limit.requests_per_minute"]),
    (dict(partner_id="B"), dict(name="", protocol=0, endpoint_url="nope"),
     ["partner_id", "partner.name", "partner.protocol", "partner.endpoint_url"]),
]


async def test_bad_partners_name_every_field_and_write_nothing(channel, db):
    stub = partner_stub(channel)
    for request_fields, partner_fields, fields in BAD_PARTNERS:
        request = pb.CreatePartnerRequest(request_id=request_id(), **{"partner_id": "acme", **request_fields},
                                          partner=partner_message(**partner_fields))
        refused = await fails(stub.CreatePartner(request, metadata=OPERATOR))
        assert (refused.code, refused.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD"), fields
        assert sorted(refused.fields) == sorted(fields), (request_fields, partner_fields, refused.fields)
    assert (await count(db, "partners"), await count(db, "idempotency_keys")) == (0, 0)


async def test_duplicate_partner_id(channel, db):
    stub = partner_stub(channel)
    first = await create_partner(stub)
    refused = await fails(create_partner(stub, name="Someone Else"))
    assert (refused.code, refused.reason) == (grpc.StatusCode.ALREADY_EXISTS, "PARTNER_EXISTS")
    [row] = await rows(db, "partners")
    assert (row.name, row.api_key_prefix) == ("Test Partner", first.partner.api_key_prefix)


async def test_listing_of_unknown_things_or_channel_managed_hotels(channel, db):
    stub, inventory = partner_stub(channel), inventory_stub(channel)
    await make_hotel(inventory, HOTEL)
    await create_partner(stub)
    cases = [
        (dict(hotel_id="no-such-hotel"), grpc.StatusCode.NOT_FOUND, "ROOM_TYPE_NOT_FOUND"),
        (dict(code="SUITE"), grpc.StatusCode.NOT_FOUND, "ROOM_TYPE_NOT_FOUND"),
        (dict(partner_id="nobody"), grpc.StatusCode.NOT_FOUND, "PARTNER_NOT_FOUND"),
    ]
    await inventory.CreateHotel(inv.CreateHotelRequest(request_id=request_id(), hotel_id="cm-hotel", hotel=inv.Hotel(
        name="Mirrored", city="Rome", country_code="IT", latitude=41.9, longitude=12.5, time_zone="Europe/Rome",
        currency_code="EUR", channel_manager={"channel_manager_id": "sandbox", "base_url": "http://127.0.0.1:9",
                                              "hotel_code": "H1"})))
    await inventory.CreateRoomType(inv.CreateRoomTypeRequest(request_id=request_id(), hotel_id="cm-hotel",
                                   room_type=inv.RoomType(code="STD", name="Standard", max_occupancy=2,
                                                          total_rooms=10)))
    cases.append((dict(hotel_id="cm-hotel"), grpc.StatusCode.FAILED_PRECONDITION, "HOTEL_NOT_DIRECT"))
    for fields, code, reason in cases:
        refused = await fails(stub.CreateListing(listing_request(**fields), metadata=OPERATOR))
        assert (refused.code, refused.reason) == (code, reason), fields
    bad = await fails(stub.CreateListing(listing_request(property_code="", room_code="a b", hotel_id=""),
                                         metadata=OPERATOR))
    assert bad.code == grpc.StatusCode.INVALID_ARGUMENT
    assert sorted(bad.fields) == ["listing.hotel_id", "listing.partner_property_code", "listing.partner_room_code"]
    assert (await count(db, "listings"), await count(db, "deliveries"), await count(db, "outbox")) == (0, 0, 0)


async def test_duplicate_listings(channel, db):
    stub, inventory = partner_stub(channel), inventory_stub(channel)
    await make_hotel(inventory, HOTEL)
    await inventory.CreateRoomType(inv.CreateRoomTypeRequest(request_id=request_id(), hotel_id=HOTEL,
                                   room_type=inv.RoomType(code="DLX", name="Deluxe", max_occupancy=2,
                                                          total_rooms=3)))
    await create_partner(stub)
    await create_partner(stub, "other")
    await create_listing(stub)
    for fields in (dict(room_code="R2"), dict(code="DLX")):  # same room type twice; same codes twice
        refused = await fails(stub.CreateListing(listing_request(**fields), metadata=OPERATOR))
        assert (refused.code, refused.reason) == (grpc.StatusCode.ALREADY_EXISTS, "LISTING_EXISTS"), fields
    # Another partner may list the same room type under the same codes.
    await create_listing(stub, partner_id="other")
    assert await count(db, "listings") == 2


async def test_active_listing_opens_a_full_year_delivery(channel, db):
    stub, inventory = partner_stub(channel), inventory_stub(channel)
    await make_hotel(inventory, HOTEL)
    await create_partner(stub)
    listing = await create_listing(stub)
    assert (listing.partner_id, listing.hotel_id, listing.room_type_code, listing.partner_property_code,
            listing.partner_room_code, listing.active) == ("acme", HOTEL, "STD", "P1", "R1", True)
    [delivery] = await rows(db, "deliveries")
    assert (delivery.partner_id, delivery.hotel_id) == ("acme", HOTEL)
    assert delivery.status in ("pending", "retrying")  # the worker may already be at it
    assert (delivery.window_start, delivery.window_end) == (days_ahead(0), days_ahead(365))
    messages = await rows(db, "outbox", topic="partner.delivery")
    assert [m.payload["delivery_id"] for m in messages][:1] == [delivery.id]
    assert messages[0].message_key == f"partner:acme:hotel:{HOTEL}"


async def test_inactive_listing_sends_nothing(channel, db):
    stub, inventory = partner_stub(channel), inventory_stub(channel)
    await make_hotel(inventory, HOTEL)
    await create_partner(stub)
    listing = await create_listing(stub, active=False)
    assert listing.active is False
    assert (await count(db, "deliveries"), await count(db, "outbox")) == (0, 0)


async def test_lists_page_through_everything(channel, db):
    stub, inventory = partner_stub(channel), inventory_stub(channel)
    ids = [f"partner-{i:02d}" for i in range(7)]
    for partner_id in ids:
        await create_partner(stub, partner_id)
    await make_hotel(inventory, HOTEL)
    await make_hotel(inventory, "second-hotel")
    for partner_id in ids[:5]:
        for hotel in (HOTEL, "second-hotel"):
            await create_listing(stub, partner_id=partner_id, hotel_id=hotel, property_code=hotel)

    async def every(call, request, items) -> list[list]:
        pages, token = [], ""
        while True:
            request.page_token = token
            answer = await call(request, metadata=OPERATOR)
            pages.append(list(getattr(answer, items)))
            token = answer.next_page_token
            if not token:
                return pages

    partner_pages = await every(stub.ListPartners, pb.ListPartnersRequest(page_size=3), "partners")
    assert [len(p) for p in partner_pages] == [3, 3, 1]
    assert [p.partner_id for page in partner_pages for p in page] == ids

    listing_pages = await every(stub.ListListings, pb.ListListingsRequest(page_size=4), "listings")
    assert [len(p) for p in listing_pages] == [4, 4, 2]
    assert len({item.listing_id for page in listing_pages for item in page}) == 10
    by_hotel = await every(stub.ListListings, pb.ListListingsRequest(hotel_id="second-hotel", page_size=2), "listings")
    assert sorted(item.partner_id for page in by_hotel for item in page) == ids[:5]

    delivery_pages = await every(stub.ListDeliveries, pb.ListDeliveriesRequest(page_size=3), "deliveries")
    assert [len(p) for p in delivery_pages] == [3, 3, 3, 1]
    found = [(d.partner_id, d.hotel_id) for page in delivery_pages for d in page]
    assert sorted(found) == sorted((p, h) for p in ids[:5] for h in (HOTEL, "second-hotel"))
    one = await every(stub.ListDeliveries, pb.ListDeliveriesRequest(partner_id="partner-01", page_size=1), "deliveries")
    assert [[d.partner_id for d in page] for page in one] == [["partner-01"], ["partner-01"]]

    # A token carries its filters: reused with others it is refused.
    token = (await stub.ListListings(pb.ListListingsRequest(page_size=4), metadata=OPERATOR)).next_page_token
    refused = await fails(stub.ListListings(pb.ListListingsRequest(page_size=4, page_token=token,
                                                                   hotel_id=HOTEL), metadata=OPERATOR))
    assert refused.code == grpc.StatusCode.INVALID_ARGUMENT
    bad = await fails(stub.ListDeliveries(pb.ListDeliveriesRequest(statuses=[pb.DELIVERY_STATUS_UNSPECIFIED]),
                                          metadata=OPERATOR))
    assert bad.fields == ["statuses[0]"]
