"""Properties of the sandbox payment gateway: random operation sequences against a model, and races."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sandbox.test_payment_gateway_helpers import Answer, Gateway, new_key, serving

REFUNDABLE = ("captured", "partially_refunded")


@pytest_asyncio.fixture(scope="module")
async def shared_gateway() -> AsyncIterator[Gateway]:
    """One gateway for every example: each example works on payments of its own, so none interfere."""
    async with serving() as gw:
        yield gw


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    async with serving() as gw:
        yield gw


@dataclass
class Model:
    """What PROTOCOL.md says the payment must look like: the oracle for every answer."""

    amount: int
    status: str = "authorized"
    captured: int = 0
    refunded: int = 0

    def expect(self, action: str, amount: int | None) -> tuple[int, str]:
        """Applies the action if legal; returns the HTTP status and the error (or "") it must get."""
        allowed = {"capture": ("authorized",), "void": ("authorized",), "refund": REFUNDABLE}[action]
        if self.status not in allowed:
            return 409, "invalid_state"
        limit = {"capture": self.amount, "refund": self.captured - self.refunded, "void": 0}[action]
        amount = limit if amount is None else amount
        if action != "void" and amount > limit:
            return 400, "amount_too_large"
        if action == "capture":
            self.status, self.captured = "captured", amount
        elif action == "void":
            self.status = "voided"
        else:
            self.refunded += amount
            self.status = "refunded" if self.refunded == self.captured else "partially_refunded"
        return 200, ""

    def resolve(self, action: str, amount: int | str | None) -> int | None:
        if not isinstance(amount, str):
            return amount
        limit = self.amount if action == "capture" else max(self.captured - self.refunded, 1)
        return {"all": limit, "over": limit + 1, "all_but_one": max(limit - 1, 1), "half": max(limit // 2, 1),
                "one": 1}[amount]

    def matches(self, payment: dict) -> bool:
        return (payment["status"], payment["captured_minor"], payment["refunded_minor"]) == (
            self.status, self.captured, self.refunded)


# Amounts are mostly drawn relative to what the model allows right now, so the edges (exactly all of
# it, one too many) come up in nearly every example instead of by luck.
amounts = st.one_of(st.sampled_from([None, "all", "over", "all_but_one", "half", "one"]),
                    st.integers(min_value=1, max_value=12_000))
# Weighted towards capture and refund: a void early ends most sequences, and the money rules live
# in the captured and refunded states.
actions = st.sampled_from(["capture", "capture", "refund", "refund", "refund", "refund", "void", "retry_last"])
operations = st.lists(st.tuples(actions, amounts), min_size=1, max_size=12)


def _check_invariants(payment: dict) -> None:
    assert 0 <= payment["refunded_minor"] <= payment["captured_minor"] <= payment["amount_minor"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(authorized=st.integers(min_value=1, max_value=10_000), steps=operations)
async def test_random_sequences_follow_the_state_machine(shared_gateway: Gateway, authorized: int, steps) -> None:
    gw = shared_gateway
    payment_id = await gw.authorized(authorized)
    model, last = Model(authorized), None
    for action, amount in steps:
        if action == "retry_last" and last is not None:
            # The same request under the same key: the same bytes, and no second effect (checked below).
            answer = await gw.act(payment_id, last[0], last[1], key=last[2])
            assert (answer.status, answer.raw) == (last[3].status, last[3].raw)
        elif action != "retry_last":
            key, amount = new_key(), None if action == "void" else model.resolve(action, amount)
            answer = await gw.act(payment_id, action, amount, key=key)
            expected = model.expect(action, amount)
            assert (answer.status, (answer.body or {}).get("error", "")) == expected, (action, amount, answer.body)
            last = (action, amount, key, answer)
        current = (await gw.get(payment_id)).body
        _check_invariants(current)
        assert model.matches(current), (model, current)


async def test_twenty_identical_authorizes_with_one_key_make_one_payment(gateway: Gateway) -> None:
    key = new_key()
    answers: list[Answer] = await asyncio.gather(*(gateway.authorize(amount=2_500, key=key) for _ in range(20)))
    assert {a.status for a in answers} == {201}
    assert len({a.raw for a in answers}) == 1
    assert len(gateway.ledger.payments) == 1
    stats = await gateway.stats()
    assert stats["payments"]["authorized"] == 1 and stats["totals"]["EUR"]["authorized_minor"] == 2_500


async def test_twenty_identical_authorizes_under_latency_still_make_one_payment(gateway: Gateway) -> None:
    await gateway.faults(latency_ms=50)  # every request waits before it is handled, so they truly overlap
    key = new_key()
    answers = await asyncio.gather(*(gateway.authorize(amount=2_500, key=key) for _ in range(20)))
    assert len({(a.status, a.raw) for a in answers}) == 1 and len(gateway.ledger.payments) == 1


async def test_concurrent_captures_under_different_keys_capture_once(gateway: Gateway) -> None:
    payment_id = await gateway.authorized(9_000)
    answers = await asyncio.gather(*(gateway.act(payment_id, "capture", 1_000 * (i + 1)) for i in range(9)))
    winners = [a for a in answers if a.status == 200]
    assert len(winners) == 1
    assert all(a.status == 409 and a.body["status"] == "captured" for a in answers if a.status != 200)
    assert (await gateway.stats())["totals"]["EUR"]["captured_minor"] == winners[0].body["captured_minor"]


async def test_concurrent_partial_refunds_never_exceed_the_capture(gateway: Gateway) -> None:
    payment_id = await gateway.authorized(10_000)
    await gateway.act(payment_id, "capture", 10_000)
    answers = await asyncio.gather(*(gateway.act(payment_id, "refund", 3_000) for _ in range(5)))
    assert sorted(a.status for a in answers) == [200, 200, 200, 400, 400]
    final = (await gateway.get(payment_id)).body
    assert (final["refunded_minor"], final["status"]) == (9_000, "partially_refunded")
