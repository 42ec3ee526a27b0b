from datetime import date, timedelta

from sqlalchemy import distinct, func, select

from servers.seed import seed
from servers.storage.tables import hotels, inventory, room_types
from tests.integration.rows import count

START = date(2027, 1, 1)
LAST = START + timedelta(days=364)


async def scalar(db, query):
    async with db.reading() as conn:
        return (await conn.execute(query)).scalar_one()


async def test_seed_adds_24_hotels_72_room_types_and_a_year_of_nights(db):
    assert await seed(db, start=START) == 24
    assert await count(db, hotels) == 24
    assert await count(db, room_types) == 72
    assert await count(db, inventory) == 72 * 365


async def test_second_seed_adds_nothing(db):
    await seed(db, start=START)
    assert await seed(db, start=START + timedelta(days=3)) == 0
    assert (await count(db, hotels), await count(db, room_types), await count(db, inventory)) == (24, 72, 72 * 365)


async def test_seeded_hotels_span_several_cities_with_three_room_types_each(db):
    await seed(db, start=START)
    assert await scalar(db, select(func.count(distinct(hotels.c.city)))) >= 4
    assert await scalar(db, select(func.count(distinct(hotels.c.country_code)))) >= 4
    async with db.reading() as conn:
        per_hotel = (await conn.execute(
            select(room_types.c.hotel_id, func.count()).group_by(room_types.c.hotel_id)
        )).all()
    assert len(per_hotel) == 24 and {n for _, n in per_hotel} == {3}
    mismatched = (
        select(func.count()).select_from(inventory.join(room_types, room_types.c.id == inventory.c.room_type_id))
        .where((inventory.c.hotel_id != room_types.c.hotel_id) | (inventory.c.total != room_types.c.total_rooms))
    )
    assert await scalar(db, mismatched) == 0


async def test_every_room_type_has_every_night_of_the_year_priced_and_free(db):
    await seed(db, start=START)
    async with db.reading() as conn:
        per_room_type = (await conn.execute(
            select(inventory.c.room_type_id, func.count(), func.min(inventory.c.night), func.max(inventory.c.night))
            .group_by(inventory.c.room_type_id)
        )).all()
    assert len(per_room_type) == 72
    assert {(n, first, last) for _, n, first, last in per_room_type} == {(365, START, LAST)}
    assert await count(db, inventory, inventory.c.price_minor.is_(None)) == 0
    assert await scalar(db, select(func.min(inventory.c.price_minor))) > 0
    assert await count(db, inventory, inventory.c.available != inventory.c.total) == 0
    assert await count(db, inventory, inventory.c.held != 0) == 0


async def test_seeded_nights_carry_some_restrictions(db):
    await seed(db, start=START)
    assert await count(db, inventory, inventory.c.min_stay > 0) > 0
    assert await count(db, inventory, inventory.c.stop_sell.is_(True)) > 0
    assert await count(db, inventory, inventory.c.closed_to_arrival.is_(True)) > 0
    assert await count(db, inventory, inventory.c.min_stay == 0, inventory.c.stop_sell.is_(False)) > 72 * 300

