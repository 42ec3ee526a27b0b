"""Who may call PartnerService: operators (bearer token) and partners (API key), each only where they
belong, a partner only about itself, and a partner only as often as its inbound rate allows."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2, status_pb2
from hotelagg.partner.v1 import partner_pb2 as pb

from tests.api.helpers import fails, request_id
from tests.api.partner_helpers import (
    OPERATOR,
    as_partner,
    count,
    create_listing,
    create_partner,
    listed_hotel,
    listing_request,
    partner_stub,
    reservation,
)


def _calls(stub, metadata):
    """One call of every RPC, with the metadata given."""
    return {
        "CreatePartner": lambda: stub.CreatePartner(pb.CreatePartnerRequest(
            request_id=request_id(), partner_id="someone", partner=pb.Partner(name="x")), metadata=metadata),
        "GetPartner": lambda: stub.GetPartner(pb.GetPartnerRequest(partner_id="acme"), metadata=metadata),
        "ListPartners": lambda: stub.ListPartners(pb.ListPartnersRequest(), metadata=metadata),
        "CreateListing": lambda: stub.CreateListing(listing_request(), metadata=metadata),
        "ListListings": lambda: stub.ListListings(pb.ListListingsRequest(), metadata=metadata),
        "NotifyReservation": lambda: stub.NotifyReservation(pb.NotifyReservationRequest(
            request_id=request_id(), reservation=reservation()), metadata=metadata),
        "ListDeliveries": lambda: stub.ListDeliveries(pb.ListDeliveriesRequest(), metadata=metadata),
        "RetryDelivery": lambda: stub.RetryDelivery(pb.RetryDeliveryRequest(
            request_id=request_id(), delivery_id="00000000-0000-0000-0000-000000000000"), metadata=metadata),
        "SyncListing": lambda: stub.SyncListing(pb.SyncListingRequest(
            request_id=request_id(), listing_id="00000000-0000-0000-0000-000000000000"), metadata=metadata),
    }


async def test_every_rpc_needs_credentials(channel, db):
    stub = partner_stub(channel)
    await create_partner(stub)
    for name, call in _calls(stub, ()).items():
        refused = await fails(call())
        assert (refused.code, refused.reason) == (grpc.StatusCode.UNAUTHENTICATED, "CREDENTIALS_REQUIRED"), name


async def test_bad_credentials_are_refused(channel, db):
    stub = partner_stub(channel)
    created = await create_partner(stub)
    bad = [
        (("authorization", "Bearer not-the-operator-token"),),
        (("authorization", "Basic aG90ZWxhZ2ctZGV2LW9wZXJhdG9yLXRva2Vu"),),
        (("authorization", "Bearer hotelagg-dev-operator-token"[:-1]),),
        as_partner("hpk_unknown-key"),
        as_partner(created.api_key + "x"),
    ]
    for metadata in bad:
        for name, call in _calls(stub, metadata).items():
            refused = await fails(call())
            assert (refused.code, refused.reason) == (grpc.StatusCode.UNAUTHENTICATED, "BAD_CREDENTIALS"), \
                (name, metadata)


async def test_partners_may_not_call_admin_rpcs(channel, db):
    stub = partner_stub(channel)
    created = await create_partner(stub)
    calls = _calls(stub, as_partner(created.api_key))
    for name in ("CreatePartner", "CreateListing", "RetryDelivery"):
        refused = await fails(calls[name]())
        assert (refused.code, refused.reason) == (grpc.StatusCode.PERMISSION_DENIED, "OPERATOR_ONLY"), name
    assert [p.partner_id for p in (await stub.ListPartners(pb.ListPartnersRequest(), metadata=OPERATOR)).partners] \
        == ["acme"]


async def test_operators_do_not_notify_reservations(channel, db):
    stub = partner_stub(channel)
    refused = await fails(_calls(stub, OPERATOR)["NotifyReservation"]())
    assert (refused.code, refused.reason) == (grpc.StatusCode.PERMISSION_DENIED, "PARTNER_ONLY")


async def test_a_partner_sees_only_itself(channel, db):
    listed = await listed_hotel(channel)
    other = await create_partner(listed.stub, "other")
    theirs = await create_listing(listed.stub, partner_id="other", property_code="X1", room_code="X1")
    mine, stub = as_partner(listed.api_key), listed.stub

    assert (await stub.GetPartner(pb.GetPartnerRequest(partner_id="acme"), metadata=mine)).partner.partner_id == "acme"
    refused = await fails(stub.GetPartner(pb.GetPartnerRequest(partner_id="other"), metadata=mine))
    assert (refused.code, refused.reason) == (grpc.StatusCode.NOT_FOUND, "PARTNER_NOT_FOUND")
    # Exactly like a partner that does not exist.
    missing = await fails(stub.GetPartner(pb.GetPartnerRequest(partner_id="nobody"), metadata=mine))
    assert (missing.code, missing.reason) == (grpc.StatusCode.NOT_FOUND, "PARTNER_NOT_FOUND")

    listed_partners = await stub.ListPartners(pb.ListPartnersRequest(), metadata=mine)
    assert [p.partner_id for p in listed_partners.partners] == ["acme"]
    assert [item.listing_id for item in (await stub.ListListings(pb.ListListingsRequest(), metadata=mine)).listings] \
        == [listed.listing.listing_id]
    refused = await fails(stub.ListListings(pb.ListListingsRequest(partner_id="other"), metadata=mine))
    assert (refused.code, refused.reason) == (grpc.StatusCode.NOT_FOUND, "PARTNER_NOT_FOUND")

    assert {d.partner_id for d in (await stub.ListDeliveries(pb.ListDeliveriesRequest(), metadata=mine)).deliveries} \
        == {"acme"}
    refused = await fails(stub.ListDeliveries(pb.ListDeliveriesRequest(partner_id="other"), metadata=mine))
    assert (refused.code, refused.reason) == (grpc.StatusCode.NOT_FOUND, "PARTNER_NOT_FOUND")

    refused = await fails(stub.SyncListing(pb.SyncListingRequest(
        request_id=request_id(), listing_id=theirs.listing_id), metadata=mine))
    assert (refused.code, refused.reason) == (grpc.StatusCode.NOT_FOUND, "LISTING_NOT_FOUND")
    # The other partner syncs its own listing, and an operator any.
    for metadata in (as_partner(other.api_key), OPERATOR):
        synced = await stub.SyncListing(pb.SyncListingRequest(
            request_id=request_id(), listing_id=theirs.listing_id), metadata=metadata)
        assert (synced.delivery.partner_id, synced.delivery.hotel_id) == ("other", "test-hotel")


async def test_partner_cannot_book_another_partners_listing(channel, db):
    listed = await listed_hotel(channel)
    other = await create_partner(listed.stub, "other")
    # The other partner uses acme's codes: it has no listing under them.
    refused = await fails(listed.stub.NotifyReservation(pb.NotifyReservationRequest(
        request_id=request_id(), reservation=reservation()), metadata=as_partner(other.api_key)))
    assert (refused.code, refused.reason) == (grpc.StatusCode.NOT_FOUND, "LISTING_NOT_FOUND")


async def test_inbound_rate_limit(channel, db):
    stub = partner_stub(channel)
    created = await create_partner(stub, rate_limit=pb.RateLimit(inbound_requests_per_minute=2))
    mine = as_partner(created.api_key)
    for _ in range(2):
        await stub.GetPartner(pb.GetPartnerRequest(partner_id="acme"), metadata=mine)
    try:
        await stub.GetPartner(pb.GetPartnerRequest(partner_id="acme"), metadata=mine)
    except grpc.aio.AioRpcError as error:
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        raw = dict(error.trailing_metadata())["grpc-status-details-bin"]
        details = status_pb2.Status.FromString(raw).details
    else:
        raise AssertionError("the third call within a minute went through")
    info, retry, quota = (error_details_pb2.ErrorInfo(), error_details_pb2.RetryInfo(),
                          error_details_pb2.QuotaFailure())
    kinds = {info.DESCRIPTOR: info, retry.DESCRIPTOR: retry, quota.DESCRIPTOR: quota}
    for detail in details:
        for descriptor, target in kinds.items():
            if detail.Is(descriptor):
                detail.Unpack(target)
    assert info.reason == "RATE_LIMITED"
    assert 0 < retry.retry_delay.ToTimedelta().total_seconds() <= 30
    assert [v.subject for v in quota.violations] == ["partner:acme"]
    # Another partner has a budget of its own; the operator none at all.
    other = await create_partner(stub, "other")
    await stub.GetPartner(pb.GetPartnerRequest(partner_id="other"), metadata=as_partner(other.api_key))
    for _ in range(3):
        await stub.GetPartner(pb.GetPartnerRequest(partner_id="acme"), metadata=OPERATOR)


async def test_rate_limit_counts_every_rpc_of_the_partner(channel, db):
    listed = await listed_hotel(channel, rate_limit=pb.RateLimit(inbound_requests_per_minute=2))
    await listed.notify(reservation())
    await listed.stub.ListListings(pb.ListListingsRequest(), metadata=listed.auth)
    refused = await fails(listed.notify(reservation("R-2", check_in=12)))
    assert (refused.code, refused.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMITED")
    assert await count(db, "bookings") == 1  # the refused one was never recorded
