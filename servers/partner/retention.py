"""Deliveries sent long ago: one row per (partner, hotel) round, so they grow with every ARI change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_

from servers.storage.database import Database
from servers.storage.purge import purge
from servers.storage.tables import deliveries


async def purge_delivered(db: Database, before: datetime, batch: int) -> int:
    """Delivered before `before`; open ones (pending, retrying, parked) stay until they are delivered."""
    return await purge(db, deliveries, and_(deliveries.c.status == "delivered", deliveries.c.delivered_at < before),
                       batch)
