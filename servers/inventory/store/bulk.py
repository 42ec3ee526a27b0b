"""Snapshots on PostgreSQL: COPY into a session's staging table, then one statement into inventory.

A full ARI load is hundreds of thousands of nights; row by row, even pipelined, the statements and
their parameters cost more than the data. COPY streams the rows, and one INSERT ... SELECT applies a
chunk of them. Nights travel as plain tuples ("rows", night_rows.py) from the request to COPY and from
the database to the cache; objects are built only for whoever asks for them.

Room types with no nights yet (a hotel's first load) get a plain INSERT: nothing to merge with, nothing
to read back (held is 0 and version 1), and it costs PostgreSQL a third less than the merge, INSERT ...
ON CONFLICT DO UPDATE ... RETURNING, which the others get. Only the mirror writes a channel-managed
hotel's nights, under the hotel's sync cursor lock, so none can appear in between.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Iterator
from datetime import date, datetime
from itertools import chain, groupby
from operator import itemgetter
from typing import Any

from clients.channel_managers import ChannelEvent
from servers.inventory.store.night_rows import MergedNights, MergedRow, channel_rows
from servers.storage.database import UnitOfWork

# Staged per night; the hotel, held, version and times are the same for all and given to the statement.
_STAGED = ("room_type_id", "night", "total", "available", "price_minor", "min_stay", "max_stay",
           "closed_to_arrival", "closed_to_departure", "stop_sell", "source_sequence")
_UPDATED = ("total", "available", "price_minor", "min_stay", "max_stay", "closed_to_arrival",
            "closed_to_departure", "stop_sell", "source_sequence", "source_updated_at", "updated_at")
_RETURNED = ("room_type_id", "night", "total", "available", "held", "price_minor", "min_stay", "max_stay",
             "closed_to_arrival", "closed_to_departure", "stop_sell", "version")
_STAGING = ("CREATE TEMP TABLE IF NOT EXISTS ingest_rows (room_type_id bigint, night date, total integer, "
            "available integer, price_minor bigint, min_stay integer, max_stay integer, closed_to_arrival boolean, "
            "closed_to_departure boolean, stop_sell boolean, source_sequence bigint) ON COMMIT DELETE ROWS")
_COPY = f"COPY ingest_rows ({', '.join(_STAGED)}) FROM STDIN"
_INSERT = (f"INSERT INTO inventory ({', '.join(_STAGED)}, hotel_id, held, version, source_updated_at, updated_at) "
           f"SELECT {', '.join(_STAGED)}, %(hotel)s, 0, 1, %(now)s, %(now)s FROM ingest_rows")
_HAVE_NIGHTS = ("SELECT id FROM unnest(%s::bigint[]) AS id "
                "WHERE EXISTS (SELECT 1 FROM inventory WHERE inventory.room_type_id = id)")
# Nights per statement: small enough that Python's work on one chunk hides behind the database's on another.
CHUNK_NIGHTS = 4_000
_NULL = "\\N"  # COPY's text for NULL

Staged = tuple[int, int, list[tuple]]  # (room type id, sequence, channel rows)


def _merge(restart: bool) -> str:
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _UPDATED)
    # A stale absolute snapshot never overwrites a newer one (unless the source started again).
    newer = "" if restart else (" WHERE inventory.source_sequence IS NULL"
                                " OR inventory.source_sequence < EXCLUDED.source_sequence")
    return (f"{_INSERT} ON CONFLICT (room_type_id, night) DO UPDATE SET {updates}, "
            f"version = inventory.version + 1{newer} RETURNING {', '.join('inventory.' + c for c in _RETURNED)}")


def _copy_text(room_type_id: int, sequence: int, rows: list[tuple]) -> str:
    """COPY's text format for one snapshot: one % over all its rows (in C), not a call per row. Every
    value is a date, an int, a bool (PostgreSQL reads True/False) or None: nothing to escape."""
    line = f"{room_type_id}\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t{sequence}\n"
    values = tuple(chain.from_iterable(rows))
    if None in values[3::9]:  # a night without a price (never from a request)
        values = tuple(_NULL if value is None else value for value in values)
    return (line * len(rows)) % values


def _staged(snapshots: list[tuple[int, ChannelEvent]]) -> Iterator[Staged]:
    """What to stage, each snapshot read only when its chunk is made. A statement may touch a row only
    once, so a night given twice is staged once, as the later event gives it."""
    if len({room_type_id for room_type_id, _ in snapshots}) < len(snapshots):
        yield from _later_wins([(room_type_id, event.sequence, channel_rows(event.snapshot.nights))
                                for room_type_id, event in snapshots])
        return
    for room_type_id, event in snapshots:
        rows = channel_rows(event.snapshot.nights)
        if len({row[0] for row in rows}) < len(rows):
            rows = list({row[0]: row for row in rows}.values())
        yield room_type_id, event.sequence, rows


def _later_wins(staged: list[Staged]) -> list[Staged]:
    latest: dict[tuple[int, date], tuple[int, tuple]] = {}
    for room_type_id, sequence, rows in staged:
        for row in rows:
            latest[(room_type_id, row[0])] = (sequence, row)
    grouped: dict[tuple[int, int], list[tuple]] = {}
    for (room_type_id, _), (sequence, row) in latest.items():
        grouped.setdefault((room_type_id, sequence), []).append(row)
    return [(room_type_id, sequence, rows) for (room_type_id, sequence), rows in grouped.items()]


async def _prepared(staged: Iterator[Staged], fresh: set[int]) -> AsyncGenerator[tuple[bool, list[Staged], str]]:
    """Chunks of about CHUNK_NIGHTS nights, of room types all without nights yet or all with, and their COPY
    text. Made a snapshot at a time, letting a chunk in flight take its next step in between: its
    statements follow one another only when the event loop runs, and PostgreSQL would wait meanwhile.
    (Not before the first chunk: nothing is in flight, and yielding would only keep the hotel's lock longer.)"""
    chunk: list[Staged] = []
    parts: list[str] = []
    nights, kind, sent = 0, False, False
    for item in staged:
        if chunk and (item[0] in fresh) != kind:
            yield kind, chunk, "".join(parts)
            chunk, parts, nights, sent = [], [], 0, True
        kind = item[0] in fresh
        chunk.append(item)
        nights += len(item[2])
        if item[2]:
            parts.append(_copy_text(*item))
        if sent:
            await asyncio.sleep(0)
        if nights >= CHUNK_NIGHTS:
            yield kind, chunk, "".join(parts)
            chunk, parts, nights, sent = [], [], 0, True
    if chunk:
        yield kind, chunk, "".join(parts)


def _inserted(chunk: list[Staged]) -> list[MergedRow]:
    """What a plain INSERT of the chunk wrote, as the merge would have returned it."""
    return [(room_type_id, r[0], r[1], r[2], 0, r[3], r[4], r[5], r[6], r[7], r[8], 1)
            for room_type_id, _, rows in chunk for r in rows]


class _Pipeline:
    """Chunks applied one after another on one connection, in its transaction: while PostgreSQL stages
    and applies a chunk, Python makes the next one's COPY text and reads what the one before returned
    (from a second cursor, since a cursor's next statement would drop its result)."""

    def __init__(self, cursors: tuple[Any, Any], params: dict, restart: bool) -> None:
        self.cursors = cursors
        self.params = params
        self.merge = _merge(restart)
        self.stamp = params["now"].timestamp()
        self.running: asyncio.Future | None = None
        self.previous: tuple[Any, bool, list[Staged]] | None = None
        self.count = 0

    async def apply(self, fresh: bool, chunk: list[Staged], text: str, into: dict[int, MergedNights]) -> None:
        cursor = self.cursors[self.count % 2]
        if self.running is not None:
            await self.running
        self.running = asyncio.ensure_future(self._run(cursor, text, _INSERT if fresh else self.merge, self.count > 0))
        await asyncio.sleep(0)  # its first statement is on its way before the CPU work below
        await self.collect(into)
        self.previous, self.count = (cursor, fresh, chunk), self.count + 1

    async def collect(self, into: dict[int, MergedNights]) -> None:
        """The rows of the chunk before, by room type: read back from the merge, or known already."""
        if self.previous is None:
            return
        cursor, fresh, chunk = self.previous
        self.previous = None
        # The rows come back as staged, a room type after another; groupby only finds the runs.
        for room_type_id, rows in groupby(_inserted(chunk) if fresh else await cursor.fetchall(), itemgetter(0)):
            merged = into.get(room_type_id)
            if merged is None:
                merged = into[room_type_id] = MergedNights()
            merged.add(list(rows), self.stamp)
            if self.running is not None and not self.running.done():
                await asyncio.sleep(0)  # the chunk in flight takes its next step

    async def finish(self, into: dict[int, MergedNights]) -> None:
        if self.running is not None:
            await self.running
        await self.collect(into)

    async def settled(self) -> None:
        """A statement still in flight after an error ends before the connection is used again (to roll back)."""
        if self.running is not None and not self.running.done():
            with contextlib.suppress(Exception):
                await self.running

    async def _run(self, cursor: Any, text: str, statement: str, truncate: bool) -> None:
        if truncate:  # the chunk before is applied (and its result is on the other cursor)
            await cursor.execute("TRUNCATE ingest_rows")
        async with cursor.copy(_COPY) as copy:
            await copy.write(text)
        await cursor.execute(statement, self.params)


async def merge_snapshots(uow: UnitOfWork, hotel_id: str, snapshots: list[tuple[int, ChannelEvent]],
                          now: datetime, restart: bool = False) -> dict[int, MergedNights]:
    """Applies the snapshots (the later event wins a night twice given); the nights after, by room type id."""
    raw = (await uow.connection.get_raw_connection()).driver_connection
    assert raw is not None  # a connection checked out of the pool has its driver's
    merged: dict[int, MergedNights] = {}
    async with raw.cursor() as first, raw.cursor() as second:
        await first.execute(_STAGING)
        # Not prepared: planned for the table as it is now (a first load makes it grow fast).
        have = await (await first.execute(_HAVE_NIGHTS, ([rt for rt, _ in snapshots],), prepare=False)).fetchall()
        fresh = {rt for rt, _ in snapshots} - {row[0] for row in have}
        pipeline = _Pipeline((first, second), {"hotel": hotel_id, "now": now}, restart)
        try:
            async with contextlib.aclosing(_prepared(_staged(snapshots), fresh)) as chunks:
                async for kind, chunk, text in chunks:
                    await pipeline.apply(kind, chunk, text, merged)
            await pipeline.finish(merged)
        finally:
            await pipeline.settled()
    return merged
