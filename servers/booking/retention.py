"""Bookings that never came to be: a create that failed (undone, nothing paid) or a hold that lapsed
unpaid. They are kept long enough to answer questions about them, then removed, so that abandoned or
declined attempts do not grow the table for ever. Confirmed and cancelled bookings are records: kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_

from servers.storage.database import Database
from servers.storage.purge import purge
from servers.storage.tables import bookings

NEVER_BOOKED = ("failed", "expired")


async def purge_never_booked(db: Database, before: datetime, batch: int) -> int:
    return await purge(db, bookings, and_(bookings.c.status.in_(NEVER_BOOKED), bookings.c.updated_at < before),
                       batch)
