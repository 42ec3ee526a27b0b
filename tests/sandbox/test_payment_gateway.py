"""The sandbox payment gateway over real HTTP: test cards, auth, idempotency, the payment state machine."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator

import pytest

from sandbox.payment_gateway import Config
from tests.sandbox.test_payment_gateway_helpers import Gateway, new_key, serving


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    async with serving(Config(hang_seconds=30)) as gw:
        yield gw


def _parse(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


# ---- test cards ---------------------------------------------------------------------------------

async def test_visa_authorizes_for_seven_days(gateway: Gateway) -> None:
    created = await gateway.authorize("tok_visa", 31_200, "EUR", description="booking b-42")
    assert created.status == 201
    payment = created.body
    assert payment["payment_id"].startswith("pay_")
    assert {k: payment[k] for k in ("status", "amount_minor", "currency", "captured_minor", "refunded_minor")} == {
        "status": "authorized", "amount_minor": 31_200, "currency": "EUR", "captured_minor": 0, "refunded_minor": 0}
    lifetime = _parse(payment["expires_at"]) - _parse(payment["created_at"])
    assert dt.timedelta(days=7) <= lifetime <= dt.timedelta(days=7, seconds=1)
    fetched = await gateway.get(payment["payment_id"])
    assert (fetched.status, fetched.body) == (200, payment)


@pytest.mark.parametrize("token, reason", [("tok_declined", "card_declined"),
                                           ("tok_insufficient_funds", "insufficient_funds")])
async def test_declines_are_402_and_create_nothing(gateway: Gateway, token: str, reason: str) -> None:
    answer = await gateway.authorize(token)
    assert (answer.status, answer.body["error"]) == (402, reason)
    stats = await gateway.stats()
    assert sum(stats["payments"].values()) == 0 and stats["declines"] == {reason: 1}


async def test_processing_error_is_500_and_never_stored(gateway: Gateway) -> None:
    key = new_key()
    for _ in range(2):  # a 5xx is not an answer to keep: the retry is a first attempt, not a replay
        answer = await gateway.authorize("tok_processing_error", key=key)
        assert (answer.status, answer.body["error"]) == (500, "processing_error")
        assert "Idempotent-Replayed" not in answer.headers
    assert gateway.ledger.payments == {} and (await gateway.stats())["idempotency_keys"] == 0


async def test_timeout_card_hangs_past_any_client_timeout_and_creates_nothing(gateway: Gateway) -> None:
    key = new_key()
    hanging = asyncio.create_task(gateway.authorize("tok_timeout", key=key))
    await asyncio.sleep(0.3)
    assert not hanging.done() and gateway.ledger.payments == {}
    again = await gateway.authorize("tok_timeout", key=key)  # an impatient retry while it still hangs
    assert (again.status, again.body["error"], again.headers["Retry-After"]) == (409, "idempotency_key_in_use", "1")
    other = await gateway.authorize("tok_visa", key=key)
    assert (other.status, other.body["error"]) == (409, "idempotency_key_reused")
    hanging.cancel()
    with pytest.raises(asyncio.CancelledError):
        await hanging


async def test_timeout_card_gives_up_with_504_after_the_hang() -> None:
    async with serving(Config(hang_seconds=0.2)) as gw:
        key = new_key()
        started = time.monotonic()
        answer = await gw.authorize("tok_timeout", key=key)
        assert time.monotonic() - started >= 0.2
        assert (answer.status, answer.body["error"]) == (504, "gateway_timeout")
        assert (await gw.authorize("tok_timeout", key=key)).status == 504  # not stored: tried afresh
        assert gw.ledger.payments == {}


async def test_capture_fails_card_answers_500_twice_then_captures(gateway: Gateway) -> None:
    payment_id = await gateway.authorized(5_000, token="tok_capture_fails")
    key = new_key()
    statuses = [(await gateway.act(payment_id, "capture", 4_000, key=key)).status for _ in range(3)]
    assert statuses == [500, 500, 200]
    replay = await gateway.act(payment_id, "capture", 4_000, key=key)
    assert (replay.status, replay.body["captured_minor"], replay.headers["Idempotent-Replayed"]) == (200, 4_000, "true")
    assert (await gateway.stats())["totals"]["EUR"]["captured_minor"] == 4_000


@pytest.mark.parametrize("body, field", [
    ({"token": "tok_amex", "amount_minor": 100, "currency": "EUR"}, "token"),
    ({"token": "tok_visa", "amount_minor": 0, "currency": "EUR"}, "amount_minor"),
    ({"token": "tok_visa", "amount_minor": 1.5, "currency": "EUR"}, "amount_minor"),
    ({"token": "tok_visa", "amount_minor": True, "currency": "EUR"}, "amount_minor"),
    ({"token": "tok_visa", "amount_minor": 100, "currency": "eur"}, "currency"),
    ({"token": "tok_visa", "amount_minor": 100}, "currency"),
    ({"token": "tok_visa", "amount_minor": 100, "currency": "EUR", "amount": 5}, "amount"),
    ([1, 2], "body"),
])
async def test_bad_authorize_bodies_are_400(gateway: Gateway, body: object, field: str) -> None:
    answer = await gateway.call("POST", "/v1/payments", body, new_key())
    assert (answer.status, answer.body["error"], answer.body["field"]) == (400, "bad_request", field)


# ---- auth ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "sandbox-payments-key"},
                                     {"X-Api-Key": "sandbox-payments-key"}])
async def test_requests_without_the_bearer_key_are_401(gateway: Gateway, headers: dict) -> None:
    answer = await gateway.call("POST", "/v1/payments", {"token": "tok_visa"}, new_key(), headers=headers, auth=False)
    assert (answer.status, answer.body["error"], answer.headers["WWW-Authenticate"]) == (401, "unauthorized", "Bearer")
    assert (await gateway.call("GET", "/health", auth=False)).status == 200
    assert gateway.ledger.payments == {}


async def test_a_configured_api_key_replaces_the_default() -> None:
    async with serving(Config(api_key="k-live")) as gw:
        assert (await gw.authorize()).status == 401
        ok = await gw.call("GET", "/v1/payments/pay_x", headers={"Authorization": "Bearer k-live"})
        assert ok.status == 404


# ---- idempotency --------------------------------------------------------------------------------

async def test_same_key_replays_the_first_answer_byte_for_byte(gateway: Gateway) -> None:
    key = new_key()
    first = await gateway.authorize(key=key)
    reordered = b'{"currency": "EUR",  "amount_minor": 10000, "token": "tok_visa"}'
    second = await gateway.call("POST", "/v1/payments", key=key, raw=reordered)
    assert (second.status, second.raw) == (201, first.raw) and second.headers["Idempotent-Replayed"] == "true"
    reused = await gateway.authorize(amount=10_001, key=key)
    assert (reused.status, reused.body["error"]) == (409, "idempotency_key_reused")
    assert len(gateway.ledger.payments) == 1


async def test_refusals_are_answers_and_are_replayed(gateway: Gateway) -> None:
    key = new_key()
    declined = await gateway.authorize("tok_declined", key=key)
    assert (await gateway.authorize("tok_declined", key=key)).raw == declined.raw
    assert (await gateway.stats())["declines"] == {"card_declined": 1}  # refused once, not twice


async def test_a_key_belongs_to_one_request_whatever_the_operation(gateway: Gateway) -> None:
    key = new_key()
    payment_id = (await gateway.authorize(key=key)).body["payment_id"]
    answer = await gateway.act(payment_id, "capture", key=key)
    assert (answer.status, answer.body["error"]) == (409, "idempotency_key_reused")
    assert (await gateway.get(payment_id)).body["status"] == "authorized"


async def test_posts_need_an_idempotency_key(gateway: Gateway) -> None:
    for key_headers in ({}, {"Idempotency-Key": ""}, {"Idempotency-Key": "k" * 256}):
        answer = await gateway.call("POST", "/v1/payments", {"token": "tok_visa", "amount_minor": 1,
                                                             "currency": "EUR"}, headers=key_headers)
        assert (answer.status, answer.body["field"]) == (400, "Idempotency-Key")
    assert gateway.ledger.payments == {}


async def test_a_malformed_request_is_not_stored_so_a_corrected_retry_goes_through(gateway: Gateway) -> None:
    key = new_key()
    assert (await gateway.authorize(amount=0, key=key)).status == 400
    assert (await gateway.authorize(amount=100, key=key)).status == 201


# ---- the state machine --------------------------------------------------------------------------

async def test_capture_then_refund_in_parts(gateway: Gateway) -> None:
    payment_id = await gateway.authorized(10_000)
    captured = await gateway.act(payment_id, "capture", 8_000)
    assert (captured.status, captured.body["status"], captured.body["captured_minor"]) == (200, "captured", 8_000)
    partial = await gateway.act(payment_id, "refund", 3_000)
    assert (partial.body["status"], partial.body["refunded_minor"]) == ("partially_refunded", 3_000)
    too_much = await gateway.act(payment_id, "refund", 5_001)
    assert (too_much.status, too_much.body["error"], too_much.body["max_minor"]) == (400, "amount_too_large", 5_000)
    rest = await gateway.act(payment_id, "refund")  # no amount: all that is left
    assert (rest.body["status"], rest.body["refunded_minor"]) == ("refunded", 8_000)
    after = await gateway.act(payment_id, "refund", 1)
    assert (after.status, after.body["error"], after.body["status"]) == (409, "invalid_state", "refunded")
    assert (await gateway.stats())["totals"] == {
        "EUR": {"authorized_minor": 10_000, "captured_minor": 8_000, "refunded_minor": 8_000}}


async def test_capture_defaults_to_everything_and_never_above_it(gateway: Gateway) -> None:
    payment_id = await gateway.authorized(7_000)
    over = await gateway.act(payment_id, "capture", 7_001)
    assert (over.status, over.body["max_minor"]) == (400, 7_000)
    assert (await gateway.act(payment_id, "capture")).body["captured_minor"] == 7_000


@pytest.mark.parametrize("steps, refused, status", [
    (["void"], "void", "voided"),
    (["void"], "capture", "voided"),
    (["void"], "refund", "voided"),
    (["capture"], "capture", "captured"),
    (["capture"], "void", "captured"),
    ([], "refund", "authorized"),
    (["capture", "refund"], "void", "refunded"),
])
async def test_illegal_transitions_are_409_and_change_nothing(gateway: Gateway, steps, refused, status) -> None:
    payment_id = await gateway.authorized()
    for step in steps:
        assert (await gateway.act(payment_id, step)).status == 200
    before = (await gateway.get(payment_id)).body
    answer = await gateway.act(payment_id, refused)
    assert (answer.status, answer.body["error"], answer.body["status"]) == (409, "invalid_state", status)
    assert (await gateway.get(payment_id)).body == before


@pytest.mark.parametrize("method, suffix", [("GET", ""), ("POST", "/capture"), ("POST", "/void"), ("POST", "/refund")])
async def test_unknown_payments_are_404(gateway: Gateway, method: str, suffix: str) -> None:
    answer = await gateway.call(method, f"/v1/payments/pay_nope{suffix}", key=new_key() if method == "POST" else None)
    assert (answer.status, answer.body["error"], answer.body["payment_id"]) == (404, "unknown_payment", "pay_nope")


async def test_void_refuses_a_body(gateway: Gateway) -> None:
    payment_id = await gateway.authorized()
    answer = await gateway.call("POST", f"/v1/payments/{payment_id}/void", {"amount_minor": 5}, new_key())
    assert (answer.status, answer.body["field"]) == (400, "amount_minor")


async def test_authorizations_expire_uncaptured() -> None:
    async with serving(Config(authorization_ttl=0.3)) as gw:
        kept, lapsed = await gw.authorized(), await gw.authorized()
        assert (await gw.act(kept, "capture")).status == 200
        await asyncio.sleep(0.4)
        assert (await gw.get(lapsed)).body["status"] == "expired"
        for action in ("capture", "void"):
            answer = await gw.act(lapsed, action)
            assert (answer.status, answer.body["status"]) == (409, "expired")
        assert (await gw.act(kept, "refund")).body["status"] == "refunded"  # captured money never lapses
        assert (await gw.stats())["payments"]["expired"] == 1


async def test_unknown_routes_answer_json(gateway: Gateway) -> None:
    missing = await gateway.call("GET", "/v1/charges")
    assert (missing.status, missing.body["error"]) == (404, "not_found")
    wrong_method = await gateway.call("DELETE", "/v1/payments/pay_x")
    assert (wrong_method.status, wrong_method.body["error"]) == (405, "method_not_allowed")
