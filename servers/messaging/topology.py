"""RabbitMQ names, queue arguments and message encoding of the RabbitMQ bus (ARCHITECTURE §5 rule 5).

Per topic, with prefix "hotelagg":
  exchange  hotelagg                  direct, durable; the relay publishes with routing key = topic
  work      hotelagg.{topic}          durable, bound to the exchange with routing key = topic
  delay     hotelagg.{topic}.retry.N  durable, x-message-ttl = tier N, dead-lettered through the default
                                      exchange straight back to the work queue (not via the direct
                                      exchange, which would copy it to every queue bound to the topic)
  parking   hotelagg.{topic}.parked   durable, no TTL: messages wait there for a person

Broadcast topics ("broadcast.*": news every replica must hear, broadcast.py) have no queues of their own:
  exchange  hotelagg.broadcast        fanout, durable; the relay publishes there, routing key = topic
  replica   hotelagg.broadcast.{id}   exclusive, auto-delete: one per listening process, gone with it

Every message in a delay queue has the same TTL, so expiry order is arrival order. Changing a tier's
delay changes that queue's arguments: RabbitMQ refuses the redeclaration (PRECONDITION_FAILED) until
the old queue is drained and deleted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractMessage, AbstractQueue

from servers.messaging.bus import RetryPolicy
from servers.messaging.outbox import Message

ATTEMPT_HEADER = "x-hotelagg-attempt"
BROADCAST_PREFIX = "broadcast."
KEY_HEADER = "x-hotelagg-key"
ERROR_HEADER = "x-hotelagg-last-error"
_DEATH_HEADERS = ("x-death", "x-first-death-", "x-last-death-")


@dataclass(frozen=True)
class Topology:
    prefix: str
    policy: RetryPolicy

    @property
    def exchange(self) -> str:
        return self.prefix

    @property
    def broadcast_exchange(self) -> str:
        return f"{self.prefix}.broadcast"

    def replica_queue(self, replica: str) -> str:
        return f"{self.prefix}.broadcast.{replica}"

    def work(self, topic: str) -> str:
        return f"{self.prefix}.{topic}"

    def retry(self, topic: str, tier: int) -> str:
        """tier is 1-based: retry.1 delays attempt 2."""
        return f"{self.prefix}.{topic}.retry.{tier}"

    def parked(self, topic: str) -> str:
        return f"{self.prefix}.{topic}.parked"

    def retry_arguments(self, topic: str, tier: int) -> dict[str, Any]:
        return {
            "x-message-ttl": max(1, round(self.policy.tiers[tier - 1] * 1000)),
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": self.work(topic),
        }

    def queues(self, topic: str) -> list[tuple[str, dict[str, Any] | None]]:
        """Every queue of a topic with its arguments: work, the delay tiers, parking."""
        tiers = range(1, len(self.policy.tiers) + 1)
        return [
            (self.work(topic), None),
            *((self.retry(topic, n), self.retry_arguments(topic, n)) for n in tiers),
            (self.parked(topic), None),
        ]


def is_broadcast(topic: str) -> bool:
    """A topic every listening replica receives a copy of (no work queue, no retries, no parking)."""
    return topic.startswith(BROADCAST_PREFIX)


def check_broadcast(topic: str) -> str:
    if not is_broadcast(topic):
        raise ValueError(f"topic {topic!r}: a broadcast topic starts with {BROADCAST_PREFIX!r}")
    return topic


async def declare_broadcast(channel: AbstractChannel, topology: Topology) -> aio_pika.abc.AbstractExchange:
    return await channel.declare_exchange(topology.broadcast_exchange, aio_pika.ExchangeType.FANOUT, durable=True)


async def declare(channel: AbstractChannel, topology: Topology, topic: str) -> AbstractQueue:
    """Declares (idempotently) the exchange and every queue of a topic; returns the work queue."""
    exchange = await channel.declare_exchange(topology.exchange, aio_pika.ExchangeType.DIRECT, durable=True)
    queues = [await channel.declare_queue(name, durable=True, arguments=arguments)
              for name, arguments in topology.queues(topic)]
    await queues[0].bind(exchange, routing_key=topic)
    return queues[0]


def encode(message: Message) -> aio_pika.Message:
    """Persistent, with the outbox id as message_id (the consumers' dedupe key)."""
    headers: dict[str, Any] = {ATTEMPT_HEADER: message.attempt, KEY_HEADER: message.key}
    if message.last_error:
        headers[ERROR_HEADER] = message.last_error
    return aio_pika.Message(
        json.dumps(message.payload, separators=(",", ":")).encode(),
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=str(message.id),
        headers=headers,
    )


def decode(incoming: AbstractMessage, topic: str) -> Message:
    """Raises ValueError on a message this bus did not write (it cannot be handled: park it)."""
    headers = incoming.headers or {}
    payload = json.loads(incoming.body)
    if not isinstance(payload, dict) or incoming.message_id is None:
        raise ValueError("not an outbox message: a JSON object body and a message_id are required")
    error = headers.get(ERROR_HEADER)
    return Message(
        id=int(incoming.message_id),
        topic=topic,
        key=str(headers.get(KEY_HEADER, "")),
        payload=payload,
        attempt=header_int(headers.get(ATTEMPT_HEADER, 1)),
        last_error=error.decode() if isinstance(error, bytes) else None if error is None else str(error),
    )


def header_int(value: object) -> int:
    """A number header as int() reads it: another producer may send it as text or bytes; a value that is
    no number raises TypeError (or ValueError) as int() would."""
    if isinstance(value, int | float | str | bytes | bytearray | Decimal):
        return int(value)
    raise TypeError(f"not a number header: {type(value).__name__}")


def forward(incoming: AbstractMessage, attempt: int, error: str | None) -> aio_pika.Message:
    """A copy of a delivered message for a delay or parking queue, body untouched, attempt updated."""
    headers = dict(incoming.headers or {})
    headers[ATTEMPT_HEADER] = attempt
    if error is None:
        headers.pop(ERROR_HEADER, None)
    else:
        headers[ERROR_HEADER] = error
    for name in [name for name in headers if name.startswith(_DEATH_HEADERS)]:
        del headers[name]  # RabbitMQ's own dead-letter history: our attempt header says it all
    return aio_pika.Message(
        incoming.body,
        content_type=incoming.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=incoming.message_id,
        headers=headers,
    )
