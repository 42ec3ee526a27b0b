"""Webhooks of one hotel that arrive together are applied in one transaction.

A channel manager pushes many events at once, in parallel and out of order. Applied one transaction
each, they all queue on the hotel's cursor lock and each pays its own round trips and commit. Here the
events that arrive while a transaction runs go into the next one together (runtime/batching.py's keyed
rounds, keyed by hotel), sorted by sequence, so a
burst costs a few transactions and a reordering inside a burst is no gap at all. Each webhook is still
answered only after the transaction holding its event has committed.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

from clients.channel_managers import ChannelEvent
from servers.inventory.flows.mirror import Mirror
from servers.inventory.store.catalog import HotelRow
from servers.runtime.batching import KeyedRounds, Ticket
from servers.storage.database import Database

log = logging.getLogger("hotelagg.inventory.webhooks")

MAX_BATCH = 500


class Arrival(NamedTuple):
    """One webhook's event, and the hotel it is for (as read when the webhook came in)."""

    hotel: HotelRow
    event: ChannelEvent


_Ticket = Ticket[str, Arrival, dict]


class ApplyQueue:
    def __init__(self, db: Database, mirror: Mirror) -> None:
        self.db = db
        self.mirror = mirror
        self._rounds: KeyedRounds[str, Arrival, dict] = KeyedRounds(
            self._apply_batch, round_size=MAX_BATCH, name="webhooks")

    async def apply(self, hotel: HotelRow, event: ChannelEvent) -> dict:
        """Applies (or records) the event; answers {"status": applied|waiting|duplicate, "last_sequence"}."""
        return await self._rounds.submit(hotel.id, Arrival(hotel, event))

    async def _apply_batch(self, hotel_id: str, batch: list[_Ticket]) -> None:
        hotel = batch[0].item.hotel  # all read while this hotel's previous round ran: any of them will do
        try:
            async with self.db.unit_of_work() as uow:
                outcome = await self.mirror.apply(uow, hotel, [ticket.item.event for ticket in batch])
                await uow.commit()
        except Exception as error:  # noqa: BLE001 - every waiting webhook must get an answer
            if len(batch) > 1:
                # The events only shared a transaction by arriving together: one that fails must not
                # fail the others, so each goes again alone and only the culprit's sender hears of it.
                log.warning("a batch of webhooks failed; applying them one by one",
                            extra={"hotel_id": hotel.id, "events": len(batch), "error": str(error)})
                for ticket in batch:
                    await self._apply_batch(hotel_id, [ticket])
                return
            for ticket in batch:
                ticket.fail(error)
            return
        for ticket in batch:
            event = ticket.item.event
            if event.event_id not in outcome.fresh_ids:
                status = "duplicate"
            else:
                status = "applied" if event.sequence <= outcome.last_sequence else "waiting"
            ticket.settle({"status": status, "last_sequence": outcome.last_sequence})
