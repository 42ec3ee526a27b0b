"""Inventory jobs: the hold sweeper."""

from __future__ import annotations

import logging

from servers.inventory.flows import changes
from servers.inventory.flows.changes import ChangeHub
from servers.inventory.store import holds
from servers.runtime.clock import SYSTEM_CLOCK, Clock
from servers.storage.database import Database

log = logging.getLogger("hotelagg.inventory.jobs")


async def sweep_expired_holds(db: Database, hub: ChangeHub, batch: int = 500, clock: Clock = SYSTEM_CLOCK) -> int:
    """Expires every hold past its time (by `clock`) and gives its rooms back; returns how many."""
    total = 0
    while True:
        now = clock.now()
        async with db.unit_of_work() as uow:
            reclaimed = await holds.reclaim_expired(uow, now, limit=batch)
            for hold, nights in reclaimed:
                change = changes.InventoryChange(hold.hotel_id, hold.room_type_code, hold.currency_code,
                                                 changes.EXPIRY, tuple(nights), now)
                await hub.record(uow, change)
            await uow.commit()
        total += len(reclaimed)
        if len(reclaimed) < batch:
            break
    if total:
        log.info("expired holds reclaimed", extra={"holds": total})
    return total
