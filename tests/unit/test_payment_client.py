"""HttpPaymentProvider against the sandbox payment gateway served in-process on port 0."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from clients.breaker import AsyncCircuitBreaker
from clients.payments import (
    HttpPaymentProvider,
    IdempotencyKeyReused,
    Payment,
    PaymentDeclined,
    PaymentError,
    PaymentInProgress,
    PaymentNotFound,
    PaymentProvider,
    PaymentStateError,
    PaymentStatus,
    PaymentUnavailable,
    parse_payment,
)
from sandbox.payment_gateway import DEFAULT_API_KEY, Config, start
from sandbox.payment_gateway.plumbing import CONFIG, LEDGER

FAIL_MAX = 3


@pytest.fixture
async def gateway() -> AsyncIterator[tuple[web.AppRunner, str]]:
    # A short shutdown: a tok_timeout handler still hanging is not worth waiting for.
    runner, port = await start(port=0, config=Config(), shutdown_timeout=0.2)
    yield runner, f"http://127.0.0.1:{port}"
    await runner.cleanup()


def provider_for(gateway, timeout: float = 5.0, reset_timeout: float = 30.0) -> HttpPaymentProvider:
    breaker = AsyncCircuitBreaker("payments-test", fail_max=FAIL_MAX, reset_timeout=reset_timeout)
    return HttpPaymentProvider(gateway[1], DEFAULT_API_KEY, breaker, timeout=timeout)


@pytest.fixture
async def payments(gateway) -> AsyncIterator[HttpPaymentProvider]:
    async with provider_for(gateway) as provider:
        yield provider


async def requests_seen(gateway) -> int:
    """What reached the gateway, as its /admin/stats counts it."""
    async with aiohttp.ClientSession() as http, http.get(f"{gateway[1]}/admin/stats") as response:
        return (await response.json())["requests"]["total"]


async def test_authorize_capture_refund_are_typed(payments: HttpPaymentProvider) -> None:
    assert isinstance(payments, PaymentProvider)
    held = await payments.authorize("tok_visa", 31_200, "EUR", "auth-1", description="booking b-1")
    assert held == Payment(held.payment_id, PaymentStatus.AUTHORIZED, 31_200, "EUR", 0, 0)
    captured = await payments.capture(held.payment_id, 30_000, "capture-1")
    assert (captured.status, captured.captured_minor) == (PaymentStatus.CAPTURED, 30_000)
    assert captured.refundable_minor == 30_000
    partly = await payments.refund(held.payment_id, 10_000, "refund-1")
    assert (partly.status, partly.refunded_minor) == (PaymentStatus.PARTIALLY_REFUNDED, 10_000)
    fully = await payments.refund(held.payment_id, 20_000, "refund-2")
    assert fully.status is PaymentStatus.REFUNDED and fully.refundable_minor == 0
    assert await payments.payment(held.payment_id) == fully


async def test_void_releases_an_authorization(payments: HttpPaymentProvider) -> None:
    held = await payments.authorize("tok_visa", 5_000, "EUR", "auth-void")
    voided = await payments.void(held.payment_id, "void-1")
    assert (voided.status, voided.captured_minor) == (PaymentStatus.VOIDED, 0)


@pytest.mark.parametrize("token, reason", [("tok_declined", "card_declined"),
                                           ("tok_insufficient_funds", "insufficient_funds")])
async def test_declines_are_answers_that_never_trip_the_breaker(payments: HttpPaymentProvider, token, reason) -> None:
    for attempt in range(FAIL_MAX * 2):
        with pytest.raises(PaymentDeclined) as declined:
            await payments.authorize(token, 1_000, "EUR", f"declined-{attempt}")
        assert (declined.value.reason, declined.value.http_status) == (reason, 402)
    assert (payments.breaker.state, payments.breaker.fail_counter) == ("closed", 0)


async def test_other_refusals_are_typed_and_do_not_count(payments: HttpPaymentProvider, gateway) -> None:
    held = await payments.authorize("tok_visa", 5_000, "EUR", "auth-r")
    await payments.void(held.payment_id, "void-r")
    with pytest.raises(PaymentStateError) as wrong_state:
        await payments.capture(held.payment_id, 5_000, "capture-r")
    assert wrong_state.value.status is PaymentStatus.VOIDED
    with pytest.raises(PaymentNotFound) as unknown:
        await payments.payment("pay_nope")
    assert unknown.value.payment_id == "pay_nope"
    with pytest.raises(IdempotencyKeyReused):
        await payments.authorize("tok_visa", 5_001, "EUR", "auth-r")
    with pytest.raises(PaymentError) as malformed:
        await payments.authorize("tok_visa", 0, "EUR", "auth-zero")
    assert (malformed.value.code, malformed.value.http_status) == ("bad_request", 400)
    other = await payments.authorize("tok_visa", 5_000, "EUR", "auth-r2")
    with pytest.raises(PaymentError) as too_much:
        await payments.capture(other.payment_id, 5_001, "capture-r2")
    assert too_much.value.code == "amount_too_large"
    async with HttpPaymentProvider(gateway[1], "wrong-key", payments.breaker) as locked_out:
        with pytest.raises(PaymentError) as unauthorized:
            await locked_out.payment(held.payment_id)
    assert unauthorized.value.http_status == 401
    assert (payments.breaker.state, payments.breaker.fail_counter) == ("closed", 0)


async def test_timeout_card_is_unavailable_after_the_client_timeout(gateway) -> None:
    async with provider_for(gateway, timeout=0.5) as impatient:
        started = time.monotonic()
        with pytest.raises(PaymentUnavailable) as unavailable:
            await impatient.authorize("tok_timeout", 1_000, "EUR", "auth-slow")
        assert 0.5 <= time.monotonic() - started < 2.0 and not unavailable.value.breaker_open
        assert unavailable.value.maybe_done  # a timeout says nothing of what the gateway did
        assert impatient.breaker.fail_counter == 1  # no answer is a breakdown
        # The gateway is still working on it: a retry under the key is told so, and is no breakdown.
        with pytest.raises(PaymentInProgress) as in_progress:
            await impatient.authorize("tok_timeout", 1_000, "EUR", "auth-slow")
        assert in_progress.value.retry_after == 1.0 and impatient.breaker.state == "closed"
    assert gateway[0].app[LEDGER].payments == {}


async def test_500s_open_the_breaker_then_calls_fail_fast(payments: HttpPaymentProvider, gateway) -> None:
    for attempt in range(FAIL_MAX):
        with pytest.raises(PaymentUnavailable) as failed:
            await payments.authorize("tok_processing_error", 1_000, "EUR", f"auth-500-{attempt}")
        assert not failed.value.breaker_open and not failed.value.maybe_done  # a 5xx changed nothing
    assert payments.breaker.state == "open"
    seen = await requests_seen(gateway)
    for call in (payments.authorize("tok_visa", 1_000, "EUR", "auth-after"), payments.payment("pay_x")):
        with pytest.raises(PaymentUnavailable) as refused:
            await call
        assert refused.value.breaker_open and 0 < refused.value.retry_after <= 30
        assert not refused.value.maybe_done
    assert await requests_seen(gateway) == seen  # refused here, never sent


async def test_the_breaker_closes_again_once_the_gateway_recovers(gateway) -> None:
    config = gateway[0].app[CONFIG]
    config.faults.outage = True
    async with provider_for(gateway, reset_timeout=0.2) as payments:
        for _ in range(FAIL_MAX):
            with pytest.raises(PaymentUnavailable) as down:
                await payments.authorize("tok_visa", 1_000, "EUR", "auth-outage")
            assert down.value.retry_after == 1.0  # the gateway's Retry-After
        assert payments.breaker.state == "open"
        config.faults.outage = False
        await asyncio.sleep(0.25)
        held = await payments.authorize("tok_visa", 1_000, "EUR", "auth-outage")  # the half-open trial
        assert held.status is PaymentStatus.AUTHORIZED and payments.breaker.state == "closed"
    assert len(gateway[0].app[LEDGER].payments) == 1


async def test_retries_under_the_same_key_are_safe(payments: HttpPaymentProvider, gateway) -> None:
    first = await payments.authorize("tok_capture_fails", 8_000, "EUR", "auth-retry")
    assert await payments.authorize("tok_capture_fails", 8_000, "EUR", "auth-retry") == first
    for _ in range(2):  # the card's first two captures fail at the gateway
        with pytest.raises(PaymentUnavailable):
            await payments.capture(first.payment_id, 8_000, "capture-retry")
    captured = await payments.capture(first.payment_id, 8_000, "capture-retry")
    assert captured.status is PaymentStatus.CAPTURED
    assert await payments.capture(first.payment_id, 8_000, "capture-retry") == captured
    for _ in range(2):
        refunded = await payments.refund(first.payment_id, 3_000, "refund-retry")
    assert refunded.refunded_minor == 3_000
    ledger = gateway[0].app[LEDGER]
    assert len(ledger.payments) == 1
    assert dict(ledger.totals["EUR"]) == {"authorized_minor": 8_000, "captured_minor": 8_000, "refunded_minor": 3_000}


async def test_a_dead_gateway_is_unavailable() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    breaker = AsyncCircuitBreaker("payments-dead", fail_max=FAIL_MAX)
    async with HttpPaymentProvider(f"http://127.0.0.1:{port}", DEFAULT_API_KEY, breaker, timeout=2) as payments:
        with pytest.raises(PaymentUnavailable) as dead:
            await payments.payment("pay_x")
    assert breaker.fail_counter == 1
    assert not dead.value.maybe_done  # never connected, never sent


async def test_an_unreadable_success_is_a_breakdown() -> None:
    async def half_a_payment(request: web.Request) -> web.Response:
        return web.json_response({"payment_id": "pay_1"})

    app = web.Application()
    app.router.add_get("/v1/payments/{payment_id}", half_a_payment)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    breaker = AsyncCircuitBreaker("payments-garbled", fail_max=FAIL_MAX)
    try:
        async with HttpPaymentProvider(f"http://127.0.0.1:{runner.addresses[0][1]}", "k", breaker) as payments:
            with pytest.raises(PaymentUnavailable, match="unreadable") as garbled:
                await payments.payment("pay_1")
            assert garbled.value.maybe_done  # a 2xx: it was done, whatever it says
    finally:
        await runner.cleanup()
    assert breaker.fail_counter == 1


@pytest.mark.parametrize("broken", [
    {}, {"payment_id": "pay_1", "status": "settled", "amount_minor": 1, "currency": "EUR",
         "captured_minor": 0, "refunded_minor": 0},
    {"payment_id": "pay_1", "status": "authorized", "amount_minor": "1", "currency": "EUR",
     "captured_minor": 0, "refunded_minor": 0},
    {"payment_id": "pay_1", "status": "authorized", "amount_minor": 1, "currency": "EUR",
     "captured_minor": -1, "refunded_minor": 0},
])
def test_unreadable_payments_are_refused(broken: dict) -> None:
    with pytest.raises((KeyError, TypeError, ValueError)):
        parse_payment(broken)
