"""Selling rooms: local inventory taken and given back, and hotelagg told over gRPC (json_rest),
with background retries after transient failures and permanent refusals recorded."""

from __future__ import annotations

import asyncio
import random

import pytest_asyncio
from google.rpc import code_pb2
from hotelagg.partner.v1 import partner_pb2

from sandbox.partner.plumbing import NOTIFIER
from sandbox.partner.seller import Seller
from tests.sandbox.partner_helpers import (
    FakePartnerService,
    day,
    eventually,
    night,
    room,
    rpc_error,
    start_partner,
    stay,
)


@pytest_asyncio.fixture
async def hotelagg():
    service = FakePartnerService()
    await service.start()
    yield service
    await service.stop()


@pytest_asyncio.fixture
async def partner(hotelagg):
    p = await start_partner(protocol="json_rest", api_key="key-123", hotelagg_target=hotelagg.target,
                            requests_per_minute=0)
    await p.ari("P1", [room("DBL", night(0, available=3), night(1, available=1), night(2, available=5))])
    yield p
    await p.close()


async def _available(partner) -> list[int]:
    nights = (await partner.inventory())["P1"]["DBL"]
    return [nights[day(i)]["available"] for i in range(3)]


async def test_a_sale_takes_rooms_and_notifies_hotelagg(partner, hotelagg):
    status, body = await partner.post("/admin/reservations", stay(reservation_id="R1", rooms=2))
    assert status == 201
    assert body == {"reservation_id": "R1", "revision": 1, "status": "BOOKED", "notified": True,
                    "booking_id": "B-R1", "over_capacity": False, "error": None}
    assert await _available(partner) == [1, 0, 5]  # 3-2, and 1 can only give 1 (never below 0)
    request, metadata, _ = hotelagg.calls[0]
    assert metadata["x-api-key"] == "key-123" and request.request_id == "R1:1"
    r = request.reservation
    assert (r.partner_reservation_id, r.revision, r.status) == ("R1", 1, partner_pb2.RESERVATION_STATUS_BOOKED)
    assert (r.partner_property_code, r.partner_room_code, r.rooms, r.guests, r.guest_name) == (
        "P1", "DBL", 2, 2, "Ada Lovelace")
    assert (r.check_in.year, r.check_in.month, r.check_in.day, r.check_out.day) == (2030, 1, 1, 3)
    assert (r.total_amount.currency_code, r.total_amount.amount_minor) == ("EUR", 24000)
    notify = (await partner.reservation("R1"))["notify"]
    assert (notify["state"], notify["attempts"], notify["booking_id"]) == ("accepted", 1, "B-R1")


async def test_modify_and_cancel_move_the_rooms_and_grow_the_revision(partner, hotelagg):
    await partner.post("/admin/reservations", stay(reservation_id="R1", rooms=2))
    status, body = await partner.post("/admin/reservations/R1/modify", {"check_in": day(1), "check_out": day(3),
                                                                       "rooms": 1})
    assert status == 200 and (body["revision"], body["status"], body["notified"]) == (2, "MODIFIED", True)
    assert await _available(partner) == [3, 0, 4]  # night 1 got its 1 back, then 1 was taken again
    status, body = await partner.post("/admin/reservations/R1/cancel")
    assert status == 200 and (body["revision"], body["status"], body["notified"]) == (3, "CANCELLED", True)
    assert await _available(partner) == [3, 1, 5]
    assert [c[0].request_id for c in hotelagg.calls] == ["R1:1", "R1:2", "R1:3"]
    assert hotelagg.calls[2][0].reservation.status == partner_pb2.RESERVATION_STATUS_CANCELLED
    assert hotelagg.calls[1][0].reservation.check_in.day == 2
    status, body = await partner.post("/admin/reservations/R1/cancel")
    assert status == 409 and body["error"]["code"] == "CANCELLED"


async def test_a_stay_on_nights_it_does_not_store_is_still_sold(partner, hotelagg):
    status, body = await partner.post("/admin/reservations", stay(room_code="TWN"))
    assert status == 201 and body["notified"] and body["reservation_id"].startswith("PR-")
    assert "TWN" not in (await partner.inventory())["P1"]


async def test_over_capacity_is_reported(partner, hotelagg):
    hotelagg.over_capacity = True
    _, body = await partner.post("/admin/reservations", stay(reservation_id="R1"))
    assert body["over_capacity"] is True
    assert (await partner.reservation("R1"))["notify"]["over_capacity"] is True


async def test_a_transient_failure_is_retried_in_the_background_honouring_retry_info(partner, hotelagg):
    hotelagg.failures = [rpc_error(code_pb2.UNAVAILABLE, "PARTNER_BUSY", "try later", retry_after=0.25),
                         rpc_error(code_pb2.RESOURCE_EXHAUSTED, "RATE_LIMITED", "slow down")]
    status, body = await partner.post("/admin/reservations", stay(reservation_id="R1"))
    assert status == 201 and body["notified"] is False and body["booking_id"] is None
    assert body["error"] == {"code": "UNAVAILABLE", "reason": "PARTNER_BUSY", "message": "try later"}
    pending = (await partner.reservation("R1"))["notify"]
    assert (pending["state"], pending["attempts"]) == ("pending", 1)

    async def accepted() -> bool:
        return (await partner.reservation("R1"))["notify"]["state"] == "accepted"

    await eventually(accepted)
    notify = (await partner.reservation("R1"))["notify"]
    assert (notify["attempts"], notify["booking_id"]) == (3, "B-R1")
    assert notify["last_error"]["reason"] == "RATE_LIMITED"
    assert hotelagg.calls[1][2] - hotelagg.calls[0][2] >= 0.25  # waited as RetryInfo asked
    assert {c[0].request_id for c in hotelagg.calls} == {"R1:1"}  # the same request every time
    assert hotelagg.calls[0][0] == hotelagg.calls[2][0]


async def test_a_permanent_refusal_is_recorded_and_not_retried(partner, hotelagg):
    hotelagg.failures = [rpc_error(code_pb2.NOT_FOUND, "UNKNOWN_LISTING", "no listing P1/DBL")]
    _, body = await partner.post("/admin/reservations", stay(reservation_id="R1"))
    assert body["notified"] is False and body["error"]["code"] == "NOT_FOUND"
    assert body["error"]["reason"] == "UNKNOWN_LISTING"
    _, listing = await partner.get("/admin/reservations")
    notify = listing["reservations"][0]["notify"]
    assert (notify["state"], notify["attempts"], notify["last_error"]["code"]) == ("refused", 1, "NOT_FOUND")
    assert partner.runner.app[NOTIFIER].pending() == 0
    await asyncio.sleep(0.3)  # several retry delays of FAST_RETRY
    assert len(hotelagg.calls) == 1


async def test_a_newer_revision_supersedes_the_retries_of_the_older(partner, hotelagg):
    hotelagg.failures = [rpc_error(code_pb2.UNAVAILABLE, "BUSY", "later", retry_after=0.3)]
    await partner.post("/admin/reservations", stay(reservation_id="R1"))
    _, body = await partner.post("/admin/reservations/R1/cancel")
    assert body["notified"] and body["revision"] == 2

    assert partner.runner.app[NOTIFIER].pending() == 0
    await asyncio.sleep(0.5)  # past the 0.3 s R1:1 would have waited
    assert [c[0].request_id for c in hotelagg.calls] == ["R1:1", "R1:2"]  # R1:1 was never sent again
    assert (await partner.reservation("R1"))["notify"] == {
        "revision": 2, "state": "accepted", "attempts": 1, "booking_id": "B-R1", "over_capacity": False,
        "last_error": None}


async def test_reservation_bodies_are_validated(partner, hotelagg):
    for bad, field in ((stay(rooms=0), "rooms"), (stay(check_out=day(0)), "check_out"),
                       (stay(currency="eur"), "currency"), ({**stay(), "colour": "red"}, "colour"),
                       ({k: v for k, v in stay().items() if k != "guest_name"}, "guest_name")):
        status, body = await partner.post("/admin/reservations", bad)
        assert status == 400 and body["error"]["field"] == field
    assert (await partner.post("/admin/reservations", stay(reservation_id="R1")))[0] == 201
    assert (await partner.post("/admin/reservations", stay(reservation_id="R1")))[0] == 409
    assert (await partner.post("/admin/reservations/R1/modify", {}))[0] == 400
    assert (await partner.post("/admin/reservations/R9/cancel"))[0] == 404
    assert len(hotelagg.calls) == 1


async def test_the_seller_sells_only_sellable_stored_nights(partner, hotelagg):
    await partner.ari("P1", [room("DBL", night(0, stop_sell=True), night(1, price=None), night(2, available=5)),
                             room("TWN", night(0, available=0))], key="only-night-2")
    seller = Seller(partner.state, partner.runner.app[NOTIFIER], rate=0, rng=random.Random(7))
    for _ in range(5):
        reservation = await seller.sell_one()
        assert (reservation.stay.room_code, reservation.stay.check_in.isoformat()) == ("DBL", day(2))
        assert reservation.stay.total_minor == 12000  # only night 2 of the stay is stored and priced
    assert (await partner.inventory())["P1"]["DBL"][day(2)]["available"] == 0
    assert await seller.sell_one() is None  # sold out
    assert len(hotelagg.calls) == 5 and all(r["notify"]["state"] == "accepted"
                                            for r in (await partner.get("/admin/reservations"))[1]["reservations"])


async def test_a_sell_rate_sells_in_the_background(hotelagg):
    partner = await start_partner(protocol="json_rest", hotelagg_target=hotelagg.target, sell_rate=50.0,
                                  random_seed=3)
    try:
        await partner.ari("P1", [room("DBL", night(0, available=100))])

        async def sold() -> bool:
            return len(hotelagg.calls) >= 3

        await eventually(sold)
        assert sum(n["available"] for n in (await partner.inventory())["P1"]["DBL"].values()) < 100
    finally:
        await partner.close()
