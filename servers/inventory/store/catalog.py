"""Hotels and room types: create, read, list (SQL side of the catalog)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from servers.inventory.domain import NewHotel, NewRoomType
from servers.inventory.reasons import InventoryReason
from servers.runtime.errors import already_exists, not_found
from servers.storage.database import UnitOfWork
from servers.storage.tables import hotels, room_types

# A hotels row as select(hotels) reads it: what the mirror, the poller and the webhook receiver pass around.
HotelRow = Row


class HotelRecord(NamedTuple):
    hotel: Row
    room_types: list[Row]


async def create_hotel(uow: UnitOfWork, hotel: NewHotel, now: datetime) -> HotelRecord:
    conn = uow.connection
    if (await conn.execute(select(hotels.c.id).where(hotels.c.id == hotel.hotel_id))).first():
        raise already_exists(InventoryReason.HOTEL_EXISTS, f"hotel {hotel.hotel_id}", hotel_id=hotel.hotel_id)
    values = asdict(hotel)
    values["id"] = values.pop("hotel_id")
    try:
        await conn.execute(
            insert(hotels).values(**values, city_key=hotel.city.strip().lower(), created_at=now, updated_at=now)
        )
    except IntegrityError:
        raise already_exists(
            InventoryReason.HOTEL_EXISTS, f"hotel {hotel.hotel_id} or its channel manager code", hotel_id=hotel.hotel_id
        ) from None
    return await get_hotel(conn, hotel.hotel_id)


async def create_room_type(uow: UnitOfWork, hotel_id: str, room_type: NewRoomType, now: datetime) -> Row:
    conn = uow.connection
    await _lock_hotel(uow, hotel_id)
    exists = select(room_types.c.id).where(room_types.c.hotel_id == hotel_id, room_types.c.code == room_type.code)
    if (await conn.execute(exists)).first():
        raise already_exists(
            InventoryReason.ROOM_TYPE_EXISTS,
f"room type {room_type.code}", hotel_id=hotel_id, room_type_code=room_type.code
        )
    await conn.execute(
        insert(room_types).values(hotel_id=hotel_id, **asdict(room_type), created_at=now, updated_at=now)
    )
    # A hotel's etag covers its room types.
    await conn.execute(
        update(hotels).where(hotels.c.id == hotel_id).values(version=hotels.c.version + 1, updated_at=now)
    )
    return (await conn.execute(select(room_types).where(room_types.c.hotel_id == hotel_id,
                                                        room_types.c.code == room_type.code))).one()


async def _lock_hotel(uow: UnitOfWork, hotel_id: str) -> Row:
    row = (await uow.connection.execute(uow.for_update(select(hotels).where(hotels.c.id == hotel_id)))).first()
    if row is None:
        raise not_found(InventoryReason.HOTEL_NOT_FOUND, f"hotel {hotel_id}", hotel_id=hotel_id)
    return row


async def get_hotel(conn: AsyncConnection, hotel_id: str) -> HotelRecord:
    row = (await conn.execute(select(hotels).where(hotels.c.id == hotel_id))).first()
    if row is None:
        raise not_found(InventoryReason.HOTEL_NOT_FOUND, f"hotel {hotel_id}", hotel_id=hotel_id)
    return HotelRecord(row, (await _room_types_of(conn, [hotel_id])).get(hotel_id, []))


async def list_hotels(
    conn: AsyncConnection, *, city: str, country_code: str, after: str | None, limit: int
) -> list[HotelRecord]:
    """One page of hotels by id, with their room types: two queries whatever the page size."""
    query = select(hotels).order_by(hotels.c.id).limit(limit)
    if city:
        query = query.where(hotels.c.city_key == city.strip().lower())
    if country_code:
        query = query.where(hotels.c.country_code == country_code)
    if after:
        query = query.where(hotels.c.id > after)
    rows = (await conn.execute(query)).all()
    by_hotel = await _room_types_of(conn, [row.id for row in rows])
    return [HotelRecord(row, by_hotel.get(row.id, [])) for row in rows]


async def _room_types_of(conn: AsyncConnection, hotel_ids: list[str]) -> dict[str, list[Row]]:
    if not hotel_ids:
        return {}
    query = select(room_types).where(room_types.c.hotel_id.in_(hotel_ids)).order_by(
        room_types.c.hotel_id, room_types.c.code
    )
    grouped: dict[str, list[Any]] = {}
    for row in (await conn.execute(query)).all():
        grouped.setdefault(row.hotel_id, []).append(row)
    return grouped


async def hotel_row(conn, hotel_id: str) -> HotelRow | None:
    return (await conn.execute(select(hotels).where(hotels.c.id == hotel_id))).first()


async def hotel_by_code(conn, channel_manager_id: str, hotel_code: str) -> HotelRow | None:
    query = select(hotels).where(hotels.c.channel_manager_id == channel_manager_id,
                                 hotels.c.channel_manager_hotel_code == hotel_code)
    return (await conn.execute(query)).first()


async def channel_managed_hotels(conn) -> list[HotelRow]:
    query = select(hotels).where(hotels.c.channel_manager_id.is_not(None)).order_by(hotels.c.id)
    return list((await conn.execute(query)).all())
