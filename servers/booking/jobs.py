"""Booking jobs: hold expiry and reconciliation (ARCHITECTURE §5.8). Both idempotent, safe to run
in several processes: every change is a guarded transition, every outside call keyed by the booking."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy.engine import Row

from clients.payments import PaymentNotFound
from servers.booking import domain, reserve, settle, store
from servers.booking.deps import BookingDeps

log = logging.getLogger("hotelagg.booking.jobs")

# A step in flight is never this slow; older ones were left by a process that died.
STUCK_AFTER = timedelta(minutes=2)


async def expire_bookings(deps: BookingDeps) -> int:
    """HELD bookings past their hold and never paid: rooms back, authorization voided, EXPIRED."""
    now = datetime.now(timezone.utc)
    async with deps.db.reading() as conn:
        due = await store.expired_holds(conn, now)
    done = 0
    for booking in due:
        done += await _each(deps, booking, "expire", settle.expire(deps, booking))
    return done


async def reconcile(deps: BookingDeps, stuck_after: timedelta = STUCK_AFTER) -> dict[str, int]:
    """Drives every booking stuck between states to an end: CONFIRMED, or CANCELLED/FAILED and refunded."""
    now = datetime.now(timezone.utc)
    limit = now - stuck_after
    async with deps.db.reading() as conn:
        pending = await store.stuck(conn, domain.PENDING, limit, now)
        held = await store.stuck(conn, domain.HELD, limit, now)
        cancelling = await store.stuck(conn, domain.CANCELLING, limit, now)
    report = {"failed": 0, "finished": 0, "cancelled": 0}
    for booking in pending:
        report["failed"] += await _each(deps, booking, "undo",
                                        reserve.undo(deps, booking, "never finished (reconciled)"))
    for booking in held:
        report["finished"] += await _each(deps, booking, "finish", _finish_if_paid(deps, booking))
    for booking in cancelling:
        report["cancelled"] += await _each(deps, booking, "cancel", settle.finish_cancelling(deps, booking))
    return report


async def _finish_if_paid(deps: BookingDeps, booking: Row) -> None:
    """A booking whose payment was captured (even if the process died before writing it down) is finished."""
    if booking.paid_minor == 0 and booking.payment_reference:
        try:
            payment = await deps.payments.payment(booking.payment_reference)
        except PaymentNotFound:
            return
        if payment.captured_minor == 0:
            return  # not paid: it confirms or expires the ordinary way
        booking = await store.change(deps.db, booking, datetime.now(timezone.utc), paid_minor=payment.captured_minor)
    if booking.paid_minor > 0:
        await settle.finish(deps, booking)  # unreachable channel manager: raises, the next run tries again


async def _each(deps: BookingDeps, booking: Row, what: str, step) -> int:
    try:
        await step
        return 1
    except Exception:  # noqa: BLE001 - one booking must not stop the others; it is tried again after a wait
        log.exception("booking job step failed", extra={"booking_id": booking.id, "step": what})
        try:
            await store.back_off(deps.db, booking, datetime.now(timezone.utc))
        except Exception:  # noqa: BLE001 - the database itself failing: the next run tries again anyway
            log.exception("could not record the failed step", extra={"booking_id": booking.id})
        return 0
