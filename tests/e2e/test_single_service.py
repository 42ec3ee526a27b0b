import grpc
import pytest
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase
from hotelagg.booking.v1 import booking_pb2, booking_pb2_grpc
from hotelagg.inventory.v1 import inventory_pb2 as inv
from hotelagg.inventory.v1 import inventory_pb2_grpc
from hotelagg.search.v1 import search_pb2, search_pb2_grpc

from tests.e2e.process import ServerProcess, clean_env, free_port, run_command

# One worker takes the module (make test's --dist loadgroup), so its one served process starts once, not
# on every worker that gets one of these tests (10 s each under load).
pytestmark = pytest.mark.xdist_group("single-service")

INVENTORY = "hotelagg.inventory.v1.InventoryService"
NOT_SERVED = ["hotelagg.search.v1.SearchService", "hotelagg.booking.v1.BookingService",
              "hotelagg.partner.v1.PartnerService"]


@pytest.fixture(scope="module")
def inventory_only(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("inventory-only")
    env = clean_env(database_url=f"sqlite+aiosqlite:///{workdir / 'hotelagg.db'}")
    migrated = run_command(["migrate"], env)
    assert migrated.returncode == 0, migrated.stderr
    port = free_port()
    with ServerProcess(["serve", "--service", "inventory", "--port", str(port)], workdir, port, env) as server:
        server.wait_serving()
        yield server


def test_serve_announces_only_the_inventory_service(inventory_only):
    assert inventory_only.stdout().strip() == f"hotelagg serving inventory on 127.0.0.1:{inventory_only.port}"


def test_health_reports_the_server_and_inventory_serving(inventory_only):
    assert inventory_only.health("") == health_pb2.HealthCheckResponse.SERVING
    assert inventory_only.health(INVENTORY) == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.parametrize("service", NOT_SERVED)
def test_health_of_a_service_not_served_is_not_found(inventory_only, service):
    with pytest.raises(grpc.RpcError) as caught:
        inventory_only.health(service)
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND


def test_inventory_rpcs_answer(inventory_only):
    stub = inventory_pb2_grpc.InventoryServiceStub(inventory_only.channel)
    reply = stub.ListHotels(inv.ListHotelsRequest(), timeout=10)
    assert list(reply.hotels) == [] and reply.next_page_token == ""


def test_calls_to_services_not_served_are_unimplemented(inventory_only):
    search = search_pb2_grpc.SearchServiceStub(inventory_only.channel)
    booking = booking_pb2_grpc.BookingServiceStub(inventory_only.channel)
    for call, request in [(search.SearchAvailability, search_pb2.SearchAvailabilityRequest()),
                          (booking.GetBooking, booking_pb2.GetBookingRequest())]:
        with pytest.raises(grpc.RpcError) as caught:
            call(request, timeout=10)
        assert caught.value.code() is grpc.StatusCode.UNIMPLEMENTED


def test_reflection_lists_only_what_is_served(inventory_only):
    services = set(ProtoReflectionDescriptorDatabase(inventory_only.channel).get_services())
    assert INVENTORY in services and "grpc.health.v1.Health" in services
    assert not services & set(NOT_SERVED)
