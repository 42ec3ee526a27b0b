"""The outbox relay of the RabbitMQ bus: pending rows → the broker, with publisher confirms.

A cycle leases a batch of due rows (store.claim), publishes them and waits for the broker's
confirms, then marks the confirmed ones published. A crash between the confirm and the mark leaves
the rows pending: their lease runs out and they are published again. So a consumer can receive a
message twice (same message_id = outbox id) and must be idempotent; nothing committed is ever lost.
A row whose publication fails (broker away, nack, unroutable) is due again after `retry_seconds`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from servers.messaging import store
from servers.messaging.bus import describe
from servers.messaging.outbox import Message
from servers.storage.database import Database

log = logging.getLogger("hotelagg.messaging")

Publish = Callable[[Message], Awaitable[object]]


class Relay:
    def __init__(
        self,
        db: Database,
        publish: Publish,
        *,
        batch: int = 100,
        lease_seconds: float = 30.0,
        poll_interval: float = 0.5,
        retry_seconds: float = 1.0,
    ) -> None:
        self._db = db
        self._publish = publish
        self._batch = batch
        self._lease_seconds = lease_seconds
        self._poll_interval = poll_interval
        self._retry_seconds = retry_seconds
        self._wake = asyncio.Event()

    def notify(self) -> None:
        self._wake.set()

    async def run_forever(self) -> None:
        while True:
            self._wake.clear()
            relayed = 0
            try:
                relayed = await self.relay_once()
            except Exception:  # noqa: BLE001 - database or broker away: the next cycle retries
                log.exception("outbox relay cycle failed")
            if relayed < self._batch:
                try:  # asyncio.timeout: 3.11's wait_for can swallow stop()'s cancel (see EmbeddedBus._sleep)
                    async with asyncio.timeout(self._poll_interval):
                        await self._wake.wait()
                except TimeoutError:
                    pass

    async def relay_once(self) -> int:
        """Publishes one batch of due rows; returns how many were leased."""
        messages = await store.claim(self._db, limit=self._batch, lease_seconds=self._lease_seconds)
        if not messages:
            return 0
        # The first delivery of every message is attempt 1, whatever the relay's own tries.
        first = [Message(m.id, m.topic, m.key, m.payload) for m in messages]
        results = await asyncio.gather(*(self._publish(m) for m in first), return_exceptions=True)
        failed = [(m.id, describe(r)) for m, r in zip(first, results, strict=True) if isinstance(r, BaseException)]
        confirmed = [m.id for m, r in zip(first, results, strict=True) if not isinstance(r, BaseException)]
        await self.mark_published(confirmed)
        if failed:
            log.warning("publishing %d outbox messages failed, first: %s", len(failed), failed[0][1])
            await store.release(self._db, failed, self._retry_seconds)
        return len(messages)

    async def mark_published(self, ids: list[int]) -> None:
        # Only after the broker confirmed: a crash before this line republishes, never loses.
        await store.mark_published(self._db, ids)
