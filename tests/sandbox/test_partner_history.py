"""GET /admin/history (opt-in, --keep-history): when each field of a stored night took a new value."""

from __future__ import annotations

import time

from sandbox.partner.__main__ import config_from, parse_args
from tests.sandbox.partner_helpers import day, night, rate_message, rates_rq, room, start_partner


async def test_history_keeps_new_values_with_their_wall_clock_time():
    partner = await start_partner(protocol="json_rest", requests_per_minute=0, keep_history=True)
    try:
        before = time.time()
        await partner.ari("P1", [room("DBL", night(0, available=3, price=12000))], key="a")
        await partner.ari("P1", [room("DBL", night(0, available=3, price=13000))], key="b")  # only the price
        await partner.ari("P1", [room("DBL", night(0, available=3, price=13000))], key="c")  # nothing new
        await partner.ari("P1", [room("DBL", night(0, available=3, price=99))], key="a")  # a replay
        status, body = await partner.get("/admin/history")
        assert status == 200 and body["keeping"]
        history = body["history"]
        first = [h for h in history if h["value"] != 13000]
        assert {h["field"] for h in first} == {"available", "price_minor", "currency", "min_stay", "max_stay",
                                               "closed_to_arrival", "closed_to_departure", "stop_sell"}
        assert history[-1] == {"time": history[-1]["time"], "property_code": "P1", "room_code": "DBL",
                               "date": day(0), "field": "price_minor", "value": 13000}
        assert len(history) == 9
        assert before <= history[0]["time"] <= history[-1]["time"] <= time.time()
        await partner.post("/admin/reset")
        assert (await partner.get("/admin/history"))[1]["history"] == []
    finally:
        await partner.close()


async def test_ota_rates_are_kept_and_history_is_off_by_default():
    partner = await start_partner(protocol="ota_xml", requests_per_minute=0, keep_history=True)
    quiet = await start_partner(protocol="json_rest", requests_per_minute=0)
    try:
        status, _, _ = await partner.ota("OTA_HotelRateAmountNotifRQ", rates_rq("P1", rate_message(0, 1, "15000")))
        assert status == 200
        prices = [(h["date"], h["value"]) for h in (await partner.get("/admin/history"))[1]["history"]
                  if h["field"] == "price_minor"]
        assert prices == [(day(0), 15000), (day(1), 15000)]
        await quiet.ari("P1", [room("DBL", night(0))])
        assert (await quiet.get("/admin/history"))[1] == {"keeping": False, "history": []}
    finally:
        await partner.close()
        await quiet.close()


def test_the_flag_turns_it_on():
    assert config_from(parse_args(["--protocol", "json_rest", "--keep-history"])).keep_history
    assert not config_from(parse_args(["--protocol", "json_rest"])).keep_history
