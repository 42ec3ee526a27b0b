"""The per-property rate limit, injected faults, and the admin API around them."""

from __future__ import annotations

import argparse
import time

import pytest
import pytest_asyncio

from sandbox.partner.catalogue import parse_properties
from sandbox.partner.ratelimit import RateLimiter
from tests.sandbox.partner_helpers import (
    FakeClock,
    avail_message,
    avail_rq,
    day,
    night,
    ota_outcome,
    room,
    start_partner,
)


@pytest_asyncio.fixture
async def clock():
    return FakeClock()


@pytest_asyncio.fixture
async def partner(clock):
    p = await start_partner(protocol="json_rest", requests_per_minute=3, clock=clock)
    yield p
    await p.close()


async def test_over_the_limit_answers_429_with_retry_after_and_applies_nothing(partner, clock):
    for i in range(3):
        clock.now += 10
        assert (await partner.ari("P1", [room("DBL", night(0, available=i))], key=f"k{i}"))[0] == 200
    clock.now += 0.5
    status, body, headers = await partner.ari("P1", [room("DBL", night(0, available=9))], key="k9")
    assert status == 429 and body["error"]["code"] == "RATE_LIMITED"
    assert headers["Retry-After"] == "40"  # the first request (at +10) leaves the window at +70; now +30.5
    assert (await partner.inventory())["P1"]["DBL"][day(0)]["available"] == 2
    assert (await partner.ari("P1", [room("DBL", night(0))], key="k0"))[0] == 429  # replays count too
    assert (await partner.ari("P2", [room("DBL", night(0))], key="p2"))[0] == 200  # per property
    stats = await partner.stats()
    assert (stats["requests"], stats["applied"], stats["rate_limited"]) == (6, 4, 2)
    assert stats["by_property"]["P1"] == {"requests": 5, "applied": 3}
    clock.now += 39.5  # the first request has just left the window
    assert (await partner.ari("P1", [room("DBL", night(0, available=9))], key="k9"))[1]["applied"]
    assert (await partner.ari("P1", [room("DBL", night(0))], key="k10"))[0] == 429


async def test_ota_rate_limit_is_per_hotel_code(clock):
    partner = await start_partner(protocol="ota_xml", requests_per_minute=1, clock=clock)
    try:
        assert ota_outcome((await partner.ota("OTA_HotelAvailNotifRQ", avail_rq("P1", avail_message(0, 0))))[1])[0]
        status, root, headers = await partner.ota("OTA_HotelAvailNotifRQ",
                                                  avail_rq("P1", avail_message(0, 0, limit="7"), echo="K2:avail"))
        assert status == 429 and headers["Retry-After"] == "60"
        assert ota_outcome(root)[2] == ["RATE_LIMITED"]
        assert (await partner.inventory())["P1"]["DBL"][day(0)]["available"] == 3
    finally:
        await partner.close()


def test_retry_after_is_whole_seconds_and_at_least_one():
    clock = FakeClock()
    limiter = RateLimiter(2, clock)
    assert limiter.admit("P1") is None and limiter.admit("P1") is None
    clock.now += 59.9
    assert limiter.admit("P1") == 1  # 0.1 s left, rounded up
    clock.now += 0.1
    assert limiter.admit("P1") is None  # exactly 60 s later the first has left
    assert RateLimiter(0, clock).admit("P1") is None  # 0: no limit


async def _faults(partner, **faults) -> tuple[int, dict]:
    return await partner.post("/admin/faults", faults)


async def test_outage_refuses_ari_but_not_health_or_admin(partner):
    assert (await _faults(partner, outage=True))[0] == 200
    status, body, headers = await partner.ari("P1", [room("DBL", night(0))])
    assert status == 503 and body["error"]["fault"] == "outage" and headers["Retry-After"] == "1"
    assert await partner.inventory() == {}
    assert (await partner.get("/health"))[0] == 200
    await _faults(partner, outage=False)
    status, body, _ = await partner.ari("P1", [room("DBL", night(0))])
    assert body == {"applied": True, "nights": 1}  # the faulted try did nothing: same key, first attempt
    stats = await partner.stats()
    assert (stats["requests"], stats["faulted"], stats["applied"]) == (2, 1, 1)


async def test_error_rate_answers_500_and_503(partner):
    await _faults(partner, error_rate=1.0)
    statuses = {(await partner.ari("P1", [room("DBL", night(0))], key=f"k{i}"))[0] for i in range(40)}
    assert statuses == {500, 503}
    assert (await partner.stats())["faulted"] == 40 and await partner.inventory() == {}


async def test_force_429_uses_the_retry_after_set(partner):
    status, body = await _faults(partner, force_429=True, retry_after_seconds=7)
    assert status == 200 and body["force_429"] and body["retry_after_seconds"] == 7
    status, body, headers = await partner.ari("P1", [room("DBL", night(0))])
    assert status == 429 and headers["Retry-After"] == "7" and body["error"]["fault"] == "force_429"
    logged = (await partner.get("/admin/requests"))[1]["requests"][-1]
    assert (logged["outcome"], logged["reason"], logged["property_code"]) == ("faulted", "force_429", "P1")


async def test_timeout_hangs_then_answers_504(partner):
    await _faults(partner, timeout_rate=1.0, timeout_seconds=0.3)
    started = time.monotonic()
    status, body, _ = await partner.ari("P1", [room("DBL", night(0))])
    assert status == 504 and body["error"]["fault"] == "timeout_rate"
    assert time.monotonic() - started >= 0.3


async def test_latency_is_applied_but_not_to_admin(partner):
    await _faults(partner, latency_ms=200)
    started = time.monotonic()
    assert (await partner.ari("P1", [room("DBL", night(0))]))[0] == 200
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    await partner.get("/admin/stats")
    assert time.monotonic() - started < 0.2


async def test_fault_settings_are_validated_and_partial(partner):
    for bad in ({"error_rate": 1.5}, {"timeout_rate": -0.1}, {"retry_after_seconds": 0},
                {"force_429": "yes"}, {"eror_rate": 0.1}, {"latency_ms": 10, "timeout_seconds": 601}):
        status, body = await _faults(partner, **bad)
        assert status == 400 and body["error"]["code"] == "INVALID_REQUEST", bad
    status, body = await _faults(partner, timeout_rate=0.25)
    assert status == 200 and body == {"latency_ms": 0, "error_rate": 0.0, "outage": False, "timeout_rate": 0.25,
                                      "timeout_seconds": 30.0, "force_429": False, "retry_after_seconds": 1}
    assert (await partner.get("/admin/faults"))[1] == body


async def test_reset_forgets_everything_but_faults(partner):
    await partner.ari("P1", [room("DBL", night(0))], key="a")
    await _faults(partner, latency_ms=1)
    assert (await partner.post("/admin/reset"))[0] == 200
    assert await partner.inventory() == {}
    assert (await partner.stats())["requests"] == 0
    assert (await partner.get("/admin/requests"))[1]["requests"] == []
    assert (await partner.get("/admin/faults"))[1]["latency_ms"] == 1
    assert (await partner.ari("P1", [room("DBL", night(0))], key="a"))[1]["applied"]  # the key is forgotten


def test_properties_flag():
    assert parse_properties("PROP1:DBL,TWN;PROP2:STD") == {"PROP1": frozenset({"DBL", "TWN"}),
                                                           "PROP2": frozenset({"STD"})}
    for bad in ("PROP1", "PROP1:", "PROP 1:DBL", "P1:DBL;P1:TWN", ""):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_properties(bad)
