"""What inventory keeps only for a while: holds that ended, webhook events applied."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, exists

from servers.storage.database import Database
from servers.storage.purge import purge
from servers.storage.tables import bookings, holds, webhook_events

# Released or expired: their rooms are back. Held holds still count, committed ones are sold rooms.
ENDED_HOLDS = ("released", "expired")


async def purge_ended_holds(db: Database, before: datetime, batch: int) -> int:
    """Holds that ended before `before` and that no booking refers to (a booking keeps its hold)."""
    # A hold ends at the latest when it expires, so an old expiry is an old end (and it is indexed).
    ended = and_(holds.c.status.in_(ENDED_HOLDS), holds.c.expires_at < before,
                 ~exists().where(bookings.c.hold_id == holds.c.id))
    return await purge(db, holds, ended, batch)


async def purge_applied_events(db: Database, before: datetime, batch: int) -> int:
    """Webhook events applied (or found stale) and received before `before`. Their ids only dedupe
    redeliveries, which come within minutes; a later one is still ordered by its sequence. Events still
    waiting for a gap to fill stay."""
    applied = and_(webhook_events.c.applied_at.is_not(None), webhook_events.c.received_at < before)
    return await purge(db, webhook_events, applied, batch)
