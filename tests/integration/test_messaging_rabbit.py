"""The RabbitMQ bus against a real broker: confirms and topology, a relay crash, a connection cut."""

from __future__ import annotations

import asyncio
import time

import aio_pika
import pytest
import pytest_asyncio
from aio_pika.exceptions import ChannelPreconditionFailed

from servers.messaging import Message, RabbitBus
from tests.integration.test_messaging_support import (
    DRAIN,
    Recorder,
    cut_connections,
    delete_topology,
    make_bus,
    outbox_statuses,
    send,
)

TOPIC = "partner.delivery"
UNCONSUMED = "cache.refresh"


@pytest_asyncio.fixture
async def buses(db, amqp_url):
    """make(handlers, **options) → a started RabbitBus; all stopped and their queues deleted afterwards."""
    started: list[RabbitBus] = []

    async def make(handlers: dict, **options) -> RabbitBus:
        bus = make_bus(db, amqp_url, handlers, **options)
        started.append(bus)
        await bus.start()
        return bus

    yield make
    for bus in started:
        await bus.stop(grace=1)
        await delete_topology(amqp_url, bus, [TOPIC, UNCONSUMED])


async def _broker_channel(amqp_url: str):
    connection = await aio_pika.connect(amqp_url, timeout=10)
    return connection, await connection.channel()


async def test_the_bus_publishes_with_confirms_and_declares_work_delay_and_parking_queues(db, amqp_url, buses):
    bus = await buses({TOPIC: Recorder()})
    assert bus.publisher.publisher_confirms
    prefix = bus.topology.prefix
    work = f"{prefix}.{TOPIC}"
    expected = {
        f"{prefix}.{TOPIC}.retry.{n}": {
            "x-message-ttl": ttl, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": work,
        }
        for n, ttl in ((1, 100), (2, 200), (3, 400))
    }
    connection, channel = await _broker_channel(amqp_url)
    async with connection:
        await channel.declare_exchange(prefix, passive=True)
        for name in [work, *expected, f"{prefix}.{TOPIC}.parked"]:
            await channel.declare_queue(name, passive=True)
        # Passive declares cannot show arguments; a redeclaration must match them exactly.
        await channel.declare_queue(work, durable=True)
        await channel.declare_queue(f"{prefix}.{TOPIC}.parked", durable=True)
        for name, arguments in expected.items():
            await channel.declare_queue(name, durable=True, arguments=arguments)
        with pytest.raises(ChannelPreconditionFailed):
            wrong = {**expected[f"{prefix}.{TOPIC}.retry.1"], "x-message-ttl": 5000}
            await channel.declare_queue(f"{prefix}.{TOPIC}.retry.1", durable=True, arguments=wrong)


async def test_the_relay_publishes_persistent_messages_even_for_a_topic_nobody_consumes_yet(db, amqp_url, buses):
    bus = await buses({TOPIC: Recorder()})
    message_id = await send(db, bus, UNCONSUMED, {"night": "2026-12-01"}, key="hotel:h1")
    await bus.drain(DRAIN)
    assert (await outbox_statuses(db))[message_id] == "published"
    connection, channel = await _broker_channel(amqp_url)
    async with connection:
        queue = await channel.declare_queue(bus.topology.work(UNCONSUMED), passive=True)
        incoming = await queue.get(no_ack=True, timeout=5)
    assert incoming.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert incoming.message_id == str(message_id)
    assert incoming.headers["x-hotelagg-attempt"] == 1 and incoming.headers["x-hotelagg-key"] == "hotel:h1"


async def test_a_relay_crash_after_publishing_delivers_again_and_the_idempotent_handler_applies_once(
    db, amqp_url, buses
):
    deliveries: list[int] = []
    applied: set[int] = set()

    async def idempotent_handler(message: Message) -> None:
        deliveries.append(message.id)
        applied.add(message.id)  # a set: applying twice changes nothing

    bus = await buses({TOPIC: idempotent_handler}, relay={"lease_seconds": 0.3})
    mark_published, crashes = bus.relay.mark_published, []

    async def crash_before_the_first_mark(ids: list[int]) -> None:
        if ids and not crashes:
            crashes.append(ids)
            raise ConnectionError("the relay died after the broker confirmed")
        await mark_published(ids)

    bus.relay.mark_published = crash_before_the_first_mark
    message_id = await send(db, bus, TOPIC, {"booking": "b-1"})
    await bus.drain(DRAIN)
    assert crashes == [[message_id]]
    assert deliveries == [message_id, message_id]  # twice, never more
    assert applied == {message_id}
    assert await outbox_statuses(db) == {message_id: "published"}


async def _until(condition, timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        # Any state the test can read (a list the handlers fill, a broker's answer): no event to wait on.
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_the_bus_reconnects_after_the_broker_closes_its_connection_and_loses_nothing(db, amqp_url, buses):
    handler = Recorder(delay=0.02)
    bus = await buses({TOPIC: handler}, prefetch=4)
    reconnects: list[float] = []
    bus.connection.reconnect_callbacks.add(lambda *_: reconnects.append(time.monotonic()))
    sent: list[int] = []
    stop = asyncio.Event()

    async def produce() -> None:  # bookings one after another: before, during and after the outage
        while not stop.is_set():
            sent.append(await send(db, bus, TOPIC, {"n": len(sent)}, key=f"hotel:{len(sent) % 3}"))
            await asyncio.sleep(0.01)

    producer = asyncio.create_task(produce())
    await _until(lambda: len(handler.deliveries) >= 5)
    await cut_connections(amqp_url, bus)
    cut_at = time.monotonic()
    await _until(lambda: reconnects)
    await _until(lambda: any(d.at > reconnects[0] for d in handler.deliveries))
    await asyncio.sleep(0.1)
    stop.set()
    await producer
    await bus.drain(DRAIN)

    assert any(cut_at - 0.05 < d.at for d in handler.deliveries)
    assert {d.message.id for d in handler.deliveries} == set(sent)
    assert set((await outbox_statuses(db)).values()) == {"published"}
