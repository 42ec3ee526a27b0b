"""ARI per night (SQL side): direct-hotel updates over a date range, and availability reads."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from servers.hotel.nights import Night, Restrictions, nights_between
from servers.hotel.reasons import HotelReason
from servers.inventory.domain import NightsPatch, apply_patch, range_etag
from servers.inventory.reasons import InventoryReason
from servers.runtime.errors import aborted, failed_precondition, not_found
from servers.runtime.reasons import ApiReason
from servers.storage.database import UnitOfWork
from servers.storage.tables import hotels, inventory, room_types
from servers.storage.upsert import insert_on_conflict

_NIGHT_COLUMNS = (
    inventory.c.room_type_id, inventory.c.night, inventory.c.total, inventory.c.available, inventory.c.held,
    inventory.c.price_minor, inventory.c.min_stay, inventory.c.max_stay, inventory.c.closed_to_arrival,
    inventory.c.closed_to_departure, inventory.c.stop_sell, inventory.c.version, inventory.c.oversold,
)


def night_from_row(row: Row, prefix: str = "") -> Night:
    """A night from a row's inventory columns (named with `prefix` when joined with other tables)."""

    def col(name: str):
        return getattr(row, prefix + name)

    return Night(
        night=col("night"),
        total=col("total"),
        available=col("available"),
        held=col("held"),
        price_minor=col("price_minor"),
        restrictions=Restrictions(
            min_stay=col("min_stay"),
            max_stay=col("max_stay"),
            closed_to_arrival=bool(col("closed_to_arrival")),
            closed_to_departure=bool(col("closed_to_departure")),
            stop_sell=bool(col("stop_sell")),
        ),
        version=col("version"),
        # Only reads that may change the total (load_nights) select it; elsewhere it plays no part.
        oversold=getattr(row, prefix + "oversold", 0),
    )


async def find_room_type(conn: AsyncConnection, hotel_id: str, code: str) -> Row:
    """The room type joined with what its hotel says about it (currency, channel manager)."""
    query = (
        select(room_types, hotels.c.currency_code, hotels.c.channel_manager_id)
        .join(hotels, hotels.c.id == room_types.c.hotel_id)
        .where(room_types.c.hotel_id == hotel_id, room_types.c.code == code)
    )
    row = (await conn.execute(query)).first()
    if row is None:
        if (await conn.execute(select(hotels.c.id).where(hotels.c.id == hotel_id))).first() is None:
            raise not_found(InventoryReason.HOTEL_NOT_FOUND, f"hotel {hotel_id}", hotel_id=hotel_id)
        raise not_found(
            HotelReason.ROOM_TYPE_NOT_FOUND,
f"room type {code} of hotel {hotel_id}", hotel_id=hotel_id, room_type_code=code
        )
    return row


async def load_nights(
    conn: AsyncConnection, room_type_ids: list[int], start: date, end: date, *, lock: UnitOfWork | None = None
) -> dict[int, list[Night]]:
    query = (
        select(*_NIGHT_COLUMNS)
        .where(inventory.c.room_type_id.in_(room_type_ids), inventory.c.night >= start, inventory.c.night < end)
        .order_by(inventory.c.room_type_id, inventory.c.night)
    )
    if lock is not None:
        query = lock.for_update(query)
    grouped: dict[int, list[Night]] = {room_type_id: [] for room_type_id in room_type_ids}
    for row in (await conn.execute(query)).all():
        grouped[row.room_type_id].append(night_from_row(row))
    return grouped


async def update_inventory(
    uow: UnitOfWork,
    room_type: Row,
    start: date,
    end: date,
    patch: NightsPatch,
    expected_etag: str,
    now: datetime,
) -> list[Night]:
    """Applies the patch to every night of [start, end) of `room_type` (find_room_type's row) in one
    statement, or to none."""
    hotel_id = room_type.hotel_id
    if room_type.channel_manager_id is not None:
        raise failed_precondition(
            InventoryReason.CHANNEL_MANAGED_HOTEL,
            f"hotel {hotel_id} takes its inventory from channel manager {room_type.channel_manager_id}",
            hotel_id=hotel_id,
        )
    current = (await load_nights(uow.connection, [room_type.id], start, end, lock=uow))[room_type.id]
    if expected_etag and range_etag(room_type.id, current) != expected_etag:
        raise aborted(
            ApiReason.ETAG_MISMATCH, "the nights changed since this etag was read; read them again", hotel_id=hotel_id
        )
    by_night = {n.night: n for n in current}
    updated = [apply_patch(by_night.get(d), d, patch, room_type.total_rooms) for d in nights_between(start, end)]
    await _write_nights(uow, room_type.id, hotel_id, updated, now)
    return updated


def _upsert_nights(is_sqlite: bool):
    """Built once per dialect and run with one parameter set per night: SQLAlchemy caches its compiled
    form (a `.values([...])` per call was compiled again every time, ~1 ms of a one-night update) and
    sends the nights as one multi-row INSERT ... RETURNING ("insertmanyvalues")."""
    statement = insert_on_conflict(inventory, is_sqlite)
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[inventory.c.room_type_id, inventory.c.night],
        set_={
            name: excluded[name]
            for name in ("total", "available", "oversold", "price_minor", "min_stay", "max_stay", "closed_to_arrival",
                         "closed_to_departure", "stop_sell", "version", "updated_at")
        },
        # Holds move `held` and `available` concurrently; a version that moved means our read is stale.
        where=inventory.c.version + 1 == excluded.version,
    ).returning(inventory.c.night)


_UPSERT_NIGHTS = {is_sqlite: _upsert_nights(is_sqlite) for is_sqlite in (False, True)}


async def _write_nights(uow: UnitOfWork, room_type_id: int, hotel_id: str, nights: list[Night], now: datetime) -> None:
    rows = [
        {
            "room_type_id": room_type_id, "hotel_id": hotel_id, "night": n.night, "total": n.total,
            "available": n.available, "held": n.held, "oversold": n.oversold, "price_minor": n.price_minor,
            "min_stay": n.restrictions.min_stay, "max_stay": n.restrictions.max_stay,
            "closed_to_arrival": n.restrictions.closed_to_arrival,
            "closed_to_departure": n.restrictions.closed_to_departure,
            "stop_sell": n.restrictions.stop_sell, "version": n.version, "updated_at": now,
        }
        for n in nights
    ]
    # RETURNING, not rowcount: drivers report -1 for multi-row inserts.
    written = (await uow.connection.execute(_UPSERT_NIGHTS[uow.is_sqlite], rows)).all()
    if len(written) != len(rows):
        raise aborted(ApiReason.CONCURRENT_UPDATE, "another change to these nights won; try again", hotel_id=hotel_id)


async def availability(
    conn: AsyncConnection, hotel_id: str, code: str, start: date, end: date
) -> tuple[str, list[tuple[Row, list[Night]]]]:
    """The hotel's currency and every requested room type (all when code is empty) with its loaded nights."""
    if code:
        types = [await find_room_type(conn, hotel_id, code)]
        currency = types[0].currency_code
    else:
        currency = (await conn.execute(select(hotels.c.currency_code).where(hotels.c.id == hotel_id))).scalar()
        if currency is None:
            raise not_found(InventoryReason.HOTEL_NOT_FOUND, f"hotel {hotel_id}", hotel_id=hotel_id)
        query = select(room_types).where(room_types.c.hotel_id == hotel_id).order_by(room_types.c.code)
        types = list((await conn.execute(query)).all())
    nights = await load_nights(conn, [t.id for t in types], start, end)
    return currency, [(t, nights[t.id]) for t in types]


async def nights_present(uow: UnitOfWork, wanted: set[tuple[int, date]]) -> set[tuple[int, date]]:
    """Which of the (room type id, night) keys have a row: one query over their room types and dates."""
    params = {"types": sorted({rt for rt, _ in wanted}), "days": sorted({day for _, day in wanted})}
    rows = await uow.connection.execute(_PRESENT, params)
    return {(rt, day) for rt, day in rows.all()} & wanted


# Built once (see store/sync.py's _ROOM_TYPES: an IN built per call leaves reference cycles behind).
_PRESENT = select(inventory.c.room_type_id, inventory.c.night).where(
    inventory.c.room_type_id.in_(bindparam("types", expanding=True)),
    inventory.c.night.in_(bindparam("days", expanding=True)))
