import pytest
from sqlalchemy import insert, select

from servers.storage.database import UnitOfWork
from servers.storage.tables import hotels
from tests.integration.rows import count, hotel_row


class Boom(Exception):
    pass


async def add_hotel(uow: UnitOfWork, hotel_id: str) -> None:
    await uow.connection.execute(insert(hotels).values(**hotel_row(hotel_id)))


async def test_work_not_committed_is_rolled_back(db):
    async with db.unit_of_work() as uow:
        await add_hotel(uow, "never-committed")
    assert await count(db, hotels) == 0


async def test_work_is_rolled_back_when_an_exception_escapes(db):
    with pytest.raises(Boom):
        async with db.unit_of_work() as uow:
            await add_hotel(uow, "doomed-hotel")
            raise Boom()
    assert await count(db, hotels) == 0


async def test_committed_work_is_kept(db):
    async with db.unit_of_work() as uow:
        await add_hotel(uow, "kept-hotel")
        await uow.commit()
    async with db.reading() as conn:
        assert (await conn.execute(select(hotels.c.id))).scalars().all() == ["kept-hotel"]


async def test_exception_after_commit_keeps_what_was_committed(db):
    with pytest.raises(Boom):
        async with db.unit_of_work() as uow:
            await add_hotel(uow, "kept-hotel")
            await uow.commit()
            raise Boom()
    assert await count(db, hotels) == 1


async def test_uncommitted_work_is_invisible_to_readers(db):
    async with db.unit_of_work() as uow:
        await add_hotel(uow, "in-flight")
        assert await count(db, hotels) == 0
        await uow.commit()
    assert await count(db, hotels) == 1


async def test_each_unit_of_work_is_its_own_transaction(db):
    async with db.unit_of_work() as first:
        await add_hotel(first, "first-hotel")
        await first.commit()
    async with db.unit_of_work() as second:
        await add_hotel(second, "second-hotel")
    assert await count(db, hotels) == 1


async def test_connection_outside_the_block_is_an_error(db):
    uow = db.unit_of_work()
    with pytest.raises(RuntimeError):
        _ = uow.connection
    async with uow:
        pass
    with pytest.raises(RuntimeError):
        _ = uow.connection


async def test_for_update_locks_rows_only_where_rows_can_be_locked(db):
    uow = db.unit_of_work()
    statement = select(hotels)
    locked = uow.for_update(statement)
    if db.is_sqlite:
        assert locked is statement
    else:
        assert "FOR UPDATE" in str(locked.compile(db.engine.sync_engine))
