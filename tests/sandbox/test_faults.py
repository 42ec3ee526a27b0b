"""API fault injection: outage, error rate, latency; admin and health stay reachable."""

from __future__ import annotations

import time


async def _faults(cm, **faults) -> tuple[int, dict]:
    return await cm.post("/admin/faults", faults)


async def test_outage_answers_503_then_recovers(cm):
    await cm.add_hotel()
    assert (await _faults(cm, outage=True))[0] == 200
    status, body = await cm.get("/hotels")
    assert status == 503 and body["error"] == "unavailable" and body["fault"] == "outage"
    assert (await cm.reserve())[0] == 503
    assert len(cm.state.reservations) == 0  # a refused request did nothing
    assert (await cm.get("/health"))[0] == 200 and (await cm.get("/admin/stats"))[0] == 200
    await _faults(cm, outage=False)
    assert (await cm.get("/hotels"))[0] == 200


async def test_error_rate_one_fails_every_request(cm):
    await cm.add_hotel()
    await _faults(cm, error_rate=1.0)
    for _ in range(5):
        status, body = await cm.get("/hotels")
        assert status == 503 and body["fault"] == "error_rate"
    await _faults(cm, error_rate=0.5)
    statuses = [(await cm.get("/hotels"))[0] for _ in range(60)]
    assert 0 < statuses.count(503) < 60 and set(statuses) == {200, 503}


async def test_latency_is_applied(cm):
    await _faults(cm, latency_ms=150)
    started = time.monotonic()
    assert (await cm.get("/hotels"))[0] == 200
    assert time.monotonic() - started >= 0.15
    started = time.monotonic()
    await cm.get("/health")  # exempt
    assert time.monotonic() - started < 0.15


async def test_fault_settings_are_validated_and_partial(cm):
    status, body = await _faults(cm, error_rate=1.5)
    assert status == 400 and body["field"] == "error_rate"
    status, body = await _faults(cm, latency_ms=10, webhook_drop_rate=2)
    assert status == 400 and body["field"] == "webhook_drop_rate"
    status, body = await _faults(cm, eror_rate=0.1)
    assert status == 400 and body["field"] == "eror_rate"
    assert (await cm.get("/admin/faults"))[1]["latency_ms"] == 0  # a refused update changed nothing
    status, body = await _faults(cm, webhook_reorder_rate=0.25)
    assert status == 200 and body == {"latency_ms": 0, "error_rate": 0.0, "outage": False,
                                      "webhook_drop_rate": 0.0, "webhook_duplicate_rate": 0.0,
                                      "webhook_reorder_rate": 0.25}
