"""The embedded bus, where the outbox table is the queue: per-key order, several workers, wake-ups,
delays and leases, over SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict

from servers.messaging import EmbeddedBus, Message, RetryPolicy, store
from tests.integration.test_messaging_support import DRAIN, FAST, Recorder, outbox_statuses, send

TOPIC = "partner.delivery"


class KeyOrderRecorder:
    """Records the order each key's messages ran in and whether two of one key ever overlapped."""

    def __init__(self, fail_once: set[int] = frozenset()) -> None:
        self.seen: dict[str, list[int]] = defaultdict(list)
        self.running: set[str] = set()
        self.overlaps = 0
        self._fail_once = set(fail_once)

    async def __call__(self, message: Message) -> None:
        key = message.key
        if key in self.running:
            self.overlaps += 1
        self.running.add(key)
        try:
            await asyncio.sleep(random.uniform(0, 0.01))
            if message.payload["seq"] in self._fail_once:
                self._fail_once.discard(message.payload["seq"])
                raise RuntimeError("transient")
            self.seen[key].append(message.payload["seq"])
        finally:
            self.running.discard(key)


async def _send_interleaved(db, bus, keys: list[str], per_key: int) -> None:
    async with db.unit_of_work() as uow:
        for seq in range(per_key):
            for key in keys:
                await bus.enqueue(uow, TOPIC, key, {"seq": seq})
        await uow.commit()


async def test_messages_with_the_same_key_run_one_at_a_time_in_order_even_across_a_retry(db):
    handler = KeyOrderRecorder(fail_once={3})
    bus = EmbeddedBus(db, FAST, poll_interval=0.05)
    bus.register(TOPIC, handler)
    async with bus:
        await _send_interleaved(db, bus, ["hotel:a", "hotel:b", "hotel:c"], per_key=8)
        await bus.drain(DRAIN)
    assert handler.overlaps == 0
    assert dict(handler.seen) == {key: list(range(8)) for key in ("hotel:a", "hotel:b", "hotel:c")}


async def test_two_workers_on_one_database_deliver_each_message_once_in_key_order(db):
    handler = KeyOrderRecorder()
    workers = [EmbeddedBus(db, FAST, poll_interval=0.05, batch=5) for _ in range(2)]
    for worker in workers:
        worker.register(TOPIC, handler)
        await worker.start()
    try:
        keys = [f"hotel:{n}" for n in range(6)]
        await _send_interleaved(db, workers[0], keys, per_key=6)
        await asyncio.gather(*(worker.drain(DRAIN) for worker in workers))
    finally:
        for worker in workers:
            await worker.stop()
    assert handler.overlaps == 0
    assert dict(handler.seen) == {key: list(range(6)) for key in keys}
    assert set((await outbox_statuses(db)).values()) == {"published"}


async def test_a_commit_wakes_the_bus_at_once_instead_of_waiting_for_the_poll(db):
    handler = Recorder()
    bus = EmbeddedBus(db, FAST, poll_interval=30)
    bus.register(TOPIC, handler)
    async with bus:
        await asyncio.sleep(0.05)  # the dispatcher found nothing and is asleep
        started = time.monotonic()
        await send(db, bus, TOPIC, {"booking": "b-1"})
        await bus.drain(DRAIN)
    assert handler.attempts == [1]
    assert handler.deliveries[0].at - started < 1.0


async def test_a_delayed_message_waits_for_its_time(db):
    handler = Recorder()
    bus = EmbeddedBus(db, FAST, poll_interval=0.05)
    bus.register(TOPIC, handler)
    async with bus:
        started = time.monotonic()
        async with db.unit_of_work() as uow:
            await bus.enqueue(uow, TOPIC, "k", {"booking": "b-1"}, delay_seconds=0.3)
            await uow.commit()
        await bus.drain(DRAIN)
    assert handler.deliveries[0].at - started >= 0.3


async def test_a_message_whose_worker_died_runs_again_once_its_lease_expires(db):
    handler = Recorder()
    bus = EmbeddedBus(db, FAST, poll_interval=0.05)
    bus.register(TOPIC, handler)
    message_id = await send(db, bus, TOPIC, {"booking": "b-1"})
    # A worker claims it, then dies before settling.
    [claimed] = await store.claim(db, limit=10, lease_seconds=0.3, topics=[TOPIC], heads_only=True)
    assert (claimed.id, claimed.attempt) == (message_id, 1)
    async with bus:
        await asyncio.sleep(0.1)
        assert handler.deliveries == []  # still leased
        await bus.drain(DRAIN)
    assert handler.attempts == [2]


async def test_a_lost_last_attempt_is_parked_not_run_again(db):
    handler = Recorder()
    policy = RetryPolicy(tiers=(0.1,))
    bus = EmbeddedBus(db, policy, poll_interval=0.05)
    bus.register(TOPIC, handler)
    await send(db, bus, TOPIC, {"booking": "b-1"})
    for _ in range(policy.max_attempts):  # every attempt claimed by a worker that then died
        await store.claim(db, limit=10, lease_seconds=0.01, topics=[TOPIC])
        await asyncio.sleep(0.02)
    async with bus:
        await bus.drain(DRAIN)
    assert handler.deliveries == []
    [parked] = await bus.parked(TOPIC)
    assert "lease" in parked.last_error


async def test_messages_of_topics_without_a_handler_here_are_left_for_another_worker(db):
    handler = Recorder()
    bus = EmbeddedBus(db, FAST, poll_interval=0.05)
    bus.register(TOPIC, handler)
    async with bus:
        async with db.unit_of_work() as uow:
            other = await bus.enqueue(uow, "cache.refresh", "k", {"night": "2026-12-01"})
            mine = await bus.enqueue(uow, TOPIC, "k", {"booking": "b-1"})
            await uow.commit()
        await bus.drain(DRAIN)
    assert [d.message.id for d in handler.deliveries] == [mine]
    assert (await outbox_statuses(db))[other] == "pending"


async def test_stop_ends_the_dispatcher_even_when_a_wake_up_lands_in_the_same_turn(db):
    """On Python 3.11 asyncio.wait_for returns normally when its cancel arrives in the same turn as the
    wake-up it waits for; a dispatcher sleeping in one went round again and stop() waited forever."""
    bus = EmbeddedBus(db, FAST, poll_interval=30)
    bus.register(TOPIC, Recorder())
    await bus.start()
    await asyncio.sleep(0.2)  # nothing pending: the dispatcher sleeps out its poll interval
    await bus.notify()
    await asyncio.sleep(0)  # the wake-up reaches the sleeping dispatcher...
    async with asyncio.timeout(5):
        await bus.stop(grace=1)  # ...as stop() cancels it
