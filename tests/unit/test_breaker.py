"""AsyncCircuitBreaker: pybreaker's state machine, driven from asyncio, on a clock the test moves."""

from __future__ import annotations

import abc
import asyncio

import pybreaker
import pytest

from clients.breaker import AsyncCircuitBreaker, BreakerOpen

FAIL_MAX = 3
RESET_TIMEOUT = 30.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class SoldOutAnswer(Exception):
    """Stands in for a business answer of the channel manager."""


class ChannelManager:
    """A remote system the test scripts: counts every call that really reached it."""

    def __init__(self) -> None:
        self.calls = 0

    async def down(self) -> None:
        self.calls += 1
        raise ConnectionError("connection refused")

    async def up(self) -> str:
        self.calls += 1
        return "ok"

    async def sold_out(self) -> None:
        self.calls += 1
        raise SoldOutAnswer("no room on 2026-12-01")


class Recorder(pybreaker.CircuitBreakerListener):
    def __init__(self) -> None:
        self.changes: list[tuple[str, str]] = []
        self.failures = 0

    def state_change(self, cb, old_state, new_state) -> None:
        self.changes.append((old_state.name if old_state else "", new_state.name))

    def failure(self, cb, exc) -> None:
        self.failures += 1


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def breaker(clock: FakeClock) -> AsyncCircuitBreaker:
    return AsyncCircuitBreaker(
        "cm-test", fail_max=FAIL_MAX, reset_timeout=RESET_TIMEOUT, exclude=[SoldOutAnswer], clock=clock
    )


async def trip(breaker: AsyncCircuitBreaker, cm: ChannelManager) -> None:
    for _ in range(FAIL_MAX):
        with pytest.raises(ConnectionError):
            await breaker.call(cm.down)
    assert breaker.state == "open"


async def test_opens_after_fail_max_counted_failures(breaker: AsyncCircuitBreaker) -> None:
    cm = ChannelManager()
    for failures in range(1, FAIL_MAX):
        with pytest.raises(ConnectionError):
            await breaker.call(cm.down)
        assert (breaker.state, breaker.fail_counter) == ("closed", failures)
    # The call that trips it reached the channel manager: its caller sees that real failure.
    with pytest.raises(ConnectionError):
        await breaker.call(cm.down)
    assert breaker.state == "open" and breaker.is_open


async def test_fails_fast_while_open_without_calling(breaker: AsyncCircuitBreaker) -> None:
    cm = ChannelManager()
    await trip(breaker, cm)
    for _ in range(10):
        with pytest.raises(BreakerOpen) as refused:
            await breaker.call(cm.up)
        assert refused.value.retry_after == pytest.approx(RESET_TIMEOUT)
        assert refused.value.breaker_name == "cm-test"
    assert cm.calls == FAIL_MAX


async def test_retry_after_decreases_until_half_open(breaker: AsyncCircuitBreaker, clock: FakeClock) -> None:
    await trip(breaker, ChannelManager())
    assert breaker.retry_after() == pytest.approx(30.0)
    clock.advance(10)
    assert breaker.retry_after() == pytest.approx(20.0)
    clock.advance(19.5)
    assert breaker.retry_after() == pytest.approx(0.5)
    clock.advance(0.5)
    assert breaker.retry_after() == 0.0
    assert breaker.state == "half-open" and not breaker.is_open


async def test_half_open_admits_one_trial_among_20_concurrent_callers(
    breaker: AsyncCircuitBreaker, clock: FakeClock
) -> None:
    cm = ChannelManager()
    await trip(breaker, cm)
    clock.advance(RESET_TIMEOUT)
    answer_arrives = asyncio.Event()

    async def slow_recovery() -> str:
        cm.calls += 1
        await answer_arrives.wait()
        return "ok"

    guests = [asyncio.create_task(breaker.call(slow_recovery)) for _ in range(20)]
    await asyncio.sleep(0)
    assert cm.calls == FAIL_MAX + 1, "only the trial reached the channel manager"
    assert breaker.retry_after() > 0, "callers turned away during the trial are told to wait"
    answer_arrives.set()
    outcomes = await asyncio.gather(*guests, return_exceptions=True)
    assert outcomes.count("ok") == 1
    assert sum(isinstance(outcome, BreakerOpen) for outcome in outcomes) == 19
    assert breaker.state == "closed" and breaker.fail_counter == 0
    assert await breaker.call(cm.up) == "ok"


async def test_failed_trial_reopens_for_a_full_timeout(breaker: AsyncCircuitBreaker, clock: FakeClock) -> None:
    cm = ChannelManager()
    await trip(breaker, cm)
    clock.advance(RESET_TIMEOUT + 5)
    with pytest.raises(ConnectionError):
        await breaker.call(cm.down)
    assert breaker.state == "open"
    assert breaker.retry_after() == pytest.approx(RESET_TIMEOUT)
    with pytest.raises(BreakerOpen):
        await breaker.call(cm.up)
    assert cm.calls == FAIL_MAX + 1


async def test_cancelled_calls_do_not_count(breaker: AsyncCircuitBreaker) -> None:
    async def guest_gives_up() -> None:
        await asyncio.sleep(3600)

    for _ in range(FAIL_MAX + 2):
        waiting = asyncio.create_task(breaker.call(guest_gives_up))
        await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
    assert (breaker.state, breaker.fail_counter) == ("closed", 0)


async def test_cancelled_trial_frees_the_slot_for_the_next_caller(
    breaker: AsyncCircuitBreaker, clock: FakeClock
) -> None:
    cm = ChannelManager()
    await trip(breaker, cm)
    clock.advance(RESET_TIMEOUT)
    trial = asyncio.create_task(breaker.call(asyncio.sleep, 3600))
    await asyncio.sleep(0)
    trial.cancel()
    with pytest.raises(asyncio.CancelledError):
        await trial
    assert breaker.state == "half-open"
    assert await breaker.call(cm.up) == "ok"
    assert breaker.state == "closed"


async def test_excluded_answers_do_not_count(clock: FakeClock) -> None:
    breaker = AsyncCircuitBreaker(
        fail_max=2, exclude=[SoldOutAnswer, lambda error: isinstance(error, LookupError)], clock=clock
    )
    cm = ChannelManager()

    async def unknown_hotel() -> None:
        raise KeyError("CM-NOWHERE")

    for _ in range(5):
        with pytest.raises(SoldOutAnswer):
            await breaker.call(cm.sold_out)
        with pytest.raises(KeyError):
            await breaker.call(unknown_hotel)
    assert (breaker.state, breaker.fail_counter) == ("closed", 0)


async def test_a_business_answer_resets_the_failure_streak(breaker: AsyncCircuitBreaker) -> None:
    # pybreaker counts consecutive failures, and an excluded error is booked as a success:
    # the channel manager answered, so it is up.
    cm = ChannelManager()
    for _ in range(FAIL_MAX - 1):
        with pytest.raises(ConnectionError):
            await breaker.call(cm.down)
    with pytest.raises(SoldOutAnswer):
        await breaker.call(cm.sold_out)
    assert breaker.fail_counter == 0


async def test_an_answer_from_before_the_breaker_opened_is_ignored(breaker: AsyncCircuitBreaker) -> None:
    cm = ChannelManager()
    answer_arrives = asyncio.Event()

    async def slow_availability() -> str:
        await answer_arrives.wait()
        return "ari"

    slow = asyncio.create_task(breaker.call(slow_availability))
    await asyncio.sleep(0)
    await trip(breaker, cm)
    answer_arrives.set()
    assert await slow == "ari"
    assert breaker.state == "open", "a stale success must not close a freshly opened breaker"


async def test_pybreaker_listeners_see_every_transition(clock: FakeClock) -> None:
    recorder = Recorder()
    breaker = AsyncCircuitBreaker(fail_max=1, reset_timeout=5, listeners=[recorder], clock=clock)
    cm = ChannelManager()
    with pytest.raises(ConnectionError):
        await breaker.call(cm.down)
    clock.advance(5)
    await breaker.call(cm.up)
    assert recorder.changes == [("closed", "open"), ("open", "half-open"), ("half-open", "closed")]
    assert recorder.failures == 1


async def test_exclusion_with_a_metaclass_excludes_only_itself(clock: FakeClock) -> None:
    class Refusal(Exception, metaclass=abc.ABCMeta):
        pass

    breaker = AsyncCircuitBreaker(fail_max=1, exclude=[Refusal], clock=clock)
    with pytest.raises(ConnectionError):
        await breaker.call(ChannelManager().down)
    assert breaker.state == "open"


async def test_pybreaker_alone_never_sees_a_coroutine_fail() -> None:
    # Why this module exists: pybreaker calls fn() and books the coroutine object as a success.
    plain = pybreaker.CircuitBreaker(fail_max=1)
    cm = ChannelManager()
    for _ in range(3):
        with pytest.raises(ConnectionError):
            await plain.call(cm.down)
    assert (plain.current_state, plain.fail_counter) == ("closed", 0)
