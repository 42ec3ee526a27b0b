"""Deliveries: every ARI change of a listed hotel merges into the one open delivery per (partner, hotel);
RetryDelivery sends a parked one again; SyncListing pushes a window of nights."""

from __future__ import annotations

import grpc
from hotelagg.common.v1 import common_pb2
from hotelagg.inventory.v1 import inventory_pb2 as inv
from hotelagg.partner.v1 import partner_pb2 as pb

from tests.api.helpers import days_ahead, fails, make_hotel, money, pb_date, request_id, update_request
from tests.api.partner_helpers import (
    HOTEL,
    OPERATOR,
    as_partner,
    count,
    create_listing,
    create_partner,
    first_attempt_failed,
    listed_hotel,
    open_deliveries,
    reservation,
    rows,
    set_delivery,
)


async def _open(db, partner_id: str = "acme"):
    [delivery] = await open_deliveries(db, partner_id)
    assert delivery.status in ("pending", "retrying", "parked")
    return delivery


async def test_every_change_merges_into_the_one_open_delivery(channel, db):
    listed = await listed_hotel(channel)
    opened = await _open(db)
    assert (opened.change_count, opened.window_start, opened.window_end) == (0, days_ahead(0), days_ahead(365))

    await listed.inventory.UpdateInventory(update_request(start=400, nights=3, hotel_id=HOTEL, price=money(9000)))
    merged = await _open(db)
    assert merged.id == opened.id
    assert (merged.change_count, merged.window_start, merged.window_end) == (1, days_ahead(0), days_ahead(403))

    await listed.inventory.HoldInventory(inv.HoldInventoryRequest(
        request_id=request_id(), hotel_id=HOTEL, room_type_code="STD", check_in=pb_date(days_ahead(5)),
        check_out=pb_date(days_ahead(7)), quantity=1))
    assert ((await _open(db)).id, (await _open(db)).change_count) == (opened.id, 2)

    await listed.notify(reservation(check_in=10, nights=2))
    assert ((await _open(db)).id, (await _open(db)).change_count) == (opened.id, 3)
    # A modification gives back one stay and takes another: two changes.
    await listed.notify(reservation(revision=2, status=pb.RESERVATION_STATUS_MODIFIED, check_in=12, nights=2))
    latest = await _open(db)
    assert (latest.id, latest.change_count, latest.window_end) == (opened.id, 5, days_ahead(403))
    assert await count(db, "deliveries") == 1


async def test_each_partner_listing_the_hotel_gets_its_own_delivery(channel, db):
    listed = await listed_hotel(channel)
    await create_partner(listed.stub, "other")
    await create_listing(listed.stub, partner_id="other", property_code="X", room_code="Y")
    await create_partner(listed.stub, "idle")
    await create_listing(listed.stub, partner_id="idle", property_code="X", room_code="Y", active=False)
    await listed.inventory.UpdateInventory(update_request(start=3, nights=1, hotel_id=HOTEL, price=money(9100)))
    assert [(await _open(db, p)).change_count for p in ("acme", "other")] == [1, 1]
    assert await open_deliveries(db, "idle") == []
    # Changes of a hotel nobody lists make no delivery.
    await make_hotel(listed.inventory, "unlisted")
    await listed.inventory.UpdateInventory(update_request(start=3, nights=1, hotel_id="unlisted", price=money(1)))
    assert await count(db, "deliveries") == 2


async def test_a_change_rearms_a_parked_delivery(channel, db):
    listed = await listed_hotel(channel)
    await first_attempt_failed(db)
    parked = await _open(db)
    await set_delivery(db, parked.id, status="parked", attempt_count=4)
    outbox = await count(db, "outbox")
    await listed.inventory.UpdateInventory(update_request(start=3, nights=1, hotel_id=HOTEL, price=money(9100)))
    rearmed = await _open(db)
    assert rearmed.id == parked.id and rearmed.status != "parked"
    assert await count(db, "outbox") == outbox + 1


async def test_retry_delivery(channel, db):
    listed = await listed_hotel(channel)
    await first_attempt_failed(db)
    delivery = await _open(db)
    assert delivery.status == "retrying"
    refused = await fails(listed.stub.RetryDelivery(pb.RetryDeliveryRequest(
        request_id=request_id(), delivery_id=delivery.id), metadata=OPERATOR))
    assert (refused.code, refused.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "DELIVERY_NOT_PARKED")

    await set_delivery(db, delivery.id, status="parked", attempt_count=4, last_error="gave up")
    messages = await count(db, "outbox", topic="partner.delivery")
    retried = await listed.stub.RetryDelivery(pb.RetryDeliveryRequest(
        request_id=request_id(), delivery_id=delivery.id), metadata=OPERATOR)
    assert (retried.delivery.delivery_id, retried.delivery.status, retried.delivery.attempt_count) == (
        delivery.id, pb.DELIVERY_STATUS_PENDING, 0)
    assert await count(db, "outbox", topic="partner.delivery") == messages + 1
    newest = max(await rows(db, "outbox", topic="partner.delivery"), key=lambda m: m.id)
    assert newest.payload["delivery_id"] == delivery.id

    for bad in ("", "not-a-uuid"):
        refused = await fails(listed.stub.RetryDelivery(pb.RetryDeliveryRequest(
            request_id=request_id(), delivery_id=bad), metadata=OPERATOR))
        assert refused.fields == ["delivery_id"]
    refused = await fails(listed.stub.RetryDelivery(pb.RetryDeliveryRequest(
        request_id=request_id(), delivery_id="00000000-0000-0000-0000-000000000000"), metadata=OPERATOR))
    assert (refused.code, refused.reason) == (grpc.StatusCode.NOT_FOUND, "DELIVERY_NOT_FOUND")


async def test_list_deliveries_by_status(channel, db):
    listed = await listed_hotel(channel)
    await first_attempt_failed(db)
    delivery = await _open(db)
    await set_delivery(db, delivery.id, status="parked")
    found = await listed.stub.ListDeliveries(pb.ListDeliveriesRequest(
        statuses=[pb.DELIVERY_STATUS_PARKED]), metadata=listed.auth)
    assert [(d.delivery_id, d.status, d.hotel_id) for d in found.deliveries] == [
        (delivery.id, pb.DELIVERY_STATUS_PARKED, HOTEL)]
    none = await listed.stub.ListDeliveries(pb.ListDeliveriesRequest(
        statuses=[pb.DELIVERY_STATUS_DELIVERED, pb.DELIVERY_STATUS_PENDING]), metadata=OPERATOR)
    assert list(none.deliveries) == []


def _sync(listing_id: str, start: int | None = None, end: int | None = None, **dates) -> pb.SyncListingRequest:
    request = pb.SyncListingRequest(request_id=request_id(), listing_id=listing_id, **dates)
    if start is not None:
        request.start_date.CopyFrom(pb_date(days_ahead(start)))
    if end is not None:
        request.end_date.CopyFrom(pb_date(days_ahead(end)))
    return request


async def test_sync_listing_widens_the_open_delivery(channel, db):
    listed = await listed_hotel(channel)
    opened = await _open(db)
    synced = await listed.stub.SyncListing(_sync(listed.listing.listing_id, 300, 666), metadata=listed.auth)
    assert (synced.delivery.delivery_id, synced.delivery.partner_id, synced.delivery.hotel_id) == (
        opened.id, "acme", HOTEL)
    row = await _open(db)
    assert (row.window_start, row.window_end, row.change_count) == (days_ahead(0), days_ahead(666), 0)
    # Only a start: a year from it.
    await listed.stub.SyncListing(_sync(listed.listing.listing_id, 400), metadata=OPERATOR)
    assert (await _open(db)).window_end == days_ahead(765)
    assert await count(db, "deliveries") == 1


async def test_sync_listing_refuses_bad_windows_and_inactive_listings(channel, db):
    listed = await listed_hotel(channel)
    listing_id = listed.listing.listing_id
    cases = [
        (_sync(listing_id, 20, 10), ["end_date"]),
        (_sync(listing_id, 20, 20), ["end_date"]),
        (_sync(listing_id, 0, 367), ["end_date"]),
        (_sync(listing_id, end=400), ["end_date"]),  # from today
        (_sync(listing_id, start_date=common_pb2.Date(year=2030, month=13, day=1)), ["start_date"]),
        (_sync("not-a-listing", 0, 10), ["listing_id"]),
    ]
    before = await _open(db)
    for request, fields in cases:
        refused = await fails(listed.stub.SyncListing(request, metadata=listed.auth))
        assert (refused.code, refused.fields) == (grpc.StatusCode.INVALID_ARGUMENT, fields), request
    assert (await _open(db)).window_end == before.window_end
    await listed.stub.SyncListing(_sync(listing_id, 0, 366), metadata=listed.auth)  # 366 nights: the most

    other = await create_partner(listed.stub, "other")
    idle = await create_listing(listed.stub, partner_id="other", property_code="X", room_code="Y", active=False)
    refused = await fails(listed.stub.SyncListing(_sync(idle.listing_id), metadata=as_partner(other.api_key)))
    assert (refused.code, refused.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "LISTING_INACTIVE")
    missing = await fails(listed.stub.SyncListing(_sync("00000000-0000-0000-0000-000000000000"), metadata=OPERATOR))
    assert (missing.code, missing.reason) == (grpc.StatusCode.NOT_FOUND, "LISTING_NOT_FOUND")
    assert await open_deliveries(db, "other") == []
