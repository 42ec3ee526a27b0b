"""What every caller sees whatever the RPC: RPCs not built yet say so, and every answer carries a request id.

Every InventoryService RPC is built now; Search, Booking and Partner are not yet."""

import grpc
import pytest
from hotelagg.inventory.v1 import inventory_pb2 as inv
from hotelagg.partner.v1 import partner_pb2, partner_pb2_grpc

from tests.api.helpers import fails, inventory_stub, make_hotel

REQUEST_ID = "x-request-id"
NOT_BUILT = [
    *[(partner_pb2, partner_pb2_grpc.PartnerServiceStub, "PartnerService", name)
      for name in ("CreatePartner", "GetPartner", "ListPartners", "CreateListing", "ListListings",
                   "NotifyReservation", "ListDeliveries", "RetryDelivery", "SyncListing")],
]


def test_every_rpc_of_the_unbuilt_services_is_listed():
    listed = {(module.DESCRIPTOR.package, name) for module, _, _, name in NOT_BUILT}
    for module in (partner_pb2,):
        for service in module.DESCRIPTOR.services_by_name.values():
            assert {(module.DESCRIPTOR.package, m.name) for m in service.methods} <= listed


@pytest.mark.parametrize(
    "module, stub_class, service, rpc", NOT_BUILT, ids=[f"{service}.{rpc}" for _, _, service, rpc in NOT_BUILT]
)
async def test_rpc_not_built_yet_answers_unimplemented(channel, module, stub_class, service, rpc):
    method = module.DESCRIPTOR.services_by_name[service].methods_by_name[rpc]
    request = getattr(module, method.input_type.name)()
    error = await fails(getattr(stub_class(channel), rpc)(request))
    assert (error.code, error.reason) == (grpc.StatusCode.UNIMPLEMENTED, "NOT_IMPLEMENTED")
    assert error.domain == module.DESCRIPTOR.package
    assert error.metadata == {"rpc": rpc}


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


async def test_unbuilt_rpc_carries_the_request_id(channel):
    call = partner_pb2_grpc.PartnerServiceStub(channel).GetPartner(
        partner_pb2.GetPartnerRequest(), metadata=((REQUEST_ID, "trace-partner"),)
    )
    assert (await fails(call)).code == grpc.StatusCode.UNIMPLEMENTED
    assert dict(await call.trailing_metadata())[REQUEST_ID] == "trace-partner"
