"""Deleting what has served its purpose, a batch per short transaction, beside live traffic.

Several workers may purge at once: on PostgreSQL each batch locks the rows it picks with SKIP LOCKED, so
they take different rows instead of waiting for each other; on SQLite one writer at a time runs anyway.
A row deleted by someone else is simply not deleted twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, delete, select, tuple_

from servers.storage.database import Database


async def purge(db: Database, table: Table, condition: Any, batch: int) -> int:
    """Deletes every row of `table` matching `condition`, `batch` rows per transaction; returns how many."""
    key = list(table.primary_key.columns)
    total = 0
    while True:
        async with db.unit_of_work() as uow:
            chosen = select(*key).where(condition).limit(batch)
            if not uow.is_sqlite:
                chosen = chosen.with_for_update(skip_locked=True)
            target = key[0].in_(chosen) if len(key) == 1 else tuple_(*key).in_(chosen)
            deleted = (await uow.connection.execute(delete(table).where(target))).rowcount
            await uow.commit()
        total += deleted
        if deleted < batch:
            return total
