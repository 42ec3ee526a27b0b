from grpc_health.v1 import health_pb2, health_pb2_grpc
from hotelagg.inventory.v1 import inventory_pb2 as inv

from tests.api.helpers import inventory_stub, make_hotel


async def test_every_service_reports_serving(channel):
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "hotelagg.inventory.v1.InventoryService", "hotelagg.search.v1.SearchService",
                    "hotelagg.booking.v1.BookingService", "hotelagg.partner.v1.PartnerService"):
        reply = await health.Check(health_pb2.HealthCheckRequest(service=service))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING, service


async def test_created_hotel_is_listed_with_its_room_type(channel):
    stub = inventory_stub(channel)
    await make_hotel(stub, "smoke-hotel")
    listed = await stub.ListHotels(inv.ListHotelsRequest())
    assert [h.hotel_id for h in listed.hotels] == ["smoke-hotel"]
    assert [rt.code for rt in listed.hotels[0].room_types] == ["STD"]
