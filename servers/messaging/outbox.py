"""The transactional outbox: an outbound message is a row written in the caller's transaction.

Nothing is sent before it is committed (ARCHITECTURE §5 rule 4): a rolled-back transaction takes its
messages with it, and a committed one keeps them until a bus has delivered them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, insert

from servers.runtime.clock import SYSTEM_CLOCK
from servers.storage.database import UnitOfWork
from servers.storage.tables import outbox

# Topics become RabbitMQ queue names ("{prefix}.{topic}.retry.1"), so they stay plain.
_TOPIC = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,79}$")
# The column's own length, so the check and the table cannot drift apart.
_KEY_TYPE = outbox.c.message_key.type
assert isinstance(_KEY_TYPE, String) and _KEY_TYPE.length is not None
_KEY_LENGTH = _KEY_TYPE.length


@dataclass(frozen=True)
class Message:
    """One delivery of an outbox message to a handler.

    `id` is the outbox row id on both buses and stays the same on every delivery, retry and
    re-publication: handlers dedupe on it (deliveries are at least once).
    """

    id: int
    topic: str
    key: str
    payload: dict[str, Any]
    # 1 on the first delivery; a handler may behave differently on the last one.
    attempt: int = 1
    # Why the previous attempt failed (set on retries and on parked messages).
    last_error: str | None = None


def utcnow() -> datetime:
    """The outbox's time: the system clock, always. Its leases, retry delays and due times are paced by
    the event loop's real sleeps (a bus polls, a lease runs out while a handler works), so a clock that
    moved only when told would disagree with them; the rules built on messages take a Clock instead."""
    return SYSTEM_CLOCK.now()


def check_topic(topic: str) -> str:
    if not _TOPIC.match(topic):
        raise ValueError(f"topic {topic!r}: lower-case letters, digits, '_', '.', '-' (at most 80)")
    return topic


async def enqueue(
    uow: UnitOfWork, topic: str, key: str, payload: dict[str, Any], delay_seconds: float = 0
) -> int:
    """Writes a message in the caller's transaction; returns its id. Delivered only if the caller commits.

    Messages of one topic with the same key are handled in order on the embedded bus.
    """
    check_topic(topic)
    if not key or len(key) > _KEY_LENGTH:
        raise ValueError(f"key must be 1 to {_KEY_LENGTH} characters")
    if delay_seconds < 0:
        raise ValueError("delay_seconds must not be negative")
    now = utcnow()
    result = await uow.connection.execute(
        insert(outbox).values(
            topic=topic,
            message_key=key,
            payload=payload,
            status="pending",
            attempts=0,
            available_at=now + timedelta(seconds=delay_seconds),
            created_at=now,
        )
    )
    inserted = result.inserted_primary_key
    assert inserted is not None  # an INSERT of one row always has its key
    return int(inserted[0])
