"""Snapshots on PostgreSQL: COPY into a session's staging table, then one merge into inventory.

A full ARI load is hundreds of thousands of nights; row by row, even pipelined, the statements and
their parameters cost more than the data. COPY streams the rows, and one INSERT ... SELECT ... ON
CONFLICT applies them all, returning the nights as they are now for the cache and WatchInventory.
"""

from __future__ import annotations

from datetime import datetime

from clients.channel_managers import ChannelEvent
from servers.inventory.domain import Night, Restrictions
from servers.storage.database import UnitOfWork

_COLUMNS = ("room_type_id", "night", "hotel_id", "total", "available", "held", "price_minor", "min_stay",
            "max_stay", "closed_to_arrival", "closed_to_departure", "stop_sell", "version", "source_sequence",
            "source_updated_at", "updated_at")
_UPDATED = ("total", "available", "price_minor", "min_stay", "max_stay", "closed_to_arrival",
            "closed_to_departure", "stop_sell", "source_sequence", "source_updated_at", "updated_at")
_RETURNED = ("room_type_id", "night", "total", "available", "held", "price_minor", "min_stay", "max_stay",
             "closed_to_arrival", "closed_to_departure", "stop_sell", "version")
_STAGING = ("CREATE TEMP TABLE IF NOT EXISTS ingest_nights "
            "(LIKE inventory INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")


def _merge(restart: bool) -> str:
    columns = ", ".join(_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _UPDATED)
    # A stale absolute snapshot never overwrites a newer one (unless the source started again).
    newer = "" if restart else (" WHERE inventory.source_sequence IS NULL"
                                " OR inventory.source_sequence < EXCLUDED.source_sequence")
    return (f"INSERT INTO inventory ({columns}) SELECT {columns} FROM ingest_nights "
            f"ON CONFLICT (room_type_id, night) DO UPDATE SET {updates}, version = inventory.version + 1{newer} "
            f"RETURNING {', '.join('inventory.' + c for c in _RETURNED)}")


async def merge_snapshots(uow: UnitOfWork, hotel_id: str, snapshots: list[tuple[int, ChannelEvent]],
                          now: datetime, restart: bool = False) -> dict[int, list[Night]]:
    """Applies the snapshots (the later event wins a night twice given); the nights after, by room type id."""
    rows: dict[tuple, tuple] = {}
    for room_type_id, event in snapshots:
        for n in event.change.nights:
            r = n.restrictions
            rows[(room_type_id, n.date)] = (
                room_type_id, n.date, hotel_id, n.total, n.available, 0, n.price_minor, r.min_stay, r.max_stay,
                r.closed_to_arrival, r.closed_to_departure, r.stop_sell, 1, event.sequence, now, now)
    raw = (await uow.connection.get_raw_connection()).driver_connection
    async with raw.cursor() as cursor:
        await cursor.execute(_STAGING)
        async with cursor.copy(f"COPY ingest_nights ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
            for row in rows.values():
                await copy.write_row(row)
        await cursor.execute(_merge(restart))
        returned = await cursor.fetchall()
        await cursor.execute("TRUNCATE ingest_nights")
    changed: dict[int, list[Night]] = {}
    for (room_type_id, night, total, available, held, price, min_stay, max_stay, cta, ctd, stop, version) in returned:
        changed.setdefault(room_type_id, []).append(
            Night(night, total, available, held, price, Restrictions(min_stay, max_stay, cta, ctd, stop), version))
    return changed
