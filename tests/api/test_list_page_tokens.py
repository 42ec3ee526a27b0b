"""Every list RPC refuses a page token whose position is not what it issued (issue 14, item 16): a token
signed with the default secret (it is in the source) and an odd position is INVALID_ARGUMENT on
page_token, never INTERNAL. ListHotels and SearchAvailability have tests of their own."""

from __future__ import annotations

import grpc
import pytest
from hotelagg.booking.v1 import booking_pb2 as bk
from hotelagg.booking.v1 import booking_pb2_grpc
from hotelagg.partner.v1 import partner_pb2 as pb

from servers.runtime.config import Settings
from servers.runtime.paging import PageTokens
from tests.api.helpers import fails
from tests.api.partner_helpers import OPERATOR, partner_stub

SIGNER = PageTokens(Settings(database_url="sqlite+aiosqlite://").page_token_secret)
NEWEST_FIRST = [5, "x", ["not-a-time", "id"], ["2026-12-04T01:00:00", "id"], [1, 2], ["2026-12-04T01:00:00+00:00"],
                {"created": "x"}, None, True]
LAST_ID = [5, ["a"], {"id": "a"}, True, 1.5]


def _refused(error) -> None:
    assert (error.code, error.reason, error.fields) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD",
                                                        ["page_token"])


@pytest.mark.parametrize("position", NEWEST_FIRST)
async def test_list_bookings(channel, position):
    token = SIGNER.issue("bookings", {"user": "guest-1", "hotel": "", "statuses": []}, position)
    stub = booking_pb2_grpc.BookingServiceStub(channel)
    _refused(await fails(stub.ListBookings(bk.ListBookingsRequest(user_id="guest-1", page_token=token))))


@pytest.mark.parametrize("position", NEWEST_FIRST)
async def test_list_deliveries(channel, position):
    token = SIGNER.issue("deliveries", {"partner": None, "statuses": []}, position)
    call = partner_stub(channel).ListDeliveries(pb.ListDeliveriesRequest(page_token=token), metadata=OPERATOR)
    _refused(await fails(call))


@pytest.mark.parametrize("position", LAST_ID)
@pytest.mark.parametrize("kind", ["partners", "listings"])
async def test_list_partners_and_listings(channel, kind, position):
    stub = partner_stub(channel)
    if kind == "partners":
        token = SIGNER.issue("partners", {"only": None}, position)
        call = stub.ListPartners(pb.ListPartnersRequest(page_token=token), metadata=OPERATOR)
    else:
        token = SIGNER.issue("listings", {"partner": None, "hotel": ""}, position)
        call = stub.ListListings(pb.ListListingsRequest(page_token=token), metadata=OPERATOR)
    _refused(await fails(call))
