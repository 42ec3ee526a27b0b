"""Operating the sandbox payment gateway: fault injection, stats, and the CLI as a real process."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.sandbox.test_payment_gateway_helpers import Gateway, new_key, serving

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    async with serving() as gw:
        yield gw


# ---- faults -------------------------------------------------------------------------------------

async def test_outage_answers_503_changes_nothing_and_the_same_key_then_succeeds(gateway: Gateway) -> None:
    key = new_key()
    assert (await gateway.faults(outage=True)).body["outage"] is True
    down = await gateway.authorize(key=key)
    assert (down.status, down.body["fault"], down.headers["Retry-After"]) == (503, "outage", "1")
    assert gateway.ledger.payments == {}
    assert (await gateway.call("GET", "/health", auth=False)).status == 200  # exempt, like /admin
    await gateway.faults(outage=False)
    up = await gateway.authorize(key=key)  # the 503 stored nothing: this is the first attempt
    assert up.status == 201 and "Idempotent-Replayed" not in up.headers


async def test_error_rate_fails_that_share_of_requests(gateway: Gateway) -> None:
    await gateway.faults(error_rate=1.0)
    assert {(await gateway.get("pay_x")).status for _ in range(5)} == {503}
    await gateway.faults(error_rate=0.5)
    statuses = [(await gateway.get("pay_x")).status for _ in range(60)]
    assert set(statuses) == {404, 503}


async def test_latency_delays_the_api_but_not_admin(gateway: Gateway) -> None:
    await gateway.faults(latency_ms=150)
    started = time.monotonic()
    assert (await gateway.get("pay_x")).status == 404
    assert time.monotonic() - started >= 0.15
    started = time.monotonic()
    await gateway.stats()
    assert time.monotonic() - started < 0.15


@pytest.mark.parametrize("body, field", [({"error_rate": 1.5}, "error_rate"), ({"latency_ms": -1}, "latency_ms"),
                                         ({"outage": "yes"}, "outage"), ({"eror_rate": 0.1}, "eror_rate"),
                                         ({"latency_ms": 10, "error_rate": True}, "error_rate")])
async def test_fault_settings_are_validated_all_or_nothing(gateway: Gateway, body: dict, field: str) -> None:
    answer = await gateway.faults(**body)
    assert (answer.status, answer.body["field"]) == (400, field)
    current = await gateway.call("GET", "/admin/faults", auth=False)
    assert current.body == {"latency_ms": 0, "error_rate": 0.0, "outage": False}


# ---- stats --------------------------------------------------------------------------------------

async def test_stats_count_payments_money_and_requests(gateway: Gateway) -> None:
    first, second = await gateway.authorized(10_000), await gateway.authorized(4_000)
    await gateway.authorize(currency="JPY", amount=900)
    await gateway.act(first, "capture", 6_000)
    await gateway.act(first, "refund", 1_000)
    await gateway.act(second, "void")
    await gateway.authorize("tok_insufficient_funds")
    await gateway.call("GET", "/v1/payments/pay_x", auth=False)  # refused requests count too
    stats = await gateway.stats()
    assert stats["payments"] == {"authorized": 1, "captured": 0, "voided": 1, "expired": 0,
                                 "partially_refunded": 1, "refunded": 0}
    assert stats["totals"] == {
        "EUR": {"authorized_minor": 14_000, "captured_minor": 6_000, "refunded_minor": 1_000},
        "JPY": {"authorized_minor": 900, "captured_minor": 0, "refunded_minor": 0}}
    assert stats["declines"] == {"insufficient_funds": 1}
    requests = stats["requests"]
    assert requests["total"] == 8
    assert requests["by_route"] == {"GET /v1/payments/{payment_id}": 1, "POST /v1/payments": 4,
                                    "POST /v1/payments/{payment_id}/capture": 1,
                                    "POST /v1/payments/{payment_id}/refund": 1,
                                    "POST /v1/payments/{payment_id}/void": 1}
    assert requests["by_status"] == {"200": 3, "201": 3, "401": 1, "402": 1}
    assert stats["idempotency_keys"] == 7


# ---- the CLI ------------------------------------------------------------------------------------

async def _port_from_log(stderr: asyncio.StreamReader) -> int:
    while line := await asyncio.wait_for(stderr.readline(), 15):
        if match := re.search(rb"listening on http://[\d.]+:(\d+)", line):
            return int(match.group(1))
    raise AssertionError("the payment gateway exited before logging its port")


async def test_cli_serves_and_stops_on_sigterm_even_with_a_request_hanging():
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sandbox.payment_gateway", "--port", "0", "--api-key", "k-cli",
        cwd=ROOT, stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        port = await _port_from_log(process.stderr)
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", headers={"Authorization": "Bearer k-cli"}) as http:
            body = {"token": "tok_visa", "amount_minor": 100, "currency": "EUR"}
            async with http.post("/v1/payments", json=body, headers={"Idempotency-Key": "cli-1"}) as r:
                assert r.status == 201
            hanging = asyncio.create_task(http.post("/v1/payments", json={**body, "token": "tok_timeout"},
                                                    headers={"Idempotency-Key": "cli-2"}))
            await asyncio.sleep(0.2)
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 10) == 0
            assert time.monotonic() - started < 5  # the 30 s hang does not hold shutdown
            await asyncio.gather(hanging, return_exceptions=True)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
