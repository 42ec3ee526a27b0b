"""The statements of channel sync (flows/sync.py has the sequence and gap algorithm): the hotel's
sync cursor, the events kept in webhook_events, and the mirror's nights moved by deltas and
written by snapshots one by one (bulk.py merges many on PostgreSQL)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, delete, select, update
from sqlalchemy.engine import Row

from clients.channel_managers import ChannelEvent
from servers.hotel.nights import Night
from servers.inventory.store.ari import load_nights, night_from_row
from servers.inventory.store.event_json import event_json
from servers.storage.database import UnitOfWork
from servers.storage.tables import inventory, room_types, sync_cursors, webhook_events
from servers.storage.upsert import insert_on_conflict

_RETURNED = (inventory.c.room_type_id, inventory.c.night, inventory.c.total, inventory.c.available,
             inventory.c.held, inventory.c.price_minor, inventory.c.min_stay, inventory.c.max_stay,
             inventory.c.closed_to_arrival, inventory.c.closed_to_departure, inventory.c.stop_sell,
             inventory.c.version)


async def drop_waiting(uow: UnitOfWork, source: str, hotel_id: str) -> None:
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


async def lock_cursor(uow: UnitOfWork, source: str, hotel_id: str, now: datetime) -> tuple[int, bool]:
    # The cursor row is the per-hotel lock: one applier at a time, in order.
    statement = insert_on_conflict(sync_cursors, uow.is_sqlite).values(
        channel_manager_id=source, hotel_id=hotel_id, last_sequence=0, updated_at=now
    ).on_conflict_do_nothing()
    await uow.connection.execute(statement)
    query = select(sync_cursors.c.last_sequence, sync_cursors.c.loaded_at).where(
        sync_cursors.c.channel_manager_id == source, sync_cursors.c.hotel_id == hotel_id)
    cursor, loaded_at = (await uow.connection.execute(uow.for_update(query))).one()
    return cursor, loaded_at is not None


async def record(uow: UnitOfWork, source: str, hotel_id: str, events: list[ChannelEvent], now: datetime) -> set[str]:
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


async def waiting(uow: UnitOfWork, source: str, hotel_id: str) -> list[Row]:
    query = (select(webhook_events.c.event_id, webhook_events.c.payload)
             .where(webhook_events.c.source == source, webhook_events.c.hotel_id == hotel_id,
                    webhook_events.c.applied_at.is_(None))
             .order_by(webhook_events.c.sequence))
    return list((await uow.connection.execute(query)).all())


async def keep_waiting(uow: UnitOfWork, source: str, events: list[ChannelEvent]) -> None:
    if not events:
        return
    statement = (update(webhook_events)
                 .where(webhook_events.c.source == source, webhook_events.c.event_id == bindparam("id"))
                 .values(payload=bindparam("body")))
    await uow.connection.execute(statement, [{"id": e.event_id, "body": event_json(e)} for e in events])


async def advance(uow: UnitOfWork, source: str, hotel_id: str, sequence: int, now: datetime,
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


async def move_available(uow: UnitOfWork, moves: list[dict], now: datetime) -> None:
    """Moves `available` of nights by their summed deltas: each move is {"rt", "day", "change", "seq"}."""
    moved = inventory.c.available + bindparam("change")
    statement = (
        update(inventory)
        .where(inventory.c.room_type_id == bindparam("rt"), inventory.c.night == bindparam("day"))
        # The mirror follows the source, but never outside 0..total, whatever order deltas came in.
        .values(available=case((moved < 0, 0), (moved > inventory.c.total, inventory.c.total), else_=moved),
                version=inventory.c.version + 1, source_sequence=bindparam("seq"),
                source_updated_at=now, updated_at=now)
    )
    await uow.connection.execute(statement, moves)


async def nights_of(uow: UnitOfWork, keys: Iterable[tuple[int, object]]) -> dict[int, list[Night]]:
    """The nights of (room type id, night) keys as they are now, per room type (one query per room type)."""
    per_type: dict[int, list] = defaultdict(list)
    for room_type_id, day in keys:
        per_type[room_type_id].append(day)
    found = {}
    for room_type_id, days in per_type.items():
        query = select(*_RETURNED).where(inventory.c.room_type_id == room_type_id, inventory.c.night.in_(days))
        rows = (await uow.connection.execute(query)).all()
        found[room_type_id] = [night_from_row(row) for row in rows]
    return found


async def write_snapshot(uow: UnitOfWork, hotel_id: str, room_type_id: int, event: ChannelEvent,
                         now: datetime, restart: bool = False) -> list[Night]:
    """Upserts a snapshot's nights (it has some) and returns them as they are now; `restart`: the
    source began its sequence again, so ours are not newer."""
    snapshot = event.snapshot
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
    return (await load_nights(uow.connection, [room_type_id], first, last + timedelta(days=1)))[room_type_id]


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
