"""Helpers shared by the messaging tests (no tests here): recording handlers, sending, RabbitMQ chores."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import aio_pika
from sqlalchemy import select

from servers.messaging import EmbeddedBus, Message, Permanent, RabbitBus, RetryPolicy
from servers.messaging.bus import Bus
from servers.storage.database import Database
from servers.storage.tables import outbox

# Tiny tiers: attempt 2 after 0.1 s, 3 after 0.2 s more, 4 after 0.4 s more, then parked.
FAST = RetryPolicy(tiers=(0.1, 0.2, 0.4))
DRAIN = 15.0


@dataclass
class Delivery:
    message: Message
    at: float


@dataclass
class Recorder:
    """A handler that records every delivery and fails the first `failures` of them (or always)."""

    failures: int = 0
    permanent: bool = False
    delay: float = 0.0
    deliveries: list[Delivery] = field(default_factory=list)

    async def __call__(self, message: Message) -> None:
        self.deliveries.append(Delivery(message, time.monotonic()))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.permanent:
            raise Permanent("the partner refused the payload (422)")
        if len(self.deliveries) <= self.failures:
            raise RuntimeError(f"partner unavailable (failure {len(self.deliveries)})")

    @property
    def attempts(self) -> list[int]:
        return [d.message.attempt for d in self.deliveries]

    @property
    def gaps(self) -> list[float]:
        times = [d.at for d in self.deliveries]
        return [b - a for a, b in itertools.pairwise(times)]


async def send(db: Database, bus: Bus, topic: str, payload: dict, key: str = "k", commit: bool = True) -> int:
    async with db.unit_of_work() as uow:
        message_id = await bus.enqueue(uow, topic, key, payload)
        if commit:
            await uow.commit()
    return message_id


async def outbox_statuses(db: Database) -> dict[int, str]:
    async with db.reading() as connection:
        rows = (await connection.execute(select(outbox.c.id, outbox.c.status))).all()
    return {row.id: row.status for row in rows}


def make_bus(db: Database, amqp_url: str | None, handlers: dict, policy: RetryPolicy = FAST, **options) -> Bus:
    if amqp_url is None:
        bus: Bus = EmbeddedBus(db, policy, poll_interval=options.pop("poll_interval", 0.05), **options)
    else:
        relay = {"poll_interval": 0.05, "retry_seconds": 0.2, **options.pop("relay", {})}
        prefix = f"t-{uuid.uuid4().hex[:10]}"
        bus = RabbitBus(db, amqp_url, policy, prefix=prefix, reconnect_interval=0.2, relay=relay, **options)
    for topic, handler in handlers.items():
        bus.register(topic, handler)
    return bus


async def delete_topology(amqp_url: str, bus: RabbitBus, topics: list[str]) -> None:
    """Test queues are durable: remove them (the session vhost goes too, but not the shared '/')."""
    connection = await aio_pika.connect(amqp_url, timeout=10)
    async with connection:
        channel = await connection.channel()
        for topic in topics:
            for name, _ in bus.topology.queues(topic):
                await channel.queue_delete(name)
        await channel.exchange_delete(bus.topology.exchange)


def vhost_of(amqp_url: str) -> str:
    return unquote(urlsplit(amqp_url).path[1:]) or "/"


async def cut_connections(amqp_url: str, bus: RabbitBus) -> None:
    """The broker closes the bus's connection (rabbitmqctl, as an operator or a node restart would);
    without rabbitmqctl (or on the shared '/' vhost), the client's transport is closed under it."""
    ctl = shutil.which("rabbitmqctl")
    vhost = vhost_of(amqp_url)
    if ctl and vhost != "/":
        process = await asyncio.create_subprocess_exec(
            ctl, "-q", "close_all_connections", "--vhost", vhost, "test: connection cut",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await process.communicate()
        assert process.returncode == 0, stderr
        return
    await bus.connection.transport.connection.close(ConnectionError("test: connection cut"))  # type: ignore[union-attr]
