"""Simulated Expedia / Booking.com demand: it sells, cancels, never oversells, and shows in the feed."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from sandbox.channel_manager.model import ACTIVE


async def test_competitors_sell_without_overselling_and_the_feed_adds_up(cm):
    await cm.add_hotel("T-1", {"STD": 4, "DLX": 2}, nights=8)
    await cm.add_hotel("T-2", {"STD": 3}, nights=8)
    _, before = await cm.get("/hotels/T-1/ari", start="2030-01-01", end="2030-01-09")
    status, settings = await cm.post("/admin/competitors", {"rate_per_second": 50, "cancel_ratio": 0.3})
    assert status == 200 and settings["rate_per_second"] == 50.0
    await asyncio.sleep(1.0)
    await cm.post("/admin/competitors", {"rate_per_second": 0})
    await asyncio.sleep(0.05)  # let a tick in flight finish

    _, stats = await cm.get("/admin/stats")
    sold = stats["reservations"]
    assert set(sold) <= {"expedia", "booking_com"} and sum(sold.get("expedia", {}).values()) > 0
    made = sum(n for by_status in sold.values() for n in by_status.values())
    assert made >= 20, stats  # 50/s for 1 s, minus what the small hotels could not take
    assert any("cancelled" in by_status for by_status in sold.values())
    _assert_never_oversold(cm.state)

    _, after = await cm.get("/hotels/T-1/ari", start="2030-01-01", end="2030-01-09")
    feed = await cm.changes("T-1", since=before["sequence"])
    assert feed["latest"] == after["sequence"]
    expected = {(rt["code"], n["date"]): n["available"] for rt in before["room_types"] for n in rt["nights"]}
    for event in feed["events"]:
        d = event["delta"]
        expected[(d["room_type_code"], d["date"])] += d["available_change"]
    actual = {(rt["code"], n["date"]): n["available"] for rt in after["room_types"] for n in rt["nights"]}
    assert expected == actual


def _assert_never_oversold(state) -> None:
    taken: dict[tuple, int] = defaultdict(int)
    for res in state.reservations.values():
        if res.status in ACTIVE:
            for night in res.request.nights:
                taken[(res.request.hotel_code, res.request.room_type_code, night)] += res.request.rooms
    for (hotel, room_type, night), rooms in taken.items():
        n = state.hotels[hotel].room_types[room_type].nights[night]
        assert rooms <= n.total and n.available == n.total - rooms, (hotel, room_type, night)


async def test_competitor_settings_are_validated(cm):
    await cm.add_hotel()
    status, body = await cm.post("/admin/competitors", {"cancel_ratio": 1.2})
    assert status == 400 and body["field"] == "cancel_ratio"
    status, body = await cm.post("/admin/competitors", {"hotel_codes": ["NOPE"]})
    assert status == 400 and body["field"] == "hotel_codes"
    status, body = await cm.post("/admin/competitors", {"hotel_codes": ["T-1"]})
    assert status == 200 and body == {"rate_per_second": 0.0, "cancel_ratio": 0.2, "hotel_codes": ["T-1"]}
