"""The housekeeping job: removes what every table that grows with traffic no longer needs.

It runs in every serving process and as `python -m servers worker housekeeping`; any number of copies may
run at once (storage/purge.py). What stays: everything still in use (keys not yet expired, messages not
yet published or parked, events waiting for a gap, open deliveries, live or sold holds, bookings that
happened), and the rest for `retention_days` (`ended_booking_retention_days` for bookings that never
came to be), so that an operator can still look at yesterday's traffic.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from servers.booking.retention import purge_never_booked
from servers.inventory.store.retention import purge_applied_events, purge_ended_holds
from servers.messaging.store import purge_published
from servers.partner.retention import purge_delivered
from servers.runtime.clock import SYSTEM_CLOCK, Clock

log = logging.getLogger("hotelagg.housekeeping")


async def run(parts, clock: Clock = SYSTEM_CLOCK) -> dict[str, int]:
    """One round over every table (what is old is measured from `clock`); returns how many rows went, by
    what they were."""
    s = parts.settings
    batch = s.housekeeping_batch_size
    now = clock.now()
    kept = timedelta(days=s.retention_days)
    purged = {
        "idempotency keys": await parts.idempotency.purge_expired(batch),
        "outbox messages": await purge_published(parts.db, kept, batch),
        "webhook events": await purge_applied_events(parts.db, now - kept, batch),
        "deliveries": await purge_delivered(parts.db, now - kept, batch),
        # Bookings before holds: a booking that goes lets its hold go in the same round.
        "bookings": await purge_never_booked(parts.db, now - timedelta(days=s.ended_booking_retention_days), batch),
        "holds": await purge_ended_holds(parts.db, now - kept, batch),
    }
    if any(purged.values()):
        log.info("purged", extra={"purged": purged})
    return purged
