"""News every replica must hear (ARCHITECTURE §5 rule 4, issue 10): a committed inventory change, a new
room type. Written to the outbox in the transaction that makes it, relayed (publisher confirms) to the
fanout exchange, and copied by RabbitMQ into each listening replica's own exclusive, auto-delete queue.

The replica that wrote a piece of news has already handed it on in-process after its commit (no wait
for the broker), so it skips the copies that come back to it: the payload names its `origin`. A
re-published row (a relay that crashed between confirm and mark) arrives twice with one message id:
the last ids seen are remembered and a repeat is dropped. Copies are handled one at a time in arrival
order; what arrives out of order (two relays racing) is the handler's to order, by the versions its
payload carries.

While a replica is disconnected its queue is gone (auto-delete) and the news of that time with it:
what hears it must tolerate a gap: handlers given to `on_gap` run once the connection is back (the
hub cuts its WatchInventory streams loose, they resubscribe and re-read; the directory forgets; a
process's own cache heals by its TTL, and Redis was written by the change's maker).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from servers.messaging.bus import RetryPolicy
from servers.messaging.rabbit import RabbitBus
from servers.messaging.topology import check_broadcast, declare_broadcast, decode
from servers.storage.database import Database, UnitOfWork

log = logging.getLogger("hotelagg.messaging")

News = Callable[[dict[str, Any]], Awaitable[None]]
ORIGIN = "origin"


class Broadcast:
    def __init__(self, db: Database, amqp_url: str, prefix: str, policy: RetryPolicy, *,
                 replica: str | None = None, remember: int = 10_000) -> None:
        self.replica = replica or uuid.uuid4().hex[:16]
        # A bus with no handlers of its own: its relay publishes the outbox (every topic, as any relay
        # does, declaring their queues: hence the process's own retry policy, or RabbitMQ refuses the
        # delay queues' arguments), its connection carries our listening channel.
        self.bus = RabbitBus(db, amqp_url, policy, prefix=prefix)
        self._handlers: dict[str, News] = {}
        self._gap_handlers: list[Callable[[], None]] = []
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._remember = remember
        self._arrived: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        self._channel: AbstractChannel | None = None
        self._worker: asyncio.Task | None = None

    def on(self, topic: str, handler: News) -> None:
        """One handler per broadcast topic, registered before start()."""
        if topic in self._handlers:
            raise ValueError(f"topic {topic!r} already has a handler")
        self._handlers[check_broadcast(topic)] = handler

    def on_gap(self, handler: Callable[[], None]) -> None:
        """Called when the connection to the broker came back: news sent meanwhile never reached us."""
        self._gap_handlers.append(handler)

    async def send(self, uow: UnitOfWork, topic: str, key: str, payload: dict[str, Any]) -> int:
        """Writes the news in the caller's transaction; relayed once it commits."""
        return await self.bus.enqueue(uow, check_broadcast(topic), key, {**payload, ORIGIN: self.replica})

    async def start(self) -> None:
        await self.bus.start()
        connection = self.bus.connection
        assert connection is not None  # started above
        self._channel = await connection.channel()
        exchange = await declare_broadcast(self._channel, self.bus.topology)
        queue = await self._channel.declare_queue(self.bus.topology.replica_queue(self.replica),
                                                  exclusive=True, auto_delete=True)
        await queue.bind(exchange)
        await queue.consume(self._arrived.put, no_ack=True)
        connection.reconnect_callbacks.add(self.reconnected)
        self._worker = asyncio.create_task(self._hand_on(), name="broadcast-listener")

    async def stop(self, grace: float = 10.0) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None
        if self._channel is not None:
            with contextlib.suppress(Exception):  # the connection may be gone already
                await self._channel.close()
            self._channel = None
        await self.bus.stop(grace)

    def reconnected(self, *_: object) -> None:
        for handler in self._gap_handlers:
            try:
                handler()
            except Exception:  # noqa: BLE001 - one failing handler must not starve the others
                log.exception("a broadcast gap handler failed")

    async def _hand_on(self) -> None:
        while True:
            incoming = await self._arrived.get()
            await self.hear(incoming)

    async def hear(self, incoming: AbstractIncomingMessage) -> None:
        try:
            message = decode(incoming, incoming.routing_key or "")
        except ValueError:
            log.warning("a broadcast message this bus did not write: dropped")
            return
        if message.payload.get(ORIGIN) == self.replica or message.id in self._seen:
            return
        self._seen[message.id] = None
        if len(self._seen) > self._remember:
            self._seen.popitem(last=False)
        handler = self._handlers.get(message.topic)
        if handler is None:
            return
        try:
            await handler(message.payload)
        except Exception:  # noqa: BLE001 - news is best effort per replica: the next one still comes
            log.exception("handling broadcast %s failed", message.topic)
