"""What every caller sees whatever the RPC: every answer carries a request id; PartnerService wants credentials."""

import grpc
import pytest
from hotelagg.inventory.v1 import inventory_pb2 as inv
from hotelagg.partner.v1 import partner_pb2, partner_pb2_grpc

from tests.api.helpers import fails, inventory_stub, make_hotel

REQUEST_ID = "x-request-id"
PARTNER_RPCS = [m.name for m in partner_pb2.DESCRIPTOR.services_by_name["PartnerService"].methods]


@pytest.mark.parametrize("rpc", PARTNER_RPCS)
async def test_every_partner_rpc_needs_credentials(channel, rpc):
    method = partner_pb2.DESCRIPTOR.services_by_name["PartnerService"].methods_by_name[rpc]
    request = getattr(partner_pb2, method.input_type.name)()
    error = await fails(getattr(partner_pb2_grpc.PartnerServiceStub(channel), rpc)(request))
    assert (error.code, error.reason) == (grpc.StatusCode.UNAUTHENTICATED, "CREDENTIALS_REQUIRED")
    assert error.domain == "hotelagg.partner.v1"


async def test_request_id_sent_comes_back(channel):
    stub = inventory_stub(channel)
    await make_hotel(stub)
    call = stub.GetHotel(inv.GetHotelRequest(hotel_id="test-hotel"), metadata=((REQUEST_ID, "trace-7f3a"),))
    await call
    assert dict(await call.trailing_metadata())[REQUEST_ID] == "trace-7f3a"


async def test_request_id_comes_back_on_an_error_too(channel):
    call = inventory_stub(channel).GetHotel(inv.GetHotelRequest(hotel_id="ghost-hotel"),
                                            metadata=((REQUEST_ID, "trace-404"),))
    assert (await fails(call)).code == grpc.StatusCode.NOT_FOUND
    assert dict(await call.trailing_metadata())[REQUEST_ID] == "trace-404"


async def test_request_without_an_id_gets_a_new_one_each_time(channel):
    stub = inventory_stub(channel)
    ids = []
    for _ in range(2):
        call = stub.ListHotels(inv.ListHotelsRequest())
        await call
        ids.append(dict(await call.trailing_metadata()).get(REQUEST_ID))
    assert all(ids) and ids[0] != ids[1]


async def test_refused_credentials_carry_the_request_id(channel):
    call = partner_pb2_grpc.PartnerServiceStub(channel).GetPartner(
        partner_pb2.GetPartnerRequest(), metadata=((REQUEST_ID, "trace-partner"),)
    )
    assert (await fails(call)).code == grpc.StatusCode.UNAUTHENTICATED
    assert dict(await call.trailing_metadata())[REQUEST_ID] == "trace-partner"
