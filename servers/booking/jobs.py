"""Booking jobs: hold expiry and reconciliation (ARCHITECTURE §5.8). Both idempotent, safe to run
in several processes: every change is a guarded transition, every outside call keyed by the booking."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy.engine import Row

from servers.booking import domain, reserve, settle, store
from servers.booking.deps import BookingDeps

log = logging.getLogger("hotelagg.booking.jobs")

# A step in flight is never this slow; older ones were left by a process that died.
STUCK_AFTER = timedelta(minutes=1)


async def expire_bookings(deps: BookingDeps) -> int:
    """HELD bookings past their hold and never paid: rooms back, authorization voided, EXPIRED."""
    async with deps.db.reading() as conn:
        due = await store.expired_holds(conn, datetime.now(timezone.utc))
    done = 0
    for booking in due:
        if booking.step_in_flight in domain.CONFIRM_STEPS:
            # A confirm was under way: its rooms may be sold here and its card charged, so it is
            # carried on (finished, or expired if its rooms were never sold), never simply voided.
            done += await _each(booking, "carry on", settle.carry_on_alone(deps, booking.id))
        else:
            done += await _each(booking, "expire", settle.expire(deps, booking))
    return done


async def reconcile(deps: BookingDeps, stuck_after: timedelta = STUCK_AFTER) -> dict[str, int]:
    """Drives every booking stuck between states to an end: CONFIRMED, or CANCELLED/FAILED and refunded."""
    limit = datetime.now(timezone.utc) - stuck_after
    async with deps.db.reading() as conn:
        pending = await store.stuck(conn, domain.PENDING, limit)
        confirming = await store.confirms_under_way(conn, limit)
    report = {"failed": 0, "finished": 0}
    for booking in pending:
        report["failed"] += await _each(booking, "undo", reserve.undo(deps, booking, "never finished (reconciled)"))
    for booking in confirming:
        # Not under the booking's lock: a dead process's lock would stall it for the lock's life, and
        # a booking nothing moved for stuck_after has no live confirm (each step moves it, and none
        # takes that long). Unreachable channel manager or gateway: raises, the next run tries again.
        report["finished"] += await _each(booking, "finish", settle.carry_on_if_held(deps, booking.id))
    return report


async def _each(booking: Row, what: str, step) -> int:
    try:
        await step
        return 1
    except Exception:  # noqa: BLE001 - one booking must not stop the others; the next run retries it
        log.exception("booking job step failed", extra={"booking_id": booking.id, "step": what})
        return 0
