"""The SQL of placing a batch of holds: their rows, and their rooms taken off the nights in one statement.

The batch (flows/holds.py) decided on nights it read; the database still has the last word: every
night is taken only where `available - held >= n` for what the whole batch takes of it, so a writer
that moved a night since the read makes the statement touch fewer rows, and the batch is decided
again (NightsMoved) instead of overselling.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from sqlalchemy import case, insert, update

from servers.hotel.nights import Night
from servers.inventory.store import holds
from servers.inventory.store.ari import night_from_row
from servers.storage.database import UnitOfWork
from servers.storage.tables import holds as holds_table
from servers.storage.tables import inventory


class NightsMoved(Exception):
    """The database refused what the batch decided (another writer moved a night): decide again alone."""


async def insert_holds(uow: UnitOfWork, room_type_id: int, placed: Sequence[holds.HoldRecord], now: datetime) -> None:
    """The rows of the holds the batch accepted, in one statement."""
    await uow.connection.execute(insert(holds_table), [
        {"id": hold.id, "hotel_id": hold.hotel_id, "room_type_id": room_type_id, "check_in": hold.check_in,
         "check_out": hold.check_out, "quantity": hold.quantity, "status": hold.status,
         "expires_at": hold.expires_at, "created_at": hold.created_at, "updated_at": now,
         "total_minor": hold.total_minor}
        for hold in placed])


async def take_rooms(uow: UnitOfWork, room_type_id: int, taken: Mapping[date, int], now: datetime) -> list[Night]:
    """Holds `taken[night]` more rooms on each night, all nights or none; the nights as they are now.

    Raises NightsMoved when a night no longer has the rooms (the transaction must then roll back)."""
    wanted = case(*((inventory.c.night == night, n) for night, n in taken.items()), else_=0)
    statement = (
        update(inventory)
        .where(inventory.c.room_type_id == room_type_id, inventory.c.night.in_(list(taken)),
               inventory.c.available - inventory.c.held >= wanted)
        .values(held=inventory.c.held + wanted, version=inventory.c.version + 1, updated_at=now)
        .returning(*holds.NIGHT_COLUMNS)
    )
    rows = (await uow.connection.execute(statement)).all()
    if len(rows) != len(taken):
        raise NightsMoved()
    return sorted((night_from_row(row) for row in rows), key=lambda n: n.night)
