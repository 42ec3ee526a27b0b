"""json_rest ARI receipt: nights stored as sent, replays, strict validation, the property list."""

from __future__ import annotations

import pytest_asyncio

from tests.sandbox.partner_helpers import day, night, room, start_partner


@pytest_asyncio.fixture
async def partner():
    p = await start_partner(protocol="json_rest", requests_per_minute=0)
    yield p
    await p.close()


@pytest_asyncio.fixture
async def listed():
    p = await start_partner(protocol="json_rest", properties={"P1": frozenset({"DBL", "TWN"})})
    yield p
    await p.close()


async def test_nights_are_stored_as_sent(partner):
    status, body, _ = await partner.ari("P1", [
        room("DBL", night(0, available=3, price=12000, min_stay=2, max_stay=7, closed_to_departure=True),
             night(1, available=0, price=None, stop_sell=True)),
        room("TWN", night(0, available=5, price=9000), currency="USD"),
    ])
    assert (status, body) == (200, {"applied": True, "nights": 3})
    stored = await partner.inventory()
    assert stored["P1"]["DBL"][day(0)] == {
        "available": 3, "price_minor": 12000, "currency": "EUR", "min_stay": 2, "max_stay": 7,
        "closed_to_arrival": False, "closed_to_departure": True, "stop_sell": False}
    assert stored["P1"]["DBL"][day(1)]["price_minor"] is None and stored["P1"]["DBL"][day(1)]["stop_sell"]
    assert stored["P1"]["TWN"][day(0)]["currency"] == "USD" and stored["P1"]["TWN"][day(0)]["available"] == 5


async def test_a_newer_update_overwrites_and_a_replay_changes_nothing(partner):
    assert (await partner.ari("P1", [room("DBL", night(0, available=3))], key="a"))[1]["applied"]
    assert (await partner.ari("P1", [room("DBL", night(0, available=1, price=15000))], key="b"))[1]["applied"]
    status, body, _ = await partner.ari("P1", [room("DBL", night(0, available=9))], key="a")
    assert (status, body) == (200, {"applied": False, "nights": 1})
    assert (await partner.inventory())["P1"]["DBL"][day(0)]["available"] == 1  # still the newer "b"
    stats = await partner.stats()
    assert (stats["requests"], stats["applied"], stats["replays"]) == (3, 2, 1)
    assert stats["by_property"] == {"P1": {"requests": 3, "applied": 2}}


async def _refused(partner, rooms, key="k", property_code="P1", headers=None) -> str:
    status, body, _ = await partner.ari(property_code, rooms, key=key, headers=headers)
    assert status == 400, body
    assert body["error"]["code"] == "INVALID_REQUEST"
    return body["error"]["field"]


async def test_malformed_bodies_and_keys_are_refused_and_change_nothing(partner):
    good = [room("DBL", night(0))]
    assert await _refused(partner, good, key=None) == "Idempotency-Key"
    assert await _refused(partner, good, key="x" * 201) == "Idempotency-Key"
    assert await _refused(partner, []) == "rooms"
    assert await _refused(partner, [room("DBL")]) == "rooms[0].nights"
    assert await _refused(partner, [room("DBL", night(0), currency="eur")]) == "rooms[0].currency"
    assert await _refused(partner, [room("DBL", night(0, available=-1))]) == "rooms[0].nights[0].available"
    assert await _refused(partner, [room("DBL", night(0, available=True))]) == "rooms[0].nights[0].available"
    assert await _refused(partner, [room("DBL", night(0, price=1.5))]) == "rooms[0].nights[0].price_minor"
    assert await _refused(partner, [room("DBL", {**night(0), "date": "20300101"})]) == "rooms[0].nights[0].date"
    assert await _refused(partner, [room("DBL", {**night(0), "date": "2030-02-30"})]) == "rooms[0].nights[0].date"
    missing = {k: v for k, v in night(0).items() if k != "stop_sell"}
    assert await _refused(partner, [room("DBL", missing)]) == "rooms[0].nights[0].stop_sell"
    assert await _refused(partner, [room("DBL", night(0, min_stay=3, max_stay=2))]) == "rooms[0].nights[0].max_stay"
    assert await _refused(partner, [room("DBL", night(0), night(0))]) == "rooms[0].nights[1].date"
    assert await _refused(partner, good, property_code="P 1") == "property_code"
    assert await _refused(partner, good, headers={"Content-Type": "text/plain"}) == "Content-Type"
    assert await partner.inventory() == {}
    stats = await partner.stats()
    assert (stats["requests"], stats["rejected"], stats["applied"]) == (15, 15, 0)


async def test_a_refused_key_is_judged_afresh(partner):
    await _refused(partner, [room("DBL", night(0, available=-1))], key="k")
    status, body, _ = await partner.ari("P1", [room("DBL", night(0, available=2))], key="k")
    assert (status, body) == (200, {"applied": True, "nights": 1})


async def test_unknown_fields_in_the_ari_body_are_ignored(partner):
    status, body, _ = await partner.ari("P1", [{**room("DBL", {**night(0), "rate_plan": "BAR"}), "extra": 1}])
    assert (status, body) == (200, {"applied": True, "nights": 1})


async def test_a_partner_with_a_property_list_refuses_other_codes(listed):
    status, body, _ = await listed.ari("P2", [room("DBL", night(0))], key="a")
    assert status == 404 and body["error"]["code"] == "UNKNOWN_PROPERTY"
    status, body, _ = await listed.ari("P1", [room("DBL", night(0)), room("STD", night(0))], key="b")
    assert status == 404 and body["error"]["code"] == "UNKNOWN_ROOM" and body["error"]["room_code"] == "STD"
    assert await listed.inventory() == {}  # all or nothing: DBL was not applied either
    status, body, _ = await listed.ari("P1", [room("TWN", night(0))], key="b")
    assert (status, body) == (200, {"applied": True, "nights": 1})


async def test_the_request_log_records_each_request(partner):
    await partner.ari("P1", [room("DBL", night(0), night(1))], key="a")
    await partner.ari("P1", [room("DBL", night(0))], key="a")
    await partner.ari("P2", [], key="b")
    status, body = await partner.get("/admin/requests", limit="2")
    assert status == 200
    logged = [(r["property_code"], r["key"], r["message"], r["outcome"], r["nights"], r["status"], r["reason"])
              for r in body["requests"]]
    assert logged == [("P1", "a", "ari", "replay", 2, 200, None),
                      ("P2", "b", "ari", "refused", 0, 400, "INVALID_REQUEST")]
    assert all(isinstance(r["time"], float) for r in body["requests"])
    assert (await partner.get("/admin/requests", limit="0"))[0] == 400
