"""What both buses promise, each over SQLite and PostgreSQL: committed messages only, once when all is
well, retried after the delay tiers, parked after the last one (or at once on Permanent), requeued."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio

from servers.messaging import RabbitBus
from servers.messaging.bus import Bus
from tests.integration.test_messaging_support import (
    DRAIN,
    FAST,
    Recorder,
    delete_topology,
    make_bus,
    outbox_statuses,
    send,
)

TOPIC = "partner.delivery"


@pytest.fixture(params=["embedded", "rabbit"])
def amqp(request) -> str | None:
    return request.getfixturevalue("amqp_url") if request.param == "rabbit" else None


@pytest_asyncio.fixture
async def start_bus(db, amqp) -> AsyncIterator[Callable]:
    buses: list[Bus] = []

    async def start(handlers: dict, **options) -> Bus:
        bus = make_bus(db, amqp, handlers, **options)
        await bus.start()
        buses.append(bus)
        return bus

    yield start
    for bus in buses:
        await bus.stop(grace=1)
        if isinstance(bus, RabbitBus):
            await delete_topology(amqp, bus, [TOPIC])


async def test_a_message_enqueued_in_a_rolled_back_transaction_is_never_delivered(db, start_bus):
    handler = Recorder()
    bus = await start_bus({TOPIC: handler})
    with pytest.raises(RuntimeError):
        async with db.unit_of_work() as uow:
            await bus.enqueue(uow, TOPIC, "hotel:h1", {"booking": "rolled-back"})
            raise RuntimeError("the booking failed after the enqueue")
    await send(db, bus, TOPIC, {"booking": "committed"}, key="hotel:h1")
    await bus.drain(DRAIN)
    assert [d.message.payload for d in handler.deliveries] == [{"booking": "committed"}]


async def test_a_committed_message_is_delivered_once(db, start_bus):
    handler = Recorder()
    bus = await start_bus({TOPIC: handler})
    message_id = await send(db, bus, TOPIC, {"booking": "b-1", "rooms": 2}, key="hotel:h1")
    await bus.drain(DRAIN)
    assert len(handler.deliveries) == 1
    delivered = handler.deliveries[0].message
    assert (delivered.id, delivered.topic, delivered.key) == (message_id, TOPIC, "hotel:h1")
    assert (delivered.payload, delivered.attempt) == ({"booking": "b-1", "rooms": 2}, 1)
    assert await outbox_statuses(db) == {message_id: "published"}


async def test_a_handler_failing_twice_succeeds_on_attempt_3_after_the_tier_delays(db, start_bus):
    handler = Recorder(failures=2)
    bus = await start_bus({TOPIC: handler})
    await send(db, bus, TOPIC, {"booking": "b-1"})
    await bus.drain(DRAIN)
    assert handler.attempts == [1, 2, 3]
    # Two retries, three tiers: the handler succeeds before the last tier is ever waited, so it pairs with nothing.
    for gap, tier in zip(handler.gaps, FAST.tiers, strict=False):
        assert tier * 0.9 <= gap < tier + 1.0, (handler.gaps, FAST.tiers)
    assert await bus.parked(TOPIC) == []


async def test_a_handler_that_always_fails_parks_the_message_and_requeue_delivers_it_again(db, start_bus):
    handler = Recorder(failures=10**6)
    bus = await start_bus({TOPIC: handler})
    message_id = await send(db, bus, TOPIC, {"booking": "b-9"}, key="hotel:h9")
    await bus.drain(DRAIN)
    assert handler.attempts == [1, 2, 3, 4]
    assert sum(handler.gaps) >= sum(FAST.tiers) * 0.9
    [parked] = await bus.parked(TOPIC)
    assert (parked.id, parked.key, parked.payload) == (message_id, "hotel:h9", {"booking": "b-9"})
    assert "partner unavailable" in parked.last_error
    assert len(await bus.parked(TOPIC)) == 1  # looking does not take it away

    handler.failures = 0
    assert await bus.requeue_parked(TOPIC) == 1
    await bus.drain(DRAIN)
    assert handler.attempts == [1, 2, 3, 4, 1]
    assert handler.deliveries[-1].message.payload == {"booking": "b-9"}
    assert await bus.parked(TOPIC) == []


async def test_a_permanent_failure_parks_the_message_at_once(db, start_bus):
    handler = Recorder(permanent=True)
    bus = await start_bus({TOPIC: handler})
    message_id = await send(db, bus, TOPIC, {"booking": "b-2"})
    await bus.drain(DRAIN)
    assert handler.attempts == [1]
    [parked] = await bus.parked(TOPIC)
    assert parked.id == message_id and "Permanent" in parked.last_error
