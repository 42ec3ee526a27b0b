from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from servers.storage.tables import idempotency_keys, inventory, webhook_events
from tests.integration.rows import NIGHT, NOW, add_room_type, count, night_row


def key_row(scope: str = "hotelagg.inventory.v1.InventoryService/CreateHotel", key: str = "k-1") -> dict:
    return dict(scope=scope, key=key, request_hash="0" * 64, status="in_progress", locked_until=NOW,
                created_at=NOW, expires_at=NOW + timedelta(hours=24))


def event_row(source: str = "siteminder", event_id: str = "evt-1") -> dict:
    return dict(source=source, event_id=event_id, hotel_id="test-hotel", sequence=1, received_at=NOW)


@pytest.mark.parametrize("counts, constraints", [
    ({"available": -1}, {"ck_inventory_available_non_negative"}),
    ({"held": -1}, {"ck_inventory_held_non_negative"}),
    # A negative total with a non-negative available also breaks available <= total; either may be named.
    ({"total": -1, "available": 0}, {"ck_inventory_total_non_negative", "ck_inventory_available_within_total"}),
    ({"total": 5, "available": 6}, {"ck_inventory_available_within_total"}),
    ({"price_minor": -100}, {"ck_inventory_price_non_negative"}),
    ({"min_stay": -1}, {"ck_inventory_stay_limits_non_negative"}),
])
async def test_night_with_impossible_counts_is_refused_and_nothing_is_written(db, counts, constraints):
    room_type_id = await add_room_type(db)
    with pytest.raises(IntegrityError) as caught:
        async with db.unit_of_work() as uow:
            await uow.connection.execute(insert(inventory).values(**night_row(room_type_id)))
            await uow.connection.execute(
                insert(inventory).values(**night_row(room_type_id, NIGHT + timedelta(days=1), **counts))
            )
            await uow.commit()
    assert any(name in str(caught.value.orig) for name in constraints)
    assert await count(db, inventory) == 0


@pytest.mark.parametrize("change", [
    {"available": inventory.c.available - 6},
    {"held": inventory.c.held - 1},
    {"available": inventory.c.available + 1},
    {"total": inventory.c.total - 1},
])
async def test_update_driving_a_night_out_of_bounds_is_refused_and_rolled_back(db, change):
    room_type_id = await add_room_type(db)
    async with db.unit_of_work() as uow:
        await uow.connection.execute(insert(inventory).values(**night_row(room_type_id, total=5, available=5)))
        await uow.commit()
    with pytest.raises(IntegrityError):
        async with db.unit_of_work() as uow:
            await uow.connection.execute(update(inventory).values(price_minor=1))
            await uow.connection.execute(update(inventory).values(**change))
            await uow.commit()
    async with db.reading() as conn:
        row = (await conn.execute(select(inventory))).one()
    assert (row.total, row.available, row.held, row.price_minor, row.version) == (5, 5, 0, 10000, 1)


async def test_idempotency_key_is_unique_per_scope(db):
    async with db.unit_of_work() as uow:
        await uow.connection.execute(insert(idempotency_keys).values(**key_row()))
        await uow.connection.execute(insert(idempotency_keys).values(**key_row(scope="another/Rpc")))
        await uow.connection.execute(insert(idempotency_keys).values(**key_row(key="k-2")))
        await uow.commit()
    with pytest.raises(IntegrityError):
        async with db.unit_of_work() as uow:
            await uow.connection.execute(insert(idempotency_keys).values(**key_row()))
    assert await count(db, idempotency_keys) == 3


async def test_webhook_event_is_stored_once_per_source(db):
    async with db.unit_of_work() as uow:
        await uow.connection.execute(insert(webhook_events).values(**event_row()))
        await uow.connection.execute(insert(webhook_events).values(**event_row(source="channex")))
        await uow.commit()
    with pytest.raises(IntegrityError):
        async with db.unit_of_work() as uow:
            await uow.connection.execute(insert(webhook_events).values(**event_row()))
    assert await count(db, webhook_events) == 2


async def test_night_of_an_unknown_room_type_is_refused(db):
    await add_room_type(db)
    with pytest.raises(IntegrityError):
        async with db.unit_of_work() as uow:
            await uow.connection.execute(insert(inventory).values(**night_row(room_type_id=999_999)))
    assert await count(db, inventory) == 0
