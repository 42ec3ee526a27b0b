"""What both buses offer: a handler per topic, delayed and bounded retries, a parking place.

A handler is `async (Message) -> None`. Returning means done. Raising any exception means "try again
later": the message comes back after the next delay of the RetryPolicy, and is parked once the last
tier has failed too. Raising `Permanent` parks it at once (retrying cannot help: a malformed payload,
a 4xx from a partner). Parked messages wait for a person: `parked(topic)`, then `requeue_parked(topic)`.

Delivery is at least once on both buses: a handler must be idempotent, keyed on `Message.id`.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from servers.messaging import outbox
from servers.messaging.outbox import Message
from servers.storage.database import UnitOfWork

Handler = Callable[[Message], Awaitable[None]]

_ERROR_LENGTH = 2000


class Permanent(Exception):
    """Raised by a handler when no retry can succeed: the message is parked at once."""


@dataclass(frozen=True)
class RetryPolicy:
    """tiers[i] is the wait before attempt i + 2; after attempt len(tiers) + 1 fails, the message is parked."""

    tiers: tuple[float, ...] = (5, 30, 300)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tiers", tuple(float(t) for t in self.tiers))
        if any(t <= 0 for t in self.tiers):
            raise ValueError("retry delays must be positive")

    @property
    def max_attempts(self) -> int:
        return len(self.tiers) + 1

    def delay_after(self, attempt: int) -> float | None:
        """The wait before the next attempt once `attempt` (1-based) failed; None: park it."""
        return self.tiers[attempt - 1] if 1 <= attempt <= len(self.tiers) else None


@dataclass(frozen=True)
class Outcome:
    """What becomes of a message once its handler ran."""

    action: Literal["done", "retry", "park"]
    delay: float = 0.0
    error: str | None = None


def describe(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= _ERROR_LENGTH else text[: _ERROR_LENGTH - 1] + "…"


def decide(policy: RetryPolicy, attempt: int, error: BaseException | None) -> Outcome:
    if error is None:
        return Outcome("done")
    delay = None if isinstance(error, Permanent) else policy.delay_after(attempt)
    if delay is None:
        return Outcome("park", error=describe(error))
    return Outcome("retry", delay=delay, error=describe(error))


async def run_handler(handler: Handler, message: Message) -> BaseException | None:
    """The handler's failure, or None; cancellation is not a failure and propagates."""
    try:
        await handler(message)
    except Exception as error:  # noqa: BLE001 - any failure of a handler means retry or park
        return error
    return None


class Bus(abc.ABC):
    """The interface of the embedded bus and the RabbitMQ bus."""

    def __init__(self, policy: RetryPolicy | None = None) -> None:
        self.policy = policy or RetryPolicy()
        self._handlers: dict[str, Handler] = {}
        self._started = False

    def register(self, topic: str, handler: Handler) -> None:
        """One handler per topic, registered before start()."""
        if self._started:
            raise RuntimeError("register handlers before start()")
        if topic in self._handlers:
            raise ValueError(f"topic {topic!r} already has a handler")
        self._handlers[outbox.check_topic(topic)] = handler

    async def enqueue(
        self, uow: UnitOfWork, topic: str, key: str, payload: dict[str, Any], delay_seconds: float = 0
    ) -> int:
        """outbox.enqueue, and a wake-up of this bus once the caller commits (no poll latency)."""
        message_id = await outbox.enqueue(uow, topic, key, payload, delay_seconds)
        uow.after_commit(self.notify)
        return message_id

    async def __aenter__(self) -> Bus:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @abc.abstractmethod
    async def start(self) -> None: ...

    @abc.abstractmethod
    async def stop(self, grace: float = 10.0) -> None:
        """Stops taking messages; handlers in flight get up to `grace` seconds to finish."""

    @abc.abstractmethod
    async def notify(self) -> None:
        """Something was committed to the outbox: look now (pass to uow.after_commit)."""

    @abc.abstractmethod
    async def drain(self, timeout: float) -> None:
        """Waits until nothing is pending, scheduled for retry or in flight; TimeoutError otherwise."""

    @abc.abstractmethod
    async def parked(self, topic: str, limit: int = 100) -> list[Message]:
        """The parked messages of a topic (left in place), oldest first, with their last error."""

    @abc.abstractmethod
    async def requeue_parked(self, topic: str) -> int:
        """Sends every parked message of a topic back to work with a fresh retry budget; returns how many."""
