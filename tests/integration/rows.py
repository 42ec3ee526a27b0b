"""Rows the integration tests insert directly, bypassing the services."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, insert, select

from servers.storage.database import Database
from servers.storage.tables import hotels, inventory, listings, partners, room_types

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
NIGHT = date(2026, 6, 1)


def hotel_row(hotel_id: str = "test-hotel", **overrides) -> dict:
    row = dict(
        id=hotel_id, name="Test Hotel", city="Paris", city_key="paris", country_code="FR", latitude=48.85,
        longitude=2.35, time_zone="Europe/Paris", currency_code="EUR", created_at=NOW, updated_at=NOW,
    )
    row.update(overrides)
    return row


def night_row(room_type_id: int, night: date = NIGHT, hotel_id: str = "test-hotel", **overrides) -> dict:
    row = dict(room_type_id=room_type_id, night=night, hotel_id=hotel_id, total=5, available=5, held=0,
               price_minor=10000, version=1, updated_at=NOW)
    row.update(overrides)
    return row


async def add_room_type(db: Database, hotel_id: str = "test-hotel", code: str = "STD", rooms: int = 5) -> int:
    """A committed hotel with one room type; returns the room type id."""
    async with db.unit_of_work() as uow:
        await uow.connection.execute(insert(hotels).values(**hotel_row(hotel_id)))
        await uow.connection.execute(insert(room_types).values(
            hotel_id=hotel_id, code=code, name="Standard", max_occupancy=2, total_rooms=rooms,
            created_at=NOW, updated_at=NOW,
        ))
        room_type_id = (await uow.connection.execute(
            select(room_types.c.id).where(room_types.c.hotel_id == hotel_id, room_types.c.code == code)
        )).scalar_one()
        await uow.commit()
    return room_type_id


async def count(db: Database, table, *where) -> int:
    async with db.reading() as conn:
        return (await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one()


async def list_on_partners(db: Database, hotel_ids: tuple[str, ...], partner_ids: tuple[str, ...],
                           nights: int = 5) -> dict[str, int]:
    """Each hotel with `nights` nights of one room type (DBL, priced 1000 + n), listed on every partner
    (json_rest, property P<i>, room ROOM); hotel id → room type id."""
    rooms = {hotel: await add_room_type(db, hotel, "DBL") for hotel in hotel_ids}
    async with db.unit_of_work() as uow:
        for partner_id in partner_ids:
            await uow.connection.execute(insert(partners).values(
                id=partner_id, name=partner_id, protocol="json_rest", endpoint_url="http://127.0.0.1:9",
                api_key_hash=uuid.uuid4().hex, api_key_prefix="hpk_x", requests_per_minute=60,
                inbound_requests_per_minute=60, created_at=NOW, updated_at=NOW))
            for i, (hotel, room_type_id) in enumerate(rooms.items()):
                await uow.connection.execute(insert(listings).values(
                    id=str(uuid.uuid4()), partner_id=partner_id, hotel_id=hotel, room_type_id=room_type_id,
                    partner_property_code=f"P{i}", partner_room_code="ROOM", created_at=NOW, updated_at=NOW))
        for hotel, room_type_id in rooms.items():
            await uow.connection.execute(insert(inventory), [
                night_row(room_type_id, NIGHT + timedelta(days=n), hotel, price_minor=1000 + n)
                for n in range(nights)])
        await uow.commit()
    return rooms
