"""Applies channel-manager events to our mirror, in the source's sequence order (ARCHITECTURE §5.6).

Every event is recorded by its id first (a duplicate is skipped), then the events that follow the
hotel's cursor without a gap are applied, in one transaction with the cursor. An event after a gap
waits in webhook_events until the missing ones arrive, by webhook or by the poll the gap starts.
Before the hotel's first full load, a delta for a night we hold no row of waits too, for the load
(first_load.py).

Deltas from our own channel ("hotelagg") change nothing here: our holds already moved those rooms.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, delete, select, update
from sqlalchemy.engine import Row

from clients.channel_managers import ChannelEvent, Delta, Snapshot
from servers.hotel.nights import Night
from servers.inventory.api.channel_events import event_json, from_json
from servers.inventory.flows.channel_count import as_mirrored
from servers.inventory.flows.first_load import mirrorable
from servers.inventory.store.ari import load_nights, night_from_row
from servers.inventory.store.bulk import merge_snapshots
from servers.inventory.store.night_rows import MergedNights
from servers.storage.database import UnitOfWork
from servers.storage.tables import inventory, room_types, sync_cursors, webhook_events
from servers.storage.upsert import insert_on_conflict

log = logging.getLogger("hotelagg.inventory.sync")

OUR_CHANNEL = "hotelagg"
_RETURNED = (inventory.c.room_type_id, inventory.c.night, inventory.c.total, inventory.c.available,
             inventory.c.held, inventory.c.price_minor, inventory.c.min_stay, inventory.c.max_stay,
             inventory.c.closed_to_arrival, inventory.c.closed_to_departure, inventory.c.stop_sell,
             inventory.c.version)


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
    cursor, loaded = await _lock_cursor(uow, source, hotel_id, now)
    fresh = await _record(uow, source, hotel_id, events, now)
    outcome.fresh_ids = fresh
    outcome.duplicates = len(events) - len(fresh)
    given = {e.event_id: e for e in events if e.event_id in fresh}
    sequence = cursor
    run: list[ChannelEvent] = []
    for event_id, payload in await _waiting(uow, source, hotel_id):
        event = given.get(event_id) or from_json(payload)
        if event.sequence <= sequence:
            outcome.stale += 1
            continue
        if event.sequence != sequence + 1:
            outcome.gap = True
            break
        run.append(event)
        sequence = event.sequence
    codes = await room_type_ids(uow, hotel_id, {e.change.room_type_code for e in run})
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
    await _advance(uow, source, hotel_id, sequence, now, heard=not (outcome.gap or outcome.awaits_load))
    # Only events that must wait for a missing one are kept whole, to be applied later.
    await _keep_waiting(uow, source, [e for e in given.values() if e.sequence > sequence])
    return outcome


async def set_cursor(uow: UnitOfWork, source: str, hotel_id: str, sequence: int, now: datetime,
                     restart: bool = False) -> int:
    """After a full ARI load: everything up to `sequence` is in the mirror, and the hotel counts as
    loaded from now on; returns the cursor now.

    Webhooks may have moved the cursor past the load's sequence while its answer was on the way: the
    cursor stays where it is then (taking it back would leave the events in between applied but
    behind it, a gap no poll fills). Only a source that started again (`restart`) takes it back.
    """
    cursor, _ = await _lock_cursor(uow, source, hotel_id, now)
    if restart:
        await _drop_waiting(uow, source, hotel_id)
    else:
        sequence = max(cursor, sequence)
    await _advance(uow, source, hotel_id, sequence, now, loaded=True)
    return sequence


async def _drop_waiting(uow: UnitOfWork, source: str, hotel_id: str) -> None:
    """Forgets the events still waiting for a gap when the source started its sequence again.

    They were numbered before the restart, so a new event would one day fill "their" gap and they
    would be applied as if current. One that came after the restart comes again in the change feed,
    read right after the load; deleted, not marked applied, so that copy is not taken for a duplicate.
    """
    await uow.connection.execute(
        delete(webhook_events).where(webhook_events.c.source == source, webhook_events.c.hotel_id == hotel_id,
                                     webhook_events.c.applied_at.is_(None)))


async def mark_polled(uow: UnitOfWork, source: str, hotel_id: str, now: datetime) -> None:
    await uow.connection.execute(
        update(sync_cursors)
        .where(sync_cursors.c.channel_manager_id == source, sync_cursors.c.hotel_id == hotel_id)
        .values(last_polled_at=now))


async def forget_cursor(uow: UnitOfWork, hotel_id: str) -> bool:
    """Makes the next poll load the hotel whole; False if the hotel was never synced."""
    result = await uow.connection.execute(delete(sync_cursors).where(sync_cursors.c.hotel_id == hotel_id))
    return result.rowcount > 0


async def cursor_of(conn, source: str, hotel_id: str) -> tuple[int, bool]:
    """The hotel's cursor, and whether the hotel was ever loaded whole ((0, False) if never synced)."""
    query = select(sync_cursors.c.last_sequence, sync_cursors.c.loaded_at.is_not(None)).where(
        sync_cursors.c.channel_manager_id == source, sync_cursors.c.hotel_id == hotel_id)
    row = (await conn.execute(query)).first()
    return (row[0], bool(row[1])) if row is not None else (0, False)


async def _lock_cursor(uow: UnitOfWork, source: str, hotel_id: str, now: datetime) -> tuple[int, bool]:
    # The cursor row is the per-hotel lock: one applier at a time, in order.
    statement = insert_on_conflict(sync_cursors, uow.is_sqlite).values(
        channel_manager_id=source, hotel_id=hotel_id, last_sequence=0, updated_at=now
    ).on_conflict_do_nothing()
    await uow.connection.execute(statement)
    query = select(sync_cursors.c.last_sequence, sync_cursors.c.loaded_at).where(
        sync_cursors.c.channel_manager_id == source, sync_cursors.c.hotel_id == hotel_id)
    cursor, loaded_at = (await uow.connection.execute(uow.for_update(query))).one()
    return cursor, loaded_at is not None


async def _record(uow: UnitOfWork, source: str, hotel_id: str, events: list[ChannelEvent], now: datetime) -> set[str]:
    """Records the events by id; returns the ids not seen before."""
    if not events:  # only the waiting ones are looked at (right after a load)
        return set()
    rows = [{"source": source, "event_id": e.event_id, "hotel_id": hotel_id, "sequence": e.sequence,
             "received_at": now} for e in events]
    # One statement compiled once, sent with every row (SQLAlchemy batches them into multi-row
    # inserts itself); .values(rows) would compile a new statement for every batch.
    result = await uow.connection.execute(_recording(uow.is_sqlite), rows)
    return set(result.scalars())


_RECORDING: dict[bool, object] = {}


def _recording(is_sqlite: bool):
    if is_sqlite not in _RECORDING:
        statement = insert_on_conflict(webhook_events, is_sqlite).on_conflict_do_nothing()
        _RECORDING[is_sqlite] = statement.returning(webhook_events.c.event_id)
    return _RECORDING[is_sqlite]


async def _waiting(uow: UnitOfWork, source: str, hotel_id: str) -> list[Row]:
    query = (select(webhook_events.c.event_id, webhook_events.c.payload)
             .where(webhook_events.c.source == source, webhook_events.c.hotel_id == hotel_id,
                    webhook_events.c.applied_at.is_(None))
             .order_by(webhook_events.c.sequence))
    return list((await uow.connection.execute(query)).all())


async def _keep_waiting(uow: UnitOfWork, source: str, events: list[ChannelEvent]) -> None:
    if not events:
        return
    statement = (update(webhook_events)
                 .where(webhook_events.c.source == source, webhook_events.c.event_id == bindparam("id"))
                 .values(payload=bindparam("body")))
    await uow.connection.execute(statement, [{"id": e.event_id, "body": event_json(e)} for e in events])


async def _advance(uow: UnitOfWork, source: str, hotel_id: str, sequence: int, now: datetime,
                   heard: bool = True, loaded: bool = False) -> None:
    stamps = {**({"updated_at": now} if heard else {}), **({"loaded_at": now} if loaded else {})}
    await uow.connection.execute(
        update(sync_cursors)
        .where(sync_cursors.c.channel_manager_id == source, sync_cursors.c.hotel_id == hotel_id)
        .values(last_sequence=sequence, **stamps))
    await uow.connection.execute(
        update(webhook_events)
        .where(webhook_events.c.source == source, webhook_events.c.hotel_id == hotel_id,
               webhook_events.c.applied_at.is_(None), webhook_events.c.sequence <= sequence)
        .values(applied_at=now, payload=None))


async def room_type_ids(uow: UnitOfWork, hotel_id: str, codes: set[str] | None = None) -> dict[str, int]:
    """Code → id of the hotel's room types (only those of `codes` if given: a request names a few of many)."""
    if codes is None:
        rows = await uow.connection.execute(_ROOM_TYPES, {"hotel": hotel_id})
    elif codes:
        rows = await uow.connection.execute(_NAMED_ROOM_TYPES, {"hotel": hotel_id, "codes": sorted(codes)})
    else:
        return {}
    return {code: room_type_id for code, room_type_id in rows.all()}


# Built once: an IN built per call leaves a reference cycle of SQLAlchemy objects per call for the
# garbage collector: at 200 webhooks/s that set off full collections of ~90 ms (sync_freshness p99).
_ROOM_TYPES = select(room_types.c.code, room_types.c.id).where(room_types.c.hotel_id == bindparam("hotel"))
_NAMED_ROOM_TYPES = _ROOM_TYPES.where(room_types.c.code.in_(bindparam("codes", expanding=True)))


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
        key = (room_type_id, event.change.date)
        change, _ = summed.get(key, [0, 0])
        summed[key] = [change + event.change.available_change, event.sequence]
    moved = inventory.c.available + bindparam("change")
    statement = (
        update(inventory)
        .where(inventory.c.room_type_id == bindparam("rt"), inventory.c.night == bindparam("day"))
        # The mirror follows the source, but never outside 0..total, whatever order deltas came in.
        .values(available=case((moved < 0, 0), (moved > inventory.c.total, inventory.c.total), else_=moved),
                version=inventory.c.version + 1, source_sequence=bindparam("seq"),
                source_updated_at=now, updated_at=now)
    )
    params = [{"rt": rt, "day": day, "change": change, "seq": seq} for (rt, day), (change, seq) in summed.items()]
    await uow.connection.execute(statement, params)
    await _collect(uow, list(summed), outcome, codes)


async def _collect(uow: UnitOfWork, keys: list[tuple[int, object]], outcome: SyncOutcome,
                   codes: dict[str, int]) -> None:
    by_id = {v: k for k, v in codes.items()}
    per_type: dict[int, list] = defaultdict(list)
    for room_type_id, day in keys:
        per_type[room_type_id].append(day)
    for room_type_id, days in per_type.items():
        query = select(*_RETURNED).where(inventory.c.room_type_id == room_type_id, inventory.c.night.in_(days))
        rows = (await uow.connection.execute(query)).all()
        outcome.add(by_id[room_type_id], [night_from_row(row) for row in rows])


async def apply_snapshot(uow: UnitOfWork, hotel_id: str, room_type_id: int, event: ChannelEvent,
                          now: datetime, outcome: SyncOutcome, restart: bool = False) -> None:
    """Upserts the nights; `restart`: the source began its sequence again, so ours are not newer."""
    snapshot: Snapshot = event.change
    if not snapshot.nights:
        return
    rows = [{"room_type_id": room_type_id, "hotel_id": hotel_id, "night": n.date, "total": n.total,
             "available": n.available, "held": 0, "price_minor": n.price_minor,
             "min_stay": n.restrictions.min_stay, "max_stay": n.restrictions.max_stay,
             "closed_to_arrival": n.restrictions.closed_to_arrival,
             "closed_to_departure": n.restrictions.closed_to_departure, "stop_sell": n.restrictions.stop_sell,
             "version": 1, "source_sequence": event.sequence, "source_updated_at": now, "updated_at": now}
            for n in snapshot.nights]
    # One small statement, compiled once and sent for every row (psycopg pipelines executemany): a
    # multi-row VALUES statement is compiled anew each time, which cost most of an ingest.
    await uow.connection.execute(_upsert(uow.is_sqlite, restart), rows)
    first, last = min(n.date for n in snapshot.nights), max(n.date for n in snapshot.nights)
    nights = (await load_nights(uow.connection, [room_type_id], first, last + timedelta(days=1)))[room_type_id]
    outcome.add(snapshot.room_type_code, nights)


_UPSERTS: dict[tuple[bool, bool], object] = {}


def _upsert(is_sqlite: bool, restart: bool):
    if (is_sqlite, restart) not in _UPSERTS:
        statement = insert_on_conflict(inventory, is_sqlite)
        excluded = statement.excluded
        _UPSERTS[(is_sqlite, restart)] = statement.on_conflict_do_update(
            index_elements=[inventory.c.room_type_id, inventory.c.night],
            set_={
                **{name: excluded[name] for name in ("total", "available", "price_minor", "min_stay", "max_stay",
                                                     "closed_to_arrival", "closed_to_departure", "stop_sell",
                                                     "source_sequence", "source_updated_at", "updated_at")},
                "version": inventory.c.version + 1,
            },
            # A stale absolute snapshot never overwrites a newer one.
            where=None if restart else (
                inventory.c.source_sequence.is_(None) | (inventory.c.source_sequence < excluded.source_sequence)),
        )
    return _UPSERTS[(is_sqlite, restart)]
