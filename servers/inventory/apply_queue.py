"""Webhooks of one hotel that arrive together are applied in one transaction.

A channel manager pushes many events at once, in parallel and out of order. Applied one transaction
each, they all queue on the hotel's cursor lock and each pays its own round trips and commit. Here the
events that arrive while a transaction runs go into the next one together, sorted by sequence, so a
burst costs a few transactions and a reordering inside a burst is no gap at all. Each webhook is still
answered only after the transaction holding its event has committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque

from sqlalchemy.engine import Row

from clients.channel_managers import ChannelEvent
from servers.inventory.mirror import Mirror
from servers.storage.database import Database

log = logging.getLogger("hotelagg.inventory.webhooks")

MAX_BATCH = 500


class ApplyQueue:
    def __init__(self, db: Database, mirror: Mirror) -> None:
        self.db = db
        self.mirror = mirror
        self._queues: dict[str, deque[tuple[ChannelEvent, asyncio.Future]]] = defaultdict(deque)
        self._workers: dict[str, asyncio.Task] = {}

    async def apply(self, hotel: Row, event: ChannelEvent) -> dict:
        """Applies (or records) the event; answers {"status": applied|waiting|duplicate, "last_sequence"}."""
        answer = asyncio.get_running_loop().create_future()
        self._queues[hotel.id].append((event, answer))
        if hotel.id not in self._workers:
            self._workers[hotel.id] = asyncio.create_task(self._drain(hotel))
        return await asyncio.shield(answer)

    async def _drain(self, hotel: Row) -> None:
        queue = self._queues[hotel.id]
        try:
            while queue:
                batch = [queue.popleft() for _ in range(min(len(queue), MAX_BATCH))]
                await self._apply_batch(hotel, batch)
        finally:
            del self._workers[hotel.id]
            if not queue:
                self._queues.pop(hotel.id, None)

    async def _apply_batch(self, hotel: Row, batch: list[tuple[ChannelEvent, asyncio.Future]]) -> None:
        try:
            async with self.db.unit_of_work() as uow:
                outcome = await self.mirror.apply(uow, hotel, [event for event, _ in batch])
                await uow.commit()
        except Exception as error:  # noqa: BLE001 - every waiting webhook must get an answer
            if len(batch) > 1:
                # The events only shared a transaction by arriving together: one that fails must not
                # fail the others, so each goes again alone and only the culprit's sender hears of it.
                log.warning("a batch of webhooks failed; applying them one by one",
                            extra={"hotel_id": hotel.id, "events": len(batch), "error": str(error)})
                for item in batch:
                    await self._apply_batch(hotel, [item])
                return
            for _, answer in batch:
                if not answer.done():
                    answer.set_exception(error)
            return
        for event, answer in batch:
            if event.event_id not in outcome.fresh_ids:
                status = "duplicate"
            else:
                status = "applied" if event.sequence <= outcome.last_sequence else "waiting"
            if not answer.done():
                answer.set_result({"status": status, "last_sequence": outcome.last_sequence})
