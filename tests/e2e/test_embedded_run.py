import hashlib
import json
import sqlite3
import time
import urllib.request
from datetime import datetime, timedelta, timezone

import grpc
import pytest
from grpc_health.v1 import health_pb2
from hotelagg.common.v1 import common_pb2
from hotelagg.inventory.v1 import inventory_pb2 as inv
from hotelagg.inventory.v1 import inventory_pb2_grpc

from tests.e2e.process import ServerProcess, clean_env, free_port

SERVICES = ["hotelagg.inventory.v1.InventoryService", "hotelagg.search.v1.SearchService",
            "hotelagg.booking.v1.BookingService", "hotelagg.partner.v1.PartnerService"]
GRACE_SECONDS = 3
# One worker takes the module (make test's --dist loadgroup), so the `embedded` run starts once, not on
# every worker that gets one of its tests (10 s each under load).
pytestmark = pytest.mark.xdist_group("embedded-run")


def start_run(workdir) -> ServerProcess:
    """`python -m servers run` with its database and its sandboxes' logs in `workdir` (not the shared var/,
    where runs on other pytest-xdist workers would write into the same files)."""
    port = free_port()
    env = clean_env(database_url=f"sqlite+aiosqlite:///{workdir / 'hotelagg.db'}", port=str(port),
                    sandbox_log_dir=str(workdir),
                    shutdown_grace_seconds=str(GRACE_SECONDS), webhook_port=str(free_port()),
                    sandbox_port=str(free_port()), sandbox_payments_port=str(free_port()),
                    sandbox_json_partner_port=str(free_port()), sandbox_ota_partner_port=str(free_port()))
    server = ServerProcess(["run"], workdir, port, env)
    server.env = env
    server.partner_urls = [f"http://127.0.0.1:{env[f'HOTELAGG_SANDBOX_{kind}_PARTNER_PORT']}"
                           for kind in ("JSON", "OTA")]
    return server


def admin(url: str, method: str = "GET", body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


def pb_date(value) -> common_pb2.Date:
    return common_pb2.Date(year=value.year, month=value.month, day=value.day)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    with start_run(tmp_path_factory.mktemp("embedded")) as server:
        server.wait_serving()
        yield server


def test_run_migrates_seeds_and_serves_every_service(embedded):
    assert "seeded 24 demo hotels" in embedded.stdout()
    assert f"on 127.0.0.1:{embedded.port}" in embedded.stdout()
    for service in SERVICES:
        assert embedded.health(service) == health_pb2.HealthCheckResponse.SERVING, service


def test_list_hotels_pages_through_the_28_demo_hotels_with_3_room_types_each(embedded):
    stub = inventory_pb2_grpc.InventoryServiceStub(embedded.channel)
    pages, token = [], ""
    while True:
        page = stub.ListHotels(inv.ListHotelsRequest(page_size=7, page_token=token), timeout=10)
        pages.append(page.hotels)
        token = page.next_page_token
        if not token:
            break
    assert [len(p) for p in pages] == [7, 7, 7, 7]
    ids = [h.hotel_id for p in pages for h in p]
    # 24 direct hotels and the sandbox channel manager's 4 in Rome
    assert ids == sorted(set(ids)) and len(ids) == 28
    assert sum(h.HasField("channel_manager") for p in pages for h in p) == 4
    for hotel in (h for p in pages for h in p):
        assert sorted(rt.code for rt in hotel.room_types) == ["DLX", "FAM", "STD"], hotel.hotel_id
    assert len({h.city for p in pages for h in p}) >= 4


def test_availability_of_a_demo_hotel_is_a_year_of_priced_nights(embedded):
    stub = inventory_pb2_grpc.InventoryServiceStub(embedded.channel)
    today = datetime.now(timezone.utc).date()
    reply = stub.GetAvailability(inv.GetAvailabilityRequest(
        hotel_id="paris-grand-central", start_date=pb_date(today), end_date=pb_date(today + timedelta(days=366)),
    ), timeout=10)
    assert [rt.room_type_code for rt in reply.room_types] == ["DLX", "FAM", "STD"]
    for room_type in reply.room_types:
        assert 364 <= len(room_type.nights) <= 365, room_type.room_type_code
        assert all(n.price.currency_code == "EUR" and n.price.amount_minor > 0 for n in room_type.nights)
        assert all(n.available_rooms == n.total_rooms > 0 for n in room_type.nights)
        assert room_type.etag


def test_mirrored_hotel_is_loaded_from_the_sandbox_channel_manager(embedded):
    stub = inventory_pb2_grpc.InventoryServiceStub(embedded.channel)
    today = datetime.now(timezone.utc).date()
    request = inv.GetAvailabilityRequest(hotel_id="rome-colosseo", room_type_code="STD", start_date=pb_date(today),
                                         end_date=pb_date(today + timedelta(days=30)))
    deadline = time.monotonic() + 20
    nights = []
    while time.monotonic() < deadline and len(nights) < 30:
        nights = stub.GetAvailability(request, timeout=10).room_types[0].nights
        time.sleep(0.2)
    assert len(nights) == 30
    assert all(n.total_rooms == 12 and n.price.amount_minor > 0 for n in nights)


def test_sandbox_partners_get_the_lisbon_hotels_and_sell_them_back(embedded):
    deadline = time.monotonic() + 30
    stored = [{}, {}]
    while time.monotonic() < deadline and not all(len(s) == 2 for s in stored):
        stored = [admin(url + "/admin/inventory")["properties"] for url in embedded.partner_urls]
        time.sleep(0.3)
    assert [sorted(s) for s in stored] == [["SANDBOX-JSON-1", "SANDBOX-JSON-2"], ["SANDBOX-OTA-1", "SANDBOX-OTA-2"]]
    assert all(len(rooms["DBL"]) >= 365 for s in stored for rooms in s.values())
    _sell_through_sandbox_partners(embedded, datetime.now(timezone.utc).date() + timedelta(days=20))


def _sell_through_sandbox_partners(server, day) -> None:
    for url, code in zip(server.partner_urls, ("SANDBOX-JSON-1", "SANDBOX-OTA-1"), strict=True):
        sold = admin(url + "/admin/reservations", "POST", dict(
            property_code=code, room_code="DBL", check_in=day.isoformat(),
            check_out=(day + timedelta(days=2)).isoformat(), rooms=1, guests=2, guest_name="Ada Lovelace",
            total_minor=22000, currency="EUR"))
        assert sold["notified"] and sold["booking_id"] and not sold["over_capacity"], sold


def test_a_restart_on_the_same_database_keeps_the_demo_partners_and_their_keys(tmp_path):
    with start_run(tmp_path) as first:
        first.wait_serving()
        assert first.terminate(timeout=GRACE_SECONDS + 2) == 0
    # Same database, ports and keys: the partners exist already and are left alone, not created twice.
    with ServerProcess(["run"], tmp_path, first.port, first.env) as again:
        again.partner_urls = first.partner_urls
        again.wait_serving()
        _sell_through_sandbox_partners(again, datetime.now(timezone.utc).date() + timedelta(days=30))
        assert again.terminate(timeout=GRACE_SECONDS + 2) == 0
    with sqlite3.connect(tmp_path / "hotelagg.db") as conn:
        stored = conn.execute("SELECT id, protocol, api_key_hash, api_key_prefix FROM partners ORDER BY id").fetchall()
        listed = conn.execute("SELECT partner_id, count(*) FROM listings GROUP BY partner_id ORDER BY 1").fetchall()
    keys = {"sandbox-json": "hpk_demo-sandbox-json-partner-key", "sandbox-ota": "hpk_demo-sandbox-ota-partner-key"}
    assert stored == [(pid, protocol, hashlib.sha256(keys[pid].encode()).hexdigest(), keys[pid][:10])
                      for pid, protocol in (("sandbox-json", "json_rest"), ("sandbox-ota", "ota_xml"))]
    assert listed == [("sandbox-json", 4), ("sandbox-ota", 4)]


def test_sigterm_exits_zero_within_the_grace_period_and_logs_shutting_down(tmp_path):
    with start_run(tmp_path) as server:
        server.wait_serving()
        stub = inventory_pb2_grpc.InventoryServiceStub(server.channel)
        assert len(stub.ListHotels(inv.ListHotelsRequest(page_size=100), timeout=10).hotels) == 28
        started = time.monotonic()
        assert server.terminate(timeout=GRACE_SECONDS + 2) == 0
        assert time.monotonic() - started < GRACE_SECONDS + 2
        entries = server.log_entries()
        with pytest.raises(grpc.RpcError):
            server.health(timeout=1)
    shutting_down = [e for e in entries if e["message"] == "shutting down"]
    assert len(shutting_down) == 1
    assert shutting_down[0]["grace_seconds"] == GRACE_SECONDS
    assert shutting_down[0]["level"] == "INFO"
