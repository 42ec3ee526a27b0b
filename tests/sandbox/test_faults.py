"""API fault injection: outage, error rate, latency, a stalled route; admin and health stay reachable."""

from __future__ import annotations

import asyncio
import time

import pytest


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


STALLED_RESERVE = "POST /reservations"


async def _until(check, what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.01)


async def _stall(cm, when: str, ms: int) -> dict:
    status, body = await _faults(cm, stall={"route": STALLED_RESERVE, "when": when, "ms": ms})
    assert status == 200, body
    return body


async def _reserve_and_give_up(cm) -> None:
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(cm.reserve(key="stalled-1"), timeout=0.1)


async def test_a_stall_before_the_work_leaves_it_undone_when_the_caller_gives_up(cm):
    await cm.add_hotel()
    await _stall(cm, "before", ms=300)
    await _reserve_and_give_up(cm)

    async def dropped() -> bool:
        return (await cm.get("/admin/faults"))[1]["stall"]["dropped"] == 1

    await _until(dropped, "the stalled request was never let through")
    assert len(cm.state.reservations) == 0
    await _faults(cm, stall=None)
    assert "stall" not in (await cm.get("/admin/faults"))[1]
    assert (await cm.reserve(key="stalled-1"))[0] == 201  # the key was never used: a first attempt


async def test_a_stall_after_the_work_has_done_it_and_holds_the_answer_back(cm):
    await cm.add_hotel()
    await _stall(cm, "after", ms=60_000)
    await _reserve_and_give_up(cm)

    async def reserved() -> bool:
        return len(cm.state.reservations) == 1

    await _until(reserved, "the stalled request was not done")
    assert (await cm.get("/admin/faults"))[1]["stall"]["caught"] == 1
    await _faults(cm, stall=None)
    status, body = await cm.reserve(key="stalled-1")  # the stored first answer
    assert status == 201 and body["reservation_id"] in cm.state.reservations and len(cm.state.reservations) == 1


async def test_stall_settings_are_validated(cm):
    for stall, field in (({"route": "POST", "when": "after", "ms": 1}, "stall.route"),
                         ({"route": STALLED_RESERVE, "when": "during", "ms": 1}, "stall.when"),
                         ({"route": STALLED_RESERVE, "when": "after", "ms": -1}, "stall.ms"),
                         ({"route": STALLED_RESERVE}, "stall")):
        status, body = await _faults(cm, stall=stall)
        assert status == 400 and body["field"] == field, body
    assert "stall" not in (await cm.get("/admin/faults"))[1]
