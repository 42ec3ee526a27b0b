"""Snapshots merged on PostgreSQL (servers/inventory/store/bulk.py): in chunks pipelined on one connection, in
one transaction — stale nights left alone, a night given twice applied once, a failure undoing it all."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import pytest_asyncio
from sqlalchemy import insert, select, update

from clients.channel_managers import ChannelEvent, Snapshot
from clients.channel_managers import Night as ChannelNight
from servers.inventory.store import bulk
from servers.inventory.store.night_rows import channel_nights
from servers.storage.database import Database
from servers.storage.tables import inventory, room_types
from tests.conftest import _empty_tables
from tests.integration.rows import NOW, add_room_type

DAY = date(2026, 6, 1)


@pytest_asyncio.fixture
async def pg(postgres_url):
    database = Database(postgres_url)
    await _empty_tables(database)
    yield database
    await database.dispose()


@pytest_asyncio.fixture
async def rooms(pg) -> list[int]:
    """Five room types of one hotel, by id."""
    first = await add_room_type(pg, "bulk-hotel", "RT0")
    async with pg.unit_of_work() as uow:
        for i in range(1, 5):
            await uow.connection.execute(insert(room_types).values(
                hotel_id="bulk-hotel", code=f"RT{i}", name="Room", max_occupancy=2, total_rooms=10,
                created_at=NOW, updated_at=NOW))
        await uow.commit()
    async with pg.reading() as conn:
        others = select(room_types.c.id).where(room_types.c.id != first).order_by(room_types.c.id)
        ids = (await conn.execute(others)).scalars()
        return [first, *ids]


def _event(sequence: int, rows: list[tuple], code: str = "RT") -> ChannelEvent:
    return ChannelEvent(f"e-{sequence}", "BULK", sequence, NOW, Snapshot(code, channel_nights(rows)))


def _rows(nights: int, available: int = 4, price: int = 10_000, start: int = 0) -> list[tuple]:
    return [(DAY + timedelta(days=start + n), 10, available, price + n, 0, 0, False, False, False)
            for n in range(nights)]


async def _merge(pg: Database, snapshots, restart: bool = False, now: datetime = NOW) -> dict:
    async with pg.unit_of_work() as uow:
        merged = await bulk.merge_snapshots(uow, "bulk-hotel", snapshots, now, restart)
        await uow.commit()
    return merged


async def _stored(pg: Database, room_type_id: int) -> list[tuple]:
    query = (select(inventory.c.night, inventory.c.available, inventory.c.held, inventory.c.price_minor,
                    inventory.c.version, inventory.c.source_sequence)
             .where(inventory.c.room_type_id == room_type_id).order_by(inventory.c.night))
    async with pg.reading() as conn:
        return [tuple(r) for r in (await conn.execute(query)).all()]


async def test_many_chunks_land_and_come_back_by_room_type(pg, rooms, monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK_NIGHTS", 50)  # 30 nights a snapshot: three merges of two snapshots
    merged = await _merge(pg, [(rt, _event(i + 1, _rows(30, available=i))) for i, rt in enumerate(rooms)])
    assert sorted(merged) == sorted(rooms)
    for i, rt in enumerate(rooms):
        stored = await _stored(pg, rt)
        assert stored == [(DAY + timedelta(days=n), i, 0, 10_000 + n, 1, i + 1) for n in range(30)]
        assert [(n.night, n.available, n.version) for n in merged[rt]] == [(d, a, v) for d, a, _, _, v, _ in stored]
        assert sorted(merged[rt].cache_rows) == [(d, a, p, NOW.timestamp(), 1, 0, 0, False, False, False)
                                                 for d, a, _, p, _, _ in stored]


async def test_a_stale_snapshot_leaves_newer_nights_alone(pg, rooms):
    rt = rooms[0]
    await _merge(pg, [(rt, _event(5, _rows(3, available=7)))])
    merged = await _merge(pg, [(rt, _event(3, _rows(4, available=1)))])  # older: only the new 4th night
    assert [n.night for n in merged[rt]] == [DAY + timedelta(days=3)]
    assert [(a, v, s) for _, a, _, _, v, s in await _stored(pg, rt)] == [(7, 1, 5)] * 3 + [(1, 1, 3)]
    merged = await _merge(pg, [(rt, _event(6, _rows(2, available=2)))])
    assert [(n.available, n.version) for n in merged[rt]] == [(2, 2), (2, 2)]


async def test_a_restarted_source_replaces_nights_whatever_their_sequence(pg, rooms):
    rt = rooms[0]
    await _merge(pg, [(rt, _event(50, _rows(2, available=7)))])
    merged = await _merge(pg, [(rt, _event(1, _rows(2, available=3)))], restart=True)
    assert [(n.available, n.version) for n in merged[rt]] == [(3, 2), (3, 2)]
    assert [s for *_, s in await _stored(pg, rt)] == [1, 1]


async def test_a_night_given_twice_in_a_batch_is_applied_once_as_the_later_event_says(pg, rooms, monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK_NIGHTS", 2)
    rt, other = rooms[0], rooms[1]
    merged = await _merge(pg, [(rt, _event(1, _rows(3, available=9))), (other, _event(2, _rows(1))),
                               (rt, _event(3, _rows(2, available=1, start=1)))])
    assert [(a, s) for _, a, _, _, _, s in await _stored(pg, rt)] == [(9, 1), (1, 3), (1, 3)]
    assert [(n.available, n.version) for n in merged[rt]] == [(9, 1), (1, 1), (1, 1)]


async def test_held_rooms_stay_and_the_cache_sells_what_is_left(pg, rooms):
    rt = rooms[0]
    await _merge(pg, [(rt, _event(1, _rows(2, available=5)))])
    async with pg.unit_of_work() as uow:
        await uow.connection.execute(update(inventory).where(inventory.c.room_type_id == rt).values(held=3))
        await uow.commit()
    merged = await _merge(pg, [(rt, _event(2, _rows(2, available=2)))])
    assert [(n.available, n.held, n.sellable) for n in merged[rt]] == [(2, 3, 0), (2, 3, 0)]
    assert [row[1] for row in merged[rt].cache_rows] == [0, 0]


async def test_nights_from_the_channel_manager_without_a_price_are_null(pg, rooms):
    rt = rooms[0]
    nights = (ChannelNight(DAY, 10, 4, None), ChannelNight(DAY + timedelta(days=1), 10, 4, 700))  # type: ignore[arg-type]
    await _merge(pg, [(rt, ChannelEvent("e-1", "BULK", 1, NOW, Snapshot("RT0", nights)))])
    assert [p for _, _, _, p, _, _ in await _stored(pg, rt)] == [None, 700]


@pytest.mark.parametrize("loaded_before", [False, True], ids=["first load", "merge"])
async def test_a_failing_chunk_undoes_the_whole_batch(pg, rooms, monkeypatch, loaded_before):
    if loaded_before:
        await _merge(pg, [(rt, _event(1, _rows(3, available=7))) for rt in rooms])
    monkeypatch.setattr(bulk, "CHUNK_NIGHTS", 3)
    before = [await _stored(pg, rt) for rt in rooms]
    bad = [(DAY, 10, 11, 1, 0, 0, False, False, False)]  # more available than total: a CHECK fails
    with pytest.raises(Exception, match="available_within_total"):
        await _merge(pg, [(rooms[0], _event(5, _rows(3))), (rooms[1], _event(6, _rows(3))), (rooms[2], _event(7, bad)),
                          (rooms[3], _event(8, _rows(3)))])
    assert [await _stored(pg, rt) for rt in rooms] == before
    merged = await _merge(pg, [(rooms[0], _event(9, _rows(3)))], now=datetime.now(timezone.utc))
    assert len(merged[rooms[0]]) == 3  # the pool's connections are fine after the failure


async def test_room_types_without_nights_are_inserted_beside_others_merged(pg, rooms, monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK_NIGHTS", 4)
    await _merge(pg, [(rooms[1], _event(1, _rows(2, available=7))), (rooms[3], _event(2, _rows(2, available=7)))])
    async with pg.unit_of_work() as uow:
        await uow.connection.execute(update(inventory).where(inventory.c.room_type_id == rooms[1]).values(held=2))
        await uow.commit()
    merged = await _merge(pg, [(rt, _event(3 + i, _rows(3, available=5))) for i, rt in enumerate(rooms)])
    for rt in rooms:
        loaded = rt in (rooms[1], rooms[3])
        assert [(n.available, n.held, n.version) for n in merged[rt]] == (
            [(5, 2 if rt == rooms[1] else 0, 2)] * 2 + [(5, 0, 1)] if loaded else [(5, 0, 1)] * 3)
        assert [(a, h, v) for _, a, h, _, v, _ in await _stored(pg, rt)] == [(n.available, n.held, n.version)
                                                                         for n in merged[rt]]
    assert [row[1] for row in merged[rooms[1]].cache_rows] == [3, 3, 5]  # sellable: available - held


async def test_an_error_while_a_merge_is_in_flight_waits_for_it_then_undoes_all(pg, rooms, monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK_NIGHTS", 3)
    malformed = [(DAY, 10, 4)]  # formatting the second chunk fails while the first one merges
    with pytest.raises(TypeError):
        await _merge(pg, [(rooms[0], _event(1, _rows(3))), (rooms[1], _event(2, malformed))])
    assert await _stored(pg, rooms[0]) == []
    assert len((await _merge(pg, [(rooms[0], _event(1, _rows(3)))]))[rooms[0]]) == 3


async def test_applying_leaves_no_reference_cycles_behind(pg, rooms, monkeypatch):
    """Cyclic garbage waits for the garbage collector, and at webhook rates it brought full collections
    (~90 ms pauses) into the sync path; a batch must free everything it made when it is done."""
    import gc

    from servers.cache import MemoryNightCache
    from servers.inventory.flows.changes import ChangeHub, cache_writer
    from servers.inventory.flows.mirror import Mirror
    from servers.storage.tables import hotels

    monkeypatch.setattr(bulk, "CHUNK_NIGHTS", 40)
    hub = ChangeHub()
    hub.add_listener(cache_writer(MemoryNightCache()))
    mirror = Mirror(hub)
    async with pg.unit_of_work() as uow:
        await uow.connection.execute(update(hotels).where(hotels.c.id == "bulk-hotel").values(
            channel_manager_id="cm", channel_manager_url="http://127.0.0.1:9", channel_manager_hotel_code="BULK"))
        await uow.commit()
    async with pg.reading() as conn:
        hotel = (await conn.execute(select(hotels).where(hotels.c.id == "bulk-hotel"))).first()
    codes = ["RT0", "RT1", "RT2", "RT3", "RT4"]

    applied = [0]

    async def apply(batch: int, nights: int) -> None:
        first = applied[0] + 1  # in sequence, batch after batch
        events = [ChannelEvent(f"c-{first + i}", "BULK", first + i, NOW, Snapshot(code, channel_nights(
            _rows(nights, available=batch % 10)))) for i, code in enumerate(codes[:2 + batch % 4])]
        async with pg.unit_of_work() as uow:
            assert (await mirror.apply(uow, hotel, events)).applied == len(events)
            await uow.commit()
        applied[0] += len(events)

    for batch in range(4):  # warm: statements compiled, connections opened
        await apply(batch, 30)
    gc.collect()
    gc.disable()
    try:
        gc.set_debug(gc.DEBUG_SAVEALL)
        for batch in range(4, 12):
            await apply(batch, 30 if batch % 2 else 1)
        gc.collect()
        assert [type(o).__name__ for o in _ours(gc.garbage)] == []
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def _ours(garbage: list) -> list:
    """The garbage minus cycles hanging off an asyncio transport: a socket some earlier test left open can
    be closed by the event loop while these batches run, and its cycle is not the merge's doing."""
    import asyncio
    import gc

    in_garbage = {id(o): o for o in garbage}
    foreign: set[int] = set()
    stack = [o for o in garbage if isinstance(o, asyncio.BaseTransport)]
    while stack:
        obj = stack.pop()
        if id(obj) in foreign:
            continue
        foreign.add(id(obj))
        stack.extend(r for r in gc.get_referents(obj) if id(r) in in_garbage and id(r) not in foreign)
    return [o for o in garbage if id(o) not in foreign]
