"""The embedded bus: the outbox table itself is the queue (ARCHITECTURE §5 rule 5, embedded mode).

One dispatcher loop claims due rows (store.claim, under a lease), runs their handlers as tasks, and
settles each one: published when done, rescheduled after the next retry tier, or parked. It wakes at
once on notify() (a commit that enqueued) and when a handler finishes; otherwise it polls, which also
picks up rows other processes enqueued.

Per-key order: only the oldest unfinished message of a (topic, key) is ever claimed, so messages with
the same key run one at a time, in id order, in this process and across processes. A message that is
waiting for a retry holds back the ones behind it; a parked one stops doing so. Ids follow commit order
when the enqueuing transactions are serialized (always on SQLite; on PostgreSQL when they lock the same
row, which is how a state change and its messages are normally written).

Several buses may run over one PostgreSQL database (FOR UPDATE SKIP LOCKED); on SQLite every claim
takes the write lock, which serializes them. Delivery is at least once: a worker that dies mid-handler
loses its lease and the message runs again once the lease expires.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from servers.messaging import store
from servers.messaging.bus import Bus, Outcome, RetryPolicy, decide, run_handler
from servers.messaging.outbox import Message
from servers.storage.database import Database

log = logging.getLogger("hotelagg.messaging")

_LOST_WORKER = "the lease of the last attempt ran out (its worker stopped or died)"


class EmbeddedBus(Bus):
    def __init__(
        self,
        db: Database,
        policy: RetryPolicy | None = None,
        poll_interval: float = 0.2,
        batch: int = 50,
        lease_seconds: float = 60.0,
    ) -> None:
        super().__init__(policy)
        if batch < 1 or poll_interval <= 0 or lease_seconds <= 0:
            raise ValueError("batch, poll_interval and lease_seconds must be positive")
        self._db = db
        self._poll_interval = poll_interval
        self._batch = batch
        self._lease_seconds = lease_seconds
        self._wake = asyncio.Event()
        self._in_flight: dict[int, asyncio.Task] = {}
        self._dispatcher: asyncio.Task | None = None

    async def start(self) -> None:
        if self._dispatcher is None:
            self._started = True
            self._dispatcher = asyncio.create_task(self._dispatch_forever(), name="embedded-bus")

    async def stop(self, grace: float = 10.0) -> None:
        """Stops claiming, lets handlers in flight finish for up to `grace` seconds, then cancels them."""
        dispatcher, self._dispatcher = self._dispatcher, None
        if dispatcher is not None:
            dispatcher.cancel()
            await asyncio.gather(dispatcher, return_exceptions=True)
        tasks = list(self._in_flight.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace)
            for task in late:  # their leases expire and they run again
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self._started = False

    async def notify(self) -> None:
        self._wake.set()

    async def drain(self, timeout: float) -> None:
        topics = list(self._handlers)
        async with asyncio.timeout(timeout):
            # Pending rows live in the outbox table, written by any process: no event here to wait on.
            while self._in_flight or await store.count_pending(self._db, topics):  # noqa: ASYNC110
                await asyncio.sleep(0.02)

    async def parked(self, topic: str, limit: int = 100) -> list[Message]:
        return await store.parked_rows(self._db, topic, limit)

    async def requeue_parked(self, topic: str) -> int:
        count = await store.requeue_parked_rows(self._db, topic)
        self._wake.set()
        return count

    async def _dispatch_forever(self) -> None:
        while True:
            self._wake.clear()
            room = self._batch - len(self._in_flight)
            claimed = 0
            try:
                claimed = await self._claim_and_spawn(room)
            except Exception:  # noqa: BLE001 - the database may be briefly away; the next poll retries
                log.exception("claiming outbox messages failed")
            if claimed < room or room <= 0:
                await self._sleep()

    async def _claim_and_spawn(self, room: int) -> int:
        if room <= 0:
            return 0
        messages = await store.claim(
            self._db, limit=room, lease_seconds=self._lease_seconds, topics=list(self._handlers), heads_only=True
        )
        for message in messages:
            task = asyncio.create_task(self._deliver(message), name=f"outbox-{message.id}")
            self._in_flight[message.id] = task
            task.add_done_callback(partial(self._finished, message.id))
        return len(messages)

    def _finished(self, message_id: int, _task: asyncio.Task[None]) -> None:
        self._in_flight.pop(message_id, None)
        self._wake.set()  # room for more, and the next message of that key may now run

    async def _sleep(self) -> None:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancel that arrives while the
        # wake-up is being set (a handler finishing as stop() cancels us), and the loop then never ends.
        try:
            async with asyncio.timeout(self._poll_interval):
                await self._wake.wait()
        except TimeoutError:
            pass

    async def _deliver(self, message: Message) -> None:
        try:
            outcome = await self._run(message)
            if not await store.settle(self._db, message, outcome):
                log.warning("outbox message %s was claimed again before it settled", message.id)
            elif outcome.action == "retry":
                asyncio.get_running_loop().call_later(outcome.delay, self._wake.set)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - unsettled: the lease runs out and the message runs again
            log.exception("settling outbox message %s failed", message.id)

    async def _run(self, message: Message) -> Outcome:
        if message.attempt > self.policy.max_attempts:
            return Outcome("park", error=_LOST_WORKER)
        keeper = asyncio.create_task(self._keep_leased(message))
        try:
            error = await run_handler(self._handlers[message.topic], message)
        finally:
            keeper.cancel()
        if error is not None:
            log.warning("handler of %s failed on attempt %s: %r", message.topic, message.attempt, error)
        return decide(self.policy, message.attempt, error)

    async def _keep_leased(self, message: Message) -> None:
        """A handler slower than the lease keeps its claim (no second worker starts it meanwhile)."""
        while True:
            await asyncio.sleep(self._lease_seconds / 2)
            try:
                await store.extend_lease(self._db, message, self._lease_seconds)
            except Exception:  # noqa: BLE001 - best effort; the next round tries again
                log.exception("extending the lease of outbox message %s failed", message.id)
