"""Applies channel-manager events to our mirror, in the source's sequence order (ARCHITECTURE §5.6).

Every event is recorded by its id first (a duplicate is skipped), then the events that follow the
hotel's cursor without a gap are applied, in one transaction with the cursor. An event after a gap
waits in webhook_events until the missing ones arrive, by webhook or by the poll the gap starts.
Before the hotel's first full load, a delta for a night we hold no row of waits too, for the load
(first_load.py). The statements are store/sync.py's.

Deltas from our own channel ("hotelagg") change nothing here: our holds already moved those rooms.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from clients.channel_managers import ChannelEvent, Delta
from servers.hotel.nights import Night
from servers.inventory.flows.channel_count import as_mirrored
from servers.inventory.flows.first_load import mirrorable
from servers.inventory.store import sync as store
from servers.inventory.store.bulk import merge_snapshots
from servers.inventory.store.event_json import from_json
from servers.inventory.store.night_rows import MergedNights
from servers.storage.database import UnitOfWork

log = logging.getLogger("hotelagg.inventory.sync")

OUR_CHANNEL = "hotelagg"


@dataclass
class SyncOutcome:
    applied: int = 0
    duplicates: int = 0
    stale: int = 0
    last_sequence: int = 0
    gap: bool = False
    # Events stopped at a delta for a night with no row, before the hotel's first load: it must come.
    awaits_load: bool = False
    # The event ids seen for the first time.
    fresh_ids: set[str] = field(default_factory=set)
    # room type code → the nights after the change, for the cache and WatchInventory: a list, or the
    # MergedNights of one bulk merge as they came (no object per night unless someone reads them so).
    changed: dict[str, Sequence[Night]] = field(default_factory=dict)

    def add(self, code: str, nights: Sequence[Night]) -> None:
        current = self.changed.get(code)
        if not current:
            self.changed[code] = nights if isinstance(nights, MergedNights) else list(nights)
        elif isinstance(current, list):
            current.extend(nights)
        else:
            self.changed[code] = [*current, *nights]


async def apply_events(uow: UnitOfWork, source: str, hotel_id: str, events: list[ChannelEvent],
                       now: datetime) -> SyncOutcome:
    outcome = SyncOutcome()
    cursor, loaded = await store.lock_cursor(uow, source, hotel_id, now)
    fresh = await store.record(uow, source, hotel_id, events, now)
    outcome.fresh_ids = fresh
    outcome.duplicates = len(events) - len(fresh)
    given = {e.event_id: e for e in events if e.event_id in fresh}
    sequence = cursor
    run: list[ChannelEvent] = []
    for event_id, payload in await store.waiting(uow, source, hotel_id):
        event = given.get(event_id) or from_json(payload)
        if event.sequence <= sequence:
            outcome.stale += 1
            continue
        if event.sequence != sequence + 1:
            outcome.gap = True
            break
        run.append(event)
        sequence = event.sequence
    codes = await store.room_type_ids(uow, hotel_id, {e.change.room_type_code for e in run})
    if not loaded:
        applicable = await mirrorable(uow, codes, run)
        if len(applicable) < len(run):
            outcome.awaits_load = True
            run = applicable
            sequence = run[-1].sequence if run else cursor
    await _apply_run(uow, hotel_id, codes, run, now, outcome)
    outcome.applied = len(run)
    outcome.last_sequence = sequence
    # Behind a gap the mirror is not in step with the source, however many events arrive: it does not
    # count as heard from (search's freshness bound), so search asks the source once the bound passes.
    await store.advance(uow, source, hotel_id, sequence, now, heard=not (outcome.gap or outcome.awaits_load))
    # Only events that must wait for a missing one are kept whole, to be applied later.
    await store.keep_waiting(uow, source, [e for e in given.values() if e.sequence > sequence])
    return outcome


async def set_cursor(uow: UnitOfWork, source: str, hotel_id: str, sequence: int, now: datetime,
                     restart: bool = False) -> int:
    """After a full ARI load: everything up to `sequence` is in the mirror, and the hotel counts as
    loaded from now on; returns the cursor now.

    Webhooks may have moved the cursor past the load's sequence while its answer was on the way: the
    cursor stays where it is then (taking it back would leave the events in between applied but
    behind it, a gap no poll fills). Only a source that started again (`restart`) takes it back.
    """
    cursor, _ = await store.lock_cursor(uow, source, hotel_id, now)
    if restart:
        await store.drop_waiting(uow, source, hotel_id)
    else:
        sequence = max(cursor, sequence)
    await store.advance(uow, source, hotel_id, sequence, now, loaded=True)
    return sequence


async def _apply_run(uow: UnitOfWork, hotel_id: str, codes: dict[str, int], run: list[ChannelEvent],
                     now: datetime, outcome: SyncOutcome) -> None:
    """Applies consecutive events; neighbouring deltas, and neighbouring snapshots, go together."""
    deltas: list[tuple[int, ChannelEvent]] = []
    snapshots: list[tuple[int, ChannelEvent]] = []
    for event in run:
        change = event.change
        room_type_id = codes.get(change.room_type_code)
        if room_type_id is None:
            log.warning("event for a room type we do not have", extra={"room_type_code": change.room_type_code,
                                                                         "event_id": event.event_id})
            continue
        if isinstance(change, Delta):
            if change.channel != OUR_CHANNEL:
                await apply_snapshots(uow, hotel_id, snapshots, now, outcome, codes)
                snapshots = []
                deltas.append((room_type_id, event))
            continue
        await _apply_deltas(uow, deltas, now, outcome, codes)
        deltas = []
        snapshots.append((room_type_id, event))
    await _apply_deltas(uow, deltas, now, outcome, codes)
    await apply_snapshots(uow, hotel_id, snapshots, now, outcome, codes)


async def apply_snapshots(uow: UnitOfWork, hotel_id: str, snapshots: list[tuple[int, ChannelEvent]],
                          now: datetime, outcome: SyncOutcome, codes: dict[str, int], restart: bool = False) -> None:
    """Consecutive snapshots: one COPY and one merge on PostgreSQL; one by one on SQLite."""
    if not snapshots:
        return
    snapshots = await as_mirrored(uow, hotel_id, snapshots)  # our reserved holds are not counted twice
    if uow.is_sqlite:
        for room_type_id, event in snapshots:
            await apply_snapshot(uow, hotel_id, room_type_id, event, now, outcome, restart)
        return
    by_id = {v: k for k, v in codes.items()}
    for room_type_id, nights in (await merge_snapshots(uow, hotel_id, snapshots, now, restart)).items():
        outcome.add(by_id[room_type_id], nights)


async def _apply_deltas(uow: UnitOfWork, deltas: list[tuple[int, ChannelEvent]], now: datetime,
                        outcome: SyncOutcome, codes: dict[str, int]) -> None:
    if not deltas:
        return
    summed: dict[tuple[int, object], list[int]] = {}
    for room_type_id, event in deltas:
        delta = event.delta
        key = (room_type_id, delta.date)
        change, _ = summed.get(key, [0, 0])
        summed[key] = [change + delta.available_change, event.sequence]
    moves = [{"rt": rt, "day": day, "change": change, "seq": seq} for (rt, day), (change, seq) in summed.items()]
    await store.move_available(uow, moves, now)
    by_id = {v: k for k, v in codes.items()}
    for room_type_id, nights in (await store.nights_of(uow, summed)).items():
        outcome.add(by_id[room_type_id], nights)


async def apply_snapshot(uow: UnitOfWork, hotel_id: str, room_type_id: int, event: ChannelEvent,
                          now: datetime, outcome: SyncOutcome, restart: bool = False) -> None:
    """Upserts the nights; `restart`: the source began its sequence again, so ours are not newer."""
    snapshot = event.snapshot
    if not snapshot.nights:
        return
    outcome.add(snapshot.room_type_code, await store.write_snapshot(uow, hotel_id, room_type_id, event, now, restart))
