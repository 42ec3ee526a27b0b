"""kill -9 at every outside step of CreateBooking, ConfirmBooking and CancelBooking (issue 14, item 6).

The server (`python -m servers serve`, a real process over the `db` fixture's database: SQLite, or
PostgreSQL with Redis and RabbitMQ) is driven to one step and killed while it waits there: a sandbox
stall holds that route either *before* its work (the kill is a crash before the step: the sandbox
never does it) or *after* it (the step succeeded and the kill lost its answer, before the local write
that records it). Restarted over the same database with its jobs running often, the booking must end
— CONFIRMED, or FAILED/CANCELLED/EXPIRED — within its hold's life, with the money balanced at the
gateway (captured − refunded = what the booking says was paid, no authorization left standing) and the
channel manager agreeing (our reservation confirmed exactly when the booking is, none left held).

A cancel is killed after its decision is written (CANCELLING) on the way to the channel manager or the
gateway; the restarted server's reconciliation finishes it, refunding all but the fee decided then.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import pytest
from hotelagg.booking.v1 import booking_pb2 as bk
from hotelagg.booking.v1 import booking_pb2_grpc
from sqlalchemy import select

from sandbox.payment_gateway.plumbing import LEDGER
from servers.storage.tables import holds
from tests.api.helpers import request_id
from tests.e2e.booking_rig import (
    AUTHORIZE,
    CAPTURE,
    CM_CANCEL,
    CM_CONFIRM,
    REFUND,
    RESERVE,
    VOID,
    confirm,
    create,
    our_bookings,
    sandboxes,
    until,
)
from tests.e2e.crash_rig import kill_once_waiting, mirrored_hotel, served, server_settings
from tests.e2e.process import free_port

HOTEL = "cm-kill-hotel"
HOLD_SECONDS = 120
STALL_MS = 60_000  # longer than the test: the server is killed while it waits
ENDS = ("confirmed", "cancelled", "failed", "expired")
# The first server must wait at the stall, not time out first; its jobs must not run meanwhile.
FIRST = dict(default_hold_ttl_seconds=HOLD_SECONDS, channel_manager_timeout_seconds=30, payment_timeout_seconds=30)
# The restarted one finds the booking at once: a booking left a second is stuck.
RESTARTED = dict(default_hold_ttl_seconds=HOLD_SECONDS, reconcile_interval_seconds=0.2, reconcile_stuck_seconds=1,
                 booking_expiry_interval_seconds=0.2)


@dataclass(frozen=True)
class KillPoint:
    rpc: str  # which driver takes the booking there: a key of DRIVERS
    route: str  # the sandbox route the server is waiting on when it is killed
    when: str  # "before": killed before the step was done; "after": done, its answer lost
    ends: str  # the booking's status once the restarted server has finished with it


STEPS = {
    "create: reserve at the channel manager, killed before": KillPoint("create", RESERVE, "before", "failed"),
    "create: reserve at the channel manager, killed after": KillPoint("create", RESERVE, "after", "failed"),
    "create: authorize the card, killed before": KillPoint("create", AUTHORIZE, "before", "failed"),
    "create: authorize the card, killed after": KillPoint("create", AUTHORIZE, "after", "failed"),
    # By the capture our hold is committed: a kill before it is a kill between the two.
    "confirm: capture, killed before": KillPoint("confirm", CAPTURE, "before", "confirmed"),
    "confirm: capture, killed after": KillPoint("confirm", CAPTURE, "after", "confirmed"),
    "confirm: confirm at the channel manager, killed before": KillPoint("confirm", CM_CONFIRM, "before", "confirmed"),
    "confirm: confirm at the channel manager, killed after": KillPoint("confirm", CM_CONFIRM, "after", "confirmed"),
    # Cancels of a confirmed booking (refund) and of a held one (void), killed once CANCELLING is written.
    "cancel confirmed: cancel at the channel manager, killed before": KillPoint("cancel", CM_CANCEL, "before",
                                                                               "cancelled"),
    "cancel confirmed: cancel at the channel manager, killed after": KillPoint("cancel", CM_CANCEL, "after",
                                                                              "cancelled"),
    "cancel confirmed: refund, killed before": KillPoint("cancel", REFUND, "before", "cancelled"),
    "cancel confirmed: refund, killed after": KillPoint("cancel", REFUND, "after", "cancelled"),
    "cancel held: void the authorization, killed before": KillPoint("cancel held", VOID, "before", "cancelled"),
    "cancel held: void the authorization, killed after": KillPoint("cancel held", VOID, "after", "cancelled"),
}


async def _create(side, point: KillPoint, booking_stub) -> asyncio.Future:
    await side.stall(point.route, point.when, ms=STALL_MS)
    return asyncio.ensure_future(booking_stub.CreateBooking(create(HOTEL), timeout=60))


async def _confirm(side, point: KillPoint, booking_stub) -> asyncio.Future:
    held = (await booking_stub.CreateBooking(create(HOTEL), timeout=10)).booking  # unstalled
    await side.stall(point.route, point.when, ms=STALL_MS)
    return asyncio.ensure_future(booking_stub.ConfirmBooking(confirm(held.booking_id), timeout=60))


async def _cancel(side, point: KillPoint, booking_stub) -> asyncio.Future:
    held = (await booking_stub.CreateBooking(create(HOTEL), timeout=10)).booking  # unstalled
    done = (await booking_stub.ConfirmBooking(confirm(held.booking_id), timeout=10)).booking
    assert done.status == bk.BOOKING_STATUS_CONFIRMED
    await side.stall(point.route, point.when, ms=STALL_MS)
    return asyncio.ensure_future(booking_stub.CancelBooking(_cancel_request(held.booking_id), timeout=60))


async def _cancel_held(side, point: KillPoint, booking_stub) -> asyncio.Future:
    held = (await booking_stub.CreateBooking(create(HOTEL), timeout=10)).booking  # unstalled
    await side.stall(point.route, point.when, ms=STALL_MS)
    return asyncio.ensure_future(booking_stub.CancelBooking(_cancel_request(held.booking_id), timeout=60))


def _cancel_request(booking_id: str) -> bk.CancelBookingRequest:
    return bk.CancelBookingRequest(request_id=request_id(), booking_id=booking_id, reason="plans changed")


# rpc → what takes the booking to the step: anything the RPC needs first, the stall, then the RPC in flight.
DRIVERS = {"create": _create, "confirm": _confirm, "cancel": _cancel, "cancel held": _cancel_held}


@pytest.mark.parametrize("step", list(STEPS), ids=list(STEPS))
async def test_a_booking_killed_at_any_step_ends_balanced_after_a_restart(db, stack, tmp_path, step):
    point = STEPS[step]
    async with sandboxes() as side:
        webhook_port = free_port()
        async with served(tmp_path, "first", server_settings(db, side, stack, webhook_port, **FIRST)) as (process, ch):
            await mirrored_hotel(ch, side, webhook_port, HOTEL)
            booking_stub = booking_pb2_grpc.BookingServiceStub(ch)
            in_flight = await DRIVERS[point.rpc](side, point, booking_stub)

            async def waiting_there() -> bool:
                return await side.stalled(point.route) >= 1

            killed_at = await kill_once_waiting(process, in_flight, waiting_there, f"the server reached {point.route}")
        await side.lift_stall(point.route)

        async with served(tmp_path, "second", server_settings(db, side, stack, webhook_port, **RESTARTED)):
            async def ended() -> bool:
                return (await _the_booking(db)).status in ENDS

            await until(ended, 30, "the restarted server ended the booking")
            assert time.monotonic() - killed_at < HOLD_SECONDS, "not within the hold's life"
            booking = await _the_booking(db)
            assert booking.status == point.ends, (booking.status, booking.failure_reason, booking.cancel_reason)
            await _balanced(side, db, booking)


async def _the_booking(db):
    rows = await our_bookings(db)
    assert len(rows) == 1, rows
    return rows[0]


async def _balanced(side, db, booking) -> None:
    """Money, the channel manager and our holds all say what the booking says."""
    payments = [await side.payment(payment_id) for payment_id in side.gateway_runner.app[LEDGER].payments]
    assert not [p for p in payments if p["status"] == "authorized"], f"an authorization left standing: {payments}"
    assert sum(p["captured_minor"] - p["refunded_minor"] for p in payments) == booking.paid_minor, payments
    ours = {reservation_id: side.reservation_status(reservation_id)
            for reservation_id, held in side.cm_state.reservations.items() if held.request.channel == "hotelagg"}
    if booking.status == "confirmed":
        assert booking.paid_minor == booking.total_minor > 0
        assert ours.pop(booking.channel_manager_reservation_id) == "confirmed", ours
    assert set(ours.values()) <= {"cancelled"}, f"left at the channel manager: {ours}"
    async with db.reading() as conn:
        statuses = sorted((await conn.execute(select(holds.c.status))).scalars().all())
    assert "held" not in statuses, statuses
    assert statuses.count("committed") == (booking.status == "confirmed"), statuses
