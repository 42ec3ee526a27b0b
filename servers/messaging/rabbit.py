"""The RabbitMQ bus: the outbox relay, and a consumer per topic with delay-tier retries and parking.

Topology and message format: topology.py. The relay (relay.py) publishes committed outbox rows with
publisher confirms. The consumer acks a delivery once its handler returned; when the handler failed,
it first publishes the message (attempt + 1, confirmed) to the next delay queue, whose TTL
dead-letters it back to the work queue, or after the last tier to the parking queue, and only then
acks. A crash between that publish and the ack, or a connection lost before an ack, delivers the
message again: consumers are idempotent, keyed on Message.id (AMQP message_id = outbox id).

One robust connection (aio-pika connect_robust) carries a confirming publisher channel and a consumer
channel with a prefetch limit; after a connection loss it reconnects and restores exchanges, queues,
bindings, QoS and consumers. Publications that fail meanwhile stay in the outbox and go out later.
Per-key order is not kept on this bus (prefetch, several consumers and retries reorder it): a handler
that cares must compare a version carried in the payload.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustChannel, AbstractRobustConnection
from aio_pika.exceptions import AMQPError, ChannelNotFoundEntity

from servers.messaging import store
from servers.messaging.bus import Bus, Handler, Outcome, RetryPolicy, decide, describe, run_handler
from servers.messaging.outbox import Message
from servers.messaging.relay import Relay
from servers.messaging.topology import (
    ATTEMPT_HEADER,
    Topology,
    declare,
    declare_broadcast,
    decode,
    encode,
    forward,
    header_int,
    is_broadcast,
)
from servers.storage.database import Database

log = logging.getLogger("hotelagg.messaging")


class RabbitBus(Bus):
    def __init__(
        self,
        db: Database,
        amqp_url: str,
        policy: RetryPolicy | None = None,
        prefix: str = "hotelagg",
        *,
        prefetch: int = 32,
        reconnect_interval: float = 1.0,
        publish_timeout: float = 10.0,
        relay: dict | None = None,
    ) -> None:
        """relay: keyword arguments of Relay (batch, lease_seconds, poll_interval, retry_seconds)."""
        super().__init__(policy)
        self._db = db
        self._url = amqp_url
        self.topology = Topology(prefix, self.policy)
        self._prefetch = prefetch
        self._reconnect_interval = reconnect_interval
        self._publish_timeout = publish_timeout
        self.relay = Relay(db, self._publish_new, **(relay or {}))
        self.connection: AbstractRobustConnection | None = None
        self.publisher: AbstractChannel | None = None
        self._declared: set[str] = set()
        self._declaring = asyncio.Lock()
        self._handling: set[asyncio.Task] = set()
        self._consumers: list[tuple[aio_pika.abc.AbstractQueue, str]] = []
        self._relay_task: asyncio.Task | None = None

    async def start(self) -> None:
        """Connects, declares every registered topic, consumes, and starts the relay."""
        if self.connection is not None:
            return
        self.connection = await aio_pika.connect_robust(
            self._url, reconnect_interval=self._reconnect_interval,
            client_properties={"connection_name": f"{self.topology.prefix}-bus"},
        )
        try:
            await self._open_channels(self.connection)
        except BaseException:
            await self.connection.close()
            self.connection = self.publisher = None
            raise
        self._started = True
        self._relay_task = asyncio.create_task(self.relay.run_forever(), name="outbox-relay")

    async def _open_channels(self, connection: AbstractRobustConnection) -> None:
        # Confirms: a publish returns once the broker has the message; an unroutable one raises.
        self.publisher = await connection.channel(publisher_confirms=True, on_return_raises=True)
        consumer = await connection.channel()
        await consumer.set_qos(prefetch_count=self._prefetch)
        for topic, handler in self._handlers.items():
            await self._declare(topic)
            queue = await consumer.declare_queue(self.topology.work(topic), durable=True)
            tag = await queue.consume(partial(self._on_delivery, topic, handler))
            self._consumers.append((queue, tag))

    async def stop(self, grace: float = 10.0) -> None:
        """Stops consuming, lets handlers in flight finish (up to grace), stops the relay, disconnects."""
        for queue, tag in self._consumers:
            try:
                await queue.cancel(tag)
            except Exception:  # noqa: BLE001 - the channel may be gone already
                log.debug("cancelling consumer %s failed", tag, exc_info=True)
        self._consumers.clear()
        if self._handling:
            _, late = await asyncio.wait(set(self._handling), timeout=grace)
            for task in late:  # not acked: the broker delivers them again
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self._relay_task is not None:
            self._relay_task.cancel()
            await asyncio.gather(self._relay_task, return_exceptions=True)
            self._relay_task = None
        if self.connection is not None:
            await self.connection.close()
        self.connection = self.publisher = None
        self._declared.clear()
        self._started = False

    async def notify(self) -> None:
        self.relay.notify()

    async def _declare(self, topic: str) -> None:
        if topic in self._declared:
            return
        if self.publisher is None:
            raise RuntimeError("bus not started")
        async with self._declaring:
            if topic not in self._declared:
                if is_broadcast(topic):
                    await declare_broadcast(self.publisher, self.topology)
                else:
                    await declare(self.publisher, self.topology, topic)
                self._declared.add(topic)

    async def _publish_new(self, message: Message) -> None:
        """The relay's publish: to the direct exchange, routing key = topic, confirmed. A broadcast topic
        goes to the fanout exchange instead, not mandatory: no replica listening is no one to tell."""
        if self.publisher is None:
            raise RuntimeError("bus not started")
        await self._declare(message.topic)  # a topic no consumer declared yet still gets its queues
        if is_broadcast(message.topic):
            fanout = await self.publisher.get_exchange(self.topology.broadcast_exchange, ensure=False)
            await fanout.publish(encode(message), routing_key=message.topic, mandatory=False,
                                 timeout=self._publish_timeout)
            return
        exchange = await self.publisher.get_exchange(self.topology.exchange, ensure=False)
        await exchange.publish(encode(message), routing_key=message.topic, timeout=self._publish_timeout)

    async def _publish_to_queue(self, message: aio_pika.Message, queue: str) -> None:
        if self.publisher is None:
            raise RuntimeError("bus not started")
        await self.publisher.default_exchange.publish(message, routing_key=queue, timeout=self._publish_timeout)

    async def _on_delivery(self, topic: str, handler: Handler, incoming: AbstractIncomingMessage) -> None:
        task = asyncio.current_task()
        assert task is not None  # aio-pika runs each delivery's callback in a task of its own
        self._handling.add(task)
        try:
            outcome = await self._handle(topic, handler, incoming)
            if outcome.action != "done":
                await self._forward(topic, incoming, outcome)
            await incoming.ack()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - not acked: the broker delivers it again
            log.exception("consuming a message of %s failed", topic)
            await _nack(incoming)
        finally:
            self._handling.discard(task)

    async def _handle(self, topic: str, handler: Handler, incoming: AbstractIncomingMessage) -> Outcome:
        try:
            message = decode(incoming, topic)
        except ValueError as malformed:
            return Outcome("park", error=describe(malformed))
        error = await run_handler(handler, message)
        if error is not None:
            log.warning("handler of %s failed on attempt %s: %r", topic, message.attempt, error)
        return decide(self.policy, message.attempt, error)

    async def _forward(self, topic: str, incoming: AbstractIncomingMessage, outcome: Outcome) -> None:
        attempt = _attempt(incoming)
        if outcome.action == "retry":
            copy, queue = forward(incoming, attempt + 1, outcome.error), self.topology.retry(topic, attempt)
        else:
            copy, queue = forward(incoming, attempt, outcome.error), self.topology.parked(topic)
        await self._publish_to_queue(copy, queue)

    async def drain(self, timeout: float) -> None:
        """Waits until the outbox has nothing pending, the topics' work and delay queues are empty and no
        handler runs, twice in a row (a message being dead-lettered is briefly in no queue)."""
        quiet = 0
        async with asyncio.timeout(timeout):
            while quiet < 2:
                quiet = quiet + 1 if await self._idle() else 0
                await asyncio.sleep(0.03)

    async def _idle(self) -> bool:
        if self._handling or await store.count_pending(self._db):
            return False
        try:
            async with self._inspection() as channel:
                for topic in self._handlers:
                    for name, _ in self.topology.queues(topic)[:-1]:  # all but parking
                        queue = await channel.declare_queue(name, passive=True, robust=False)
                        if queue.declaration_result.message_count:
                            return False
        except (TimeoutError, AMQPError, ConnectionError):
            return False  # reconnecting: not idle yet
        return not self._handling

    def _inspection(self) -> AbstractRobustChannel:
        """A short-lived channel: closing it gives back every message taken from it and not acked."""
        if self.connection is None:
            raise RuntimeError("bus not started")
        return self.connection.channel(publisher_confirms=False)

    async def parked(self, topic: str, limit: int = 100) -> list[Message]:
        messages: list[Message] = []
        async with self._inspection() as channel:
            queue = await _parking(channel, self.topology.parked(topic))
            if queue is None:
                return []
            for _ in range(limit):
                incoming = await queue.get(no_ack=False, fail=False)
                if incoming is None:
                    break
                messages.append(_peek(incoming, topic))
        return messages  # the channel closed without acks: every message is back in the queue

    async def requeue_parked(self, topic: str) -> int:
        """Moves the parked messages present now to the work queue (attempt 1, confirmed before the ack)."""
        moved = 0
        async with self._inspection() as channel:
            queue = await _parking(channel, self.topology.parked(topic))
            if queue is None:
                return 0
            for _ in range(queue.declaration_result.message_count or 0):
                incoming = await queue.get(no_ack=False, fail=False)
                if incoming is None:
                    break
                await self._publish_to_queue(forward(incoming, 1, None), self.topology.work(topic))
                await incoming.ack()
                moved += 1
        return moved


async def _parking(channel: AbstractRobustChannel, name: str) -> aio_pika.abc.AbstractQueue | None:
    """The parking queue, or None if it was never declared (nothing of that topic was ever sent)."""
    try:
        return await channel.declare_queue(name, passive=True, robust=False)
    except ChannelNotFoundEntity:
        return None


def _attempt(incoming: AbstractIncomingMessage) -> int:
    try:
        return header_int((incoming.headers or {}).get(ATTEMPT_HEADER, 1))
    except (TypeError, ValueError):
        return 1


def _peek(incoming: AbstractIncomingMessage, topic: str) -> Message:
    try:
        return decode(incoming, topic)
    except ValueError:  # parked because it could not be read: show its body as it is
        return Message(0, topic, "", {"body": incoming.body.decode(errors="replace")}, _attempt(incoming))


async def _nack(incoming: AbstractIncomingMessage) -> None:
    try:
        await incoming.nack(requeue=True)
    except Exception:  # noqa: BLE001 - the channel is gone: the broker requeues it anyway
        log.debug("nack failed", exc_info=True)
