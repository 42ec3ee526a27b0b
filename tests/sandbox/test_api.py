"""The channel manager's public API over real HTTP: ARI, reservations, restrictions, idempotency."""

from __future__ import annotations

import asyncio

from tests.sandbox.helpers import day


async def test_health_needs_no_key_but_the_api_does(cm):
    status, body = await cm.call("GET", "/health", headers={"X-Api-Key": ""})
    assert (status, body) == (200, {"status": "ok"})
    status, body = await cm.call("GET", "/hotels", headers={"X-Api-Key": "wrong"})
    assert status == 401 and body["error"] == "unauthorized"


async def test_unknown_route_is_a_json_error(cm):
    status, body = await cm.get("/nope")
    assert status == 404 and body["error"] == "not_found"


async def test_hotels_lists_room_types(cm):
    await cm.add_hotel("T-1", {"STD": 5, "DLX": 2})
    status, body = await cm.get("/hotels")
    assert status == 200
    [hotel] = body["hotels"]
    assert hotel["hotel_code"] == "T-1" and hotel["currency"] == "EUR"
    assert [(rt["code"], rt["total"]) for rt in hotel["room_types"]] == [("STD", 5), ("DLX", 2)]


async def test_ari_read_is_end_exclusive_and_filters_room_types(cm):
    await cm.add_hotel("T-1", {"STD": 5, "DLX": 2}, price=12300)
    status, body = await cm.get("/hotels/T-1/ari", start=day(2), end=day(5))
    assert status == 200
    assert body["hotel_code"] == "T-1" and body["currency"] == "EUR" and body["sequence"] == 2
    std, dlx = body["room_types"]
    assert [n["date"] for n in std["nights"]] == [day(2), day(3), day(4)]
    assert std["nights"][0] == {
        "date": day(2), "total": 5, "available": 5, "price_minor": 12300,
        "restrictions": {"min_stay": 0, "max_stay": 0, "closed_to_arrival": False,
                         "closed_to_departure": False, "stop_sell": False},
    }
    assert dlx["code"] == "DLX" and dlx["nights"][0]["total"] == 2
    _, only = await cm.get("/hotels/T-1/ari", start=day(0), end=day(1), room_type="DLX")
    assert [rt["code"] for rt in only["room_types"]] == ["DLX"]


async def test_ari_refusals_name_the_problem(cm):
    await cm.add_hotel()
    status, body = await cm.get("/hotels/NOPE/ari", start=day(0), end=day(1))
    assert status == 404 and body["error"] == "unknown_hotel"
    status, body = await cm.get("/hotels/T-1/ari", start=day(0), end=day(1), room_type="XXX")
    assert status == 404 and body["error"] == "unknown_room_type"
    status, body = await cm.get("/hotels/T-1/ari", start="2030-13-01", end=day(1))
    assert status == 400 and body["field"] == "start"
    status, body = await cm.get("/hotels/T-1/ari", start=day(0), end=day(401))
    assert status == 400 and body["field"] == "end"


async def test_reserve_holds_rooms_and_emits_one_delta_per_night(cm):
    await cm.add_hotel()
    status, body = await cm.reserve(1, 3, rooms=2, hold_seconds=600)
    assert status == 201
    assert body["status"] == "held" and body["reservation_id"].startswith("r-")
    assert body["rooms"] == 2 and body["check_in"] == day(1) and body["channel"] == "hotelagg"
    assert body["expires_at"].endswith("Z") and body["total_price_minor"] == 2 * 2 * 10000
    assert await cm.available(end=4) == [5, 3, 3, 5]
    deltas = [e["delta"] for e in (await cm.changes(since=1))["events"]]
    assert [(d["date"], d["available_change"], d["channel"]) for d in deltas] == [
        (day(1), -2, "hotelagg"), (day(2), -2, "hotelagg")]
    assert {d["reservation_id"] for d in deltas} == {body["reservation_id"]}


async def test_reserve_is_all_or_nothing(cm):
    await cm.add_hotel(totals={"STD": 2})
    assert (await cm.reserve(3, 4, rooms=2))[0] == 201  # night 3 is now sold out
    before = await cm.changes()
    status, body = await cm.reserve(1, 5, rooms=1)
    assert status == 409 and body["error"] == "sold_out" and body["date"] == day(3)
    assert await cm.available(end=6) == [2, 2, 2, 0, 2, 2]
    assert (await cm.changes())["latest"] == before["latest"]
    status, body = await cm.reserve(8, 12)  # nights 10 and 11 were never loaded
    assert status == 409 and body["error"] == "sold_out" and body["date"] == day(10)


async def test_reserve_validation_names_the_field(cm):
    await cm.add_hotel()
    cases = [({"rooms": 0}, "rooms"), ({"check_in": "2030-01-32"}, "check_in"),
             ({"check_out": day(0)}, "check_out"), ({"channel": "ebay"}, "channel"),
             ({"hold_seconds": "900"}, "hold_seconds"), ({"rooms": True}, "rooms")]
    for change, field in cases:
        body = {"hotel_code": "T-1", "room_type_code": "STD", "check_in": day(0), "check_out": day(1),
                "rooms": 1, **change}
        status, answer = await cm.post("/reservations", body)
        assert (status, answer["error"], answer["field"]) == (400, "bad_request", field), change
    status, answer = await cm.post("/reservations", {"hotel_code": "T-1"})
    assert status == 400 and answer["field"] == "room_type_code"
    assert (await cm.reserve(hotel="NOPE"))[1]["error"] == "unknown_hotel"
    assert (await cm.reserve(room_type="NOPE"))[1]["error"] == "unknown_room_type"


async def _restrict(cm, offset: int, **restrictions) -> None:
    status, body = await cm.post("/admin/ari", {"hotel_code": "T-1", "room_type_code": "STD",
                                                "nights": [{"date": day(offset), "restrictions": restrictions}]})
    assert status == 200, body


async def test_restrictions(cm):
    await cm.add_hotel()
    await _restrict(cm, 2, closed_to_arrival=True)
    await _restrict(cm, 4, min_stay=3)
    await _restrict(cm, 6, max_stay=1, stop_sell=False)
    await _restrict(cm, 8, closed_to_departure=True)
    await _restrict(cm, 3, stop_sell=True)
    expected = [((2, 3), day(2), "closed_to_arrival"), ((1, 4), day(3), "stop_sell"),
                ((4, 6), day(4), "min_stay"), ((6, 8), day(6), "max_stay"),
                ((7, 8), day(8), "closed_to_departure")]
    for (check_in, check_out), date, restriction in expected:
        status, body = await cm.reserve(check_in, check_out)
        assert (status, body["error"], body["date"], body["restriction"]) == (409, "restricted", date, restriction)
    for check_in, check_out in [(1, 2), (4, 7), (6, 7), (8, 9), (7, 9)]:  # what the rules allow
        assert (await cm.reserve(check_in, check_out))[0] == 201, (check_in, check_out)
    assert (await cm.reserve(9, 10))[0] == 201  # check-out night not loaded: nothing forbids departing


async def test_confirm_cancel_and_their_refusals(cm):
    await cm.add_hotel()
    _, held = await cm.reserve(0, 2)
    rid = held["reservation_id"]
    status, body = await cm.post(f"/reservations/{rid}/confirm")
    assert (status, body["reservation_id"], body["status"]) == (200, rid, "confirmed")
    assert (await cm.get(f"/reservations/{rid}"))[1]["status"] == "confirmed"
    assert (await cm.post(f"/reservations/{rid}/cancel"))[1]["status"] == "cancelled"
    assert (await cm.post(f"/reservations/{rid}/cancel"))[:1] == (200,)  # cancelling again is fine
    status, body = await cm.post(f"/reservations/{rid}/confirm")
    assert status == 409 and body["error"] == "cancelled"
    assert await cm.available(end=2) == [5, 5]
    status, body = await cm.post("/reservations/r-nope/confirm")
    assert status == 404 and body["error"] == "unknown_reservation"


async def test_same_idempotency_key_gives_the_first_answer(cm):
    await cm.add_hotel()
    first = await cm.reserve(0, 2, key="k-1")
    again = await cm.reserve(0, 2, key="k-1")
    other_body = await cm.reserve(5, 6, rooms=3, key="k-1")  # a different body still replays
    assert first == again == other_body
    assert len(cm.state.reservations) == 1 and await cm.available(end=2) == [4, 4]
    rid = first[1]["reservation_id"]
    for action in ("confirm", "cancel"):
        answers = [await cm.post(f"/reservations/{rid}/{action}", key="k-1") for _ in range(3)]
        assert all(a == answers[0] for a in answers) and answers[0][0] == 200
    # the key remembered the confirm answer even though the reservation is cancelled now
    assert (await cm.post(f"/reservations/{rid}/confirm", key="k-1"))[1]["status"] == "confirmed"
    assert (await cm.post(f"/reservations/{rid}/confirm", key="k-2"))[1]["error"] == "cancelled"


async def test_refusals_are_remembered_but_malformed_requests_are_not(cm):
    await cm.add_hotel(totals={"STD": 1})
    _, held = await cm.reserve(0, 1)
    sold_out = await cm.reserve(0, 1, key="k-9")
    assert sold_out[0] == 409
    await cm.post(f"/reservations/{held['reservation_id']}/cancel")  # the room is free again
    assert await cm.reserve(0, 1, key="k-9") == sold_out  # still the first answer
    assert (await cm.reserve(0, 1, rooms=0, key="k-10"))[0] == 400
    assert (await cm.reserve(0, 1, key="k-10"))[0] == 201  # the corrected retry is a first attempt


async def test_concurrent_reserves_never_oversell(cm):
    await cm.add_hotel(totals={"STD": 5})
    results = await asyncio.gather(*(cm.reserve(0, 3, key=f"c-{i}") for i in range(50)))
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 5 and statuses.count(409) == 45
    assert await cm.available(end=3) == [0, 0, 0]


async def test_lapsed_holds_expire_and_give_rooms_back(cm):
    await cm.add_hotel()
    _, held = await cm.reserve(0, 2, rooms=2, hold_seconds=1)
    rid, seq = held["reservation_id"], (await cm.changes())["latest"]
    assert await cm.available(end=2) == [3, 3]
    for _ in range(40):  # expires_at is rounded up to a whole second: at most 2 s, plus a sweep
        await asyncio.sleep(0.1)
        if (await cm.changes(since=seq))["events"]:
            break
    assert await cm.available(end=2) == [5, 5]
    deltas = [e["delta"] for e in (await cm.changes(since=seq))["events"]]
    assert [(d["date"], d["available_change"], d["reservation_id"]) for d in deltas] == [
        (day(0), 2, rid), (day(1), 2, rid)]
    assert (await cm.get(f"/reservations/{rid}"))[1]["status"] == "expired"
    status, body = await cm.post(f"/reservations/{rid}/confirm")
    assert status == 409 and body["error"] == "hold_expired"
    assert (await cm.post(f"/reservations/{rid}/cancel"))[1]["status"] == "expired"


async def test_change_feed_is_contiguous_and_pages_with_since(cm):
    await cm.add_hotel(totals={"STD": 5, "DLX": 2})
    for i in range(4):
        await cm.reserve(i, i + 2)
    feed = await cm.changes()
    sequences = [e["sequence"] for e in feed["events"]]
    assert sequences == list(range(1, 11)) and feed["latest"] == 10
    assert [e["type"] for e in feed["events"][:2]] == ["snapshot", "snapshot"]
    assert len({e["event_id"] for e in feed["events"]}) == 10
    page = await cm.changes(since=6, limit=3)
    assert [e["sequence"] for e in page["events"]] == [7, 8, 9] and page["latest"] == 10
    assert (await cm.changes(since=10))["events"] == []
    status, body = await cm.get("/hotels/T-1/changes", limit=0)
    assert status == 400 and body["field"] == "limit"


async def test_admin_ari_snapshot_keeps_rooms_sold(cm):
    await cm.add_hotel(totals={"STD": 5})
    await cm.reserve(0, 1, rooms=2)
    status, body = await cm.post("/admin/ari", {"hotel_code": "T-1", "room_type_code": "STD", "nights": [
        {"date": day(0), "total": 8, "price_minor": 9900},
        {"date": day(1), "total": 8, "available": 1, "price_minor": 9900},
    ]})
    assert status == 200 and body["sequence"] == 3  # snapshot, delta, snapshot
    assert await cm.available(end=2) == [6, 1]
    [event] = (await cm.changes(since=2))["events"]
    assert event["type"] == "snapshot" and event["snapshot"]["room_type_code"] == "STD"
    assert [n["available"] for n in event["snapshot"]["nights"]] == [6, 1]
    status, body = await cm.post("/admin/ari", {"hotel_code": "T-1", "room_type_code": "STD",
                                                "nights": [{"date": day(0), "available": 9}]})
    assert status == 400 and body["field"] == "nights[0].available"
