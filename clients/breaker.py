"""A circuit breaker for coroutines, on pybreaker's state machine (ARCHITECTURE §5 rule 7).

pybreaker's `call` and decorator run `fn(*args)` synchronously: for a coroutine function that only
creates the coroutine, which pybreaker then books as a success, so a channel manager that is down
never trips it. Here the coroutine is awaited first and its outcome is then *replayed* through
pybreaker's public `call` (a callable that returns or raises what the coroutine did), so pybreaker
still does the counting, the `exclude` rules, `fail_max`, the success threshold and the listeners.
What pybreaker cannot do for coroutines is done here:

- admission: open → fail fast with `BreakerOpen` (carrying seconds until half-open); once the
  reset timeout has passed, `half_open()` and let exactly one trial through at a time;
- staleness: an outcome that lands after the state changed (a slow call from before the breaker
  opened) is dropped, so it can neither close a freshly opened breaker nor count twice;
- cancellation: `asyncio.CancelledError` (a guest gave up, a deadline fired) says nothing about the
  channel manager's health; it is neither a failure nor a success.

Time is measured on a monotonic clock of our own: pybreaker stamps `opened_at` with wall-clock time.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import pybreaker

T = TypeVar("T")
Exclusion = type[BaseException] | Callable[[BaseException], bool]

CLOSED = pybreaker.STATE_CLOSED
OPEN = pybreaker.STATE_OPEN
HALF_OPEN = pybreaker.STATE_HALF_OPEN

# How long callers turned away during a half-open trial should wait: the trial is one request,
# so it settles in about one request's time, never in a whole reset timeout.
TRIAL_WAIT_SECONDS = 1.0


class BreakerOpen(pybreaker.CircuitBreakerError):
    """Refused without calling: the breaker is open, or half-open with its trial call in flight."""

    def __init__(self, name: str | None, retry_after: float) -> None:
        self.breaker_name = name
        self.retry_after = retry_after
        label = f"circuit breaker {name}" if name else "circuit breaker"
        super().__init__(f"{label} open; retry in {retry_after:.3f}s")


@dataclass(frozen=True)
class _Ticket:
    """What a call was admitted under: the state epoch, and whether it is the half-open trial."""

    epoch: int
    trial: bool


class _StateClock(pybreaker.CircuitBreakerListener):
    """Numbers pybreaker's state changes and stamps when the breaker opened.

    It reads the new state from the callback's argument, never from `cb.state`: pybreaker calls
    listeners before its storage holds the new state, and reading `cb.state` there would make it
    "resync" back to the old one.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.epoch = 0
        self.opened_at: float | None = None

    def state_change(self, cb: Any, old_state: Any, new_state: Any) -> None:
        self.epoch += 1
        if new_state.name == OPEN:
            self.opened_at = self.clock()


class AsyncCircuitBreaker:
    """Guards calls to one remote system (a channel manager, a partner) from one event loop."""

    def __init__(
        self,
        name: str | None = None,
        *,
        fail_max: int = 5,
        reset_timeout: float = 30.0,
        success_threshold: int = 1,
        exclude: Iterable[Exclusion] | None = None,
        listeners: Sequence[pybreaker.CircuitBreakerListener] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._state_clock = _StateClock(clock)
        # throw_new_error_on_trip=False: the call that trips the breaker did reach the remote
        # system and failed, so its caller gets that failure, not a generic "breaker opened".
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=fail_max,
            reset_timeout=reset_timeout,
            success_threshold=success_threshold,
            exclude=[_exclusion(item) for item in exclude or []],
            listeners=[self._state_clock, *(listeners or [])],
            name=name,
            throw_new_error_on_trip=False,
        )
        self._trial_epoch: int | None = None

    @property
    def name(self) -> str | None:
        return self.breaker.name

    @property
    def fail_counter(self) -> int:
        return self.breaker.fail_counter

    @property
    def state(self) -> str:
        """One of "closed", "open", "half-open".

        An open breaker past its reset timeout reads half-open: that is what the next call finds.
        """
        current = self.breaker.current_state
        if current == OPEN and self._open_remaining() <= 0:
            return HALF_OPEN
        return current

    @property
    def is_open(self) -> bool:
        return self.state == OPEN

    def retry_after(self) -> float:
        """Seconds a turned-away caller should wait before trying again (0 when calls go through)."""
        if self.breaker.current_state == OPEN:
            return max(self._open_remaining(), 0.0)
        if self._trial_in_flight():
            return min(TRIAL_WAIT_SECONDS, self.breaker.reset_timeout)
        return 0.0

    def exclude(self, *exclusions: Exclusion) -> None:
        """Declares answers that are business, not breakdown (sold out, not found): never failures."""
        for exclusion in map(_exclusion, exclusions):
            if exclusion not in self.breaker.excluded_exceptions:
                # pybreaker's annotation names only exception classes; its constructor's, and its code, take
                # predicates too (_exclusion makes some).
                self.breaker.add_excluded_exception(exclusion)  # type: ignore[arg-type, type-var]

    async def call(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        ticket = self._admit()
        try:
            result = await fn(*args, **kwargs)
        except Exception as error:
            self._settle(ticket, error)
            raise
        except BaseException:
            # Cancellation or shutdown: no verdict on the remote system, but free the trial slot.
            self._release(ticket)
            raise
        self._settle(ticket, None)
        return result

    def _admit(self) -> _Ticket:
        current = self.breaker.current_state
        if current == OPEN:
            remaining = self._open_remaining()
            if remaining > 0:
                raise BreakerOpen(self.name, remaining)
            self.breaker.half_open()
            current = HALF_OPEN
        if current == HALF_OPEN:
            if self._trial_in_flight():
                raise BreakerOpen(self.name, self.retry_after())
            self._trial_epoch = self._state_clock.epoch
            return _Ticket(self._state_clock.epoch, trial=True)
        return _Ticket(self._state_clock.epoch, trial=False)

    def _settle(self, ticket: _Ticket, error: Exception | None) -> None:
        self._release(ticket)
        if ticket.epoch != self._state_clock.epoch:
            return  # the breaker moved on while this call was out; its verdict is stale
        if error is None:
            self.breaker.call(_returns)
            return
        traceback = error.__traceback__
        try:
            self.breaker.call(_raises, error)
        except Exception as replayed:
            if replayed is not error:
                raise
        finally:
            # pybreaker re-raised it; keep the traceback pointing at the remote call, not at us.
            error.with_traceback(traceback)

    def _release(self, ticket: _Ticket) -> None:
        if ticket.trial and self._trial_epoch == ticket.epoch:
            self._trial_epoch = None

    def _trial_in_flight(self) -> bool:
        return self._trial_epoch is not None and self._trial_epoch == self._state_clock.epoch

    def _open_remaining(self) -> float:
        opened_at = self._state_clock.opened_at
        if opened_at is None:
            return 0.0
        return opened_at + self.breaker.reset_timeout - self._clock()

    def __repr__(self) -> str:
        return f"AsyncCircuitBreaker(name={self.name!r}, state={self.state!r}, failures={self.fail_counter})"


def _exclusion(item: Exclusion) -> Exclusion:
    """pybreaker treats an exclusion as a class only when `type(item) is type`; an exception class
    with a metaclass (ABCMeta, say) is then *called* as a predicate, builds an instance, is truthy,
    and so excludes every exception. Such classes become an explicit isinstance test."""
    if isinstance(item, type) and type(item) is not type:
        cls = item
        return lambda error: isinstance(error, cls)
    return item


def _returns() -> None:
    return None


def _raises(error: BaseException) -> None:
    raise error
