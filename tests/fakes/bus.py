"""The retry queue, kept as a list: what was put on it, by topic and key. Nothing is delivered by
itself; a test hands a message to its handler when it wants to (deliver)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from servers.messaging.bus import RetryPolicy


@dataclass(frozen=True)
class QueuedMessage:
    topic: str
    key: str
    payload: dict
    delay_seconds: float = 0.0


@dataclass
class FakeBus:
    queued: list[QueuedMessage] = field(default_factory=list)
    handlers: dict[str, Any] = field(default_factory=dict)
    # The delay tiers a handler reads to tell a retry from a park (the real bus's policy).
    policy: RetryPolicy = field(default_factory=RetryPolicy)

    def register(self, topic: str, handler) -> None:
        self.handlers[topic] = handler

    async def enqueue(self, uow, topic: str, key: str, payload: dict[str, Any], delay_seconds: float = 0) -> int:
        self.queued.append(QueuedMessage(topic, key, dict(payload), delay_seconds))
        return len(self.queued)

    def topics(self) -> list[str]:
        return [message.topic for message in self.queued]

    async def deliver(self, handler=None) -> int:
        """Hands every queued message to its handler (or `handler`), oldest first; returns how many."""
        messages, self.queued = self.queued, []
        for message in messages:
            await (handler or self.handlers[message.topic])(message)
        return len(messages)
