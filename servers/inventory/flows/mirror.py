"""The mirror of channel-managed hotels: applying events and full ARI loads, announcing what changed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from clients.channel_managers import ChannelEvent, HotelAri, Snapshot
from servers.inventory.flows import changes, sync
from servers.inventory.flows.changes import ChangeHub
from servers.inventory.store import sync as sync_store
from servers.inventory.store.catalog import HotelRow
from servers.inventory.store.night_rows import MergedNights
from servers.runtime.clock import SYSTEM_CLOCK, Clock
from servers.storage.database import UnitOfWork


class Mirror:
    def __init__(self, hub: ChangeHub, clock: Clock = SYSTEM_CLOCK) -> None:
        self.hub = hub
        self.clock = clock
        # Set by the poller: asks for a poll of a hotel at once (a sequence gap was seen).
        self.on_gap: Callable[[str], None] = lambda hotel_id: None

    async def apply(self, uow: UnitOfWork, hotel: HotelRow, events: list[ChannelEvent]) -> sync.SyncOutcome:
        now = self.clock.now()
        outcome = await sync.apply_events(uow, hotel.channel_manager_id, hotel.id, events, now)
        await self._announce(uow, hotel, outcome, now)
        if outcome.gap or outcome.stale or outcome.awaits_load:
            # A gap: the missing events are in the change feed. A new event behind our cursor: the
            # source may have started its sequence again; the poll finds out and reloads if so.
            # Awaiting the first load: the poll loads the hotel.
            uow.after_commit(self._gap_seen(hotel.id))
        return outcome

    async def load(self, uow: UnitOfWork, hotel: HotelRow, ari: HotelAri, restart: bool = False) -> sync.SyncOutcome:
        """A full ARI read: every night as a snapshot at the sequence the read included.

        `restart`: the source's sequence went back, so the read replaces nights whatever their sequence.
        """
        now = self.clock.now()
        outcome = sync.SyncOutcome()
        # The cursor first: its lock keeps every other writer of the hotel's nights out meanwhile (bulk.py).
        cursor = await sync.set_cursor(uow, hotel.channel_manager_id, hotel.id, ari.sequence, now, restart)
        codes = await sync_store.room_type_ids(uow, hotel.id)
        snapshots = [(codes[room_type.code],
                      ChannelEvent(f"load-{ari.sequence}-{room_type.code}", ari.hotel_code, ari.sequence, now,
                                   Snapshot(room_type.code, room_type.nights)))
                     for room_type in ari.room_types if room_type.code in codes]
        await sync.apply_snapshots(uow, hotel.id, snapshots, now, outcome, codes, restart)
        outcome.last_sequence = cursor
        await self._announce(uow, hotel, outcome, now)
        # Events that waited for this load (first_load.py), or that came after the sequence it read while
        # its answer was on the way, go on top of it now, not at the next poll.
        after = await sync.apply_events(uow, hotel.channel_manager_id, hotel.id, [], now)
        await self._announce(uow, hotel, after, now)
        outcome.last_sequence = after.last_sequence
        return outcome

    async def room_type_added(self, uow: UnitOfWork, hotel_id: str) -> None:
        """A channel-managed hotel's new room type has no nights yet: load the hotel whole again."""
        if await sync_store.forget_cursor(uow, hotel_id):
            uow.after_commit(self._gap_seen(hotel_id))

    def _gap_seen(self, hotel_id: str):
        async def request_poll() -> None:
            self.on_gap(hotel_id)

        return request_poll

    async def _announce(self, uow: UnitOfWork, hotel: HotelRow, outcome: sync.SyncOutcome, now: datetime) -> None:
        for code, nights in outcome.changed.items():
            if nights:
                # A bulk merge's nights are in order already, and stay rows until someone reads them.
                ordered = nights if isinstance(nights, MergedNights) else tuple(sorted(nights, key=lambda n: n.night))
                change = changes.InventoryChange(hotel.id, code, hotel.currency_code, changes.CHANNEL_UPDATE,
                                                 ordered, now)
                await self.hub.record(uow, change)

