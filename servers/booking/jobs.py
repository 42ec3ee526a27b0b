"""Booking jobs: hold expiry and reconciliation (ARCHITECTURE §5.8). Both idempotent, safe to run
in several processes: every change is a guarded transition, every outside call keyed by the booking."""

from __future__ import annotations

import logging
from datetime import timedelta

from servers.booking import domain, reserve, settle
from servers.booking.bookings import Booking
from servers.booking.deps import BookingDeps

log = logging.getLogger("hotelagg.booking.jobs")

# A step in flight is never this slow; older ones were left by a process that died.
STUCK_AFTER = timedelta(minutes=1)


async def expire_bookings(deps: BookingDeps) -> int:
    """HELD bookings past their hold and never paid: rooms back, authorization voided, EXPIRED."""
    now = deps.clock.now()
    due = await deps.bookings.expired_holds(now)
    done = 0
    for booking in due:
        if booking.step_in_flight in domain.CONFIRM_STEPS:
            # A confirm was under way: its rooms may be sold here and its card charged, so it is
            # carried on (finished, or expired if its rooms were never sold), never simply voided.
            done += await _each(deps, booking, "carry on", settle.carry_on_alone(deps, booking.id))
        else:
            done += await _each(deps, booking, "expire", settle.expire(deps, booking))
    return done


async def reconcile(deps: BookingDeps, stuck_after: timedelta = STUCK_AFTER) -> dict[str, int]:
    """Drives every booking stuck between states to an end: CONFIRMED, or CANCELLED/FAILED and refunded."""
    now = deps.clock.now()
    limit = now - stuck_after
    pending = await deps.bookings.stuck(domain.PENDING, limit, now)
    confirming = await deps.bookings.confirms_under_way(limit, now)
    cancelling = await deps.bookings.stuck(domain.CANCELLING, limit, now)
    report = {"failed": 0, "finished": 0, "cancelled": 0}
    for booking in pending:
        report["failed"] += await _each(deps, booking, "undo",
                                        reserve.undo(deps, booking, "never finished (reconciled)"))
    for booking in confirming:
        # Not under the booking's lock: a dead process's lock would stall it for the lock's life, and
        # a booking nothing moved for stuck_after has no live confirm (each step moves it, and none
        # takes that long). Unreachable channel manager or gateway: raises, the next run tries again.
        report["finished"] += await _each(deps, booking, "finish", settle.carry_on_if_held(deps, booking.id))
    for booking in cancelling:
        report["cancelled"] += await _each(deps, booking, "cancel", settle.finish_cancelling(deps, booking))
    return report


async def _each(deps: BookingDeps, booking: Booking, what: str, step) -> int:
    try:
        await step
        return 1
    except Exception:  # noqa: BLE001 - one booking must not stop the others; it is tried again after a wait
        log.exception("booking job step failed", extra={"booking_id": booking.id, "step": what})
        try:
            await deps.bookings.back_off(booking, deps.clock.now())
        except Exception:  # noqa: BLE001 - the database itself failing: the next run tries again anyway
            log.exception("could not record the failed step", extra={"booking_id": booking.id})
        return 0
