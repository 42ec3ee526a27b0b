"""kill -9 at our own inner steps: HoldInventory at create, CommitHold at confirm (issue 14, done-when).

The booking service and InventoryService run as two real processes over the `db` fixture's database
(SQLite, or PostgreSQL with Redis and RabbitMQ), as in production (`serve --service ...`), with a gate
on the wire between them (wire_gate) that stalls the booking server's call to our inventory the way
the sandboxes' stalls hold an outside route. The booking server is killed (SIGKILL) while it waits:

- before: the call never reached the inventory (the gate kept it, and drops it with the dead caller);
- late: the inventory reads the call only once its caller is dead (it may do it or not, both must end
  balanced);
- after: the inventory did it, and its answer was lost with the killed server.

The inventory keeps running. Restarted over the same database with its jobs running often, the
booking server must end the booking within its hold's life, balanced (money at the gateway, the
channel manager, our holds): a create asks the hold again under `{booking}:hold` to learn what it
took and gives it back (FAILED); a confirm asks the commit again under `{booking}:commit` and
carries on to CONFIRMED.

Why a gate and not SIGSTOP of the inventory process: a process frozen at a random moment may be frozen
inside a transaction of its own jobs (the channel poller writes every half second), and on SQLite that
holds the whole database's write lock, so the booking server could not even write its step down. The
gate stalls exactly the one call, and what it kept tells the test that the call (its idempotency key)
or its answer (the hold's id) is there, so every kill point is reached deterministically.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import grpc
import pytest
from hotelagg.booking.v1 import booking_pb2 as bk
from hotelagg.booking.v1 import booking_pb2_grpc
from sqlalchemy import select

from servers.storage.tables import holds
from tests.e2e.booking_rig import confirm, create, our_bookings, sandboxes, until
from tests.e2e.crash_rig import kill_once_waiting, mirrored_hotel, served, server_settings
from tests.e2e.process import free_port
from tests.e2e.test_booking_kill_steps import (
    ENDS,
    FIRST,
    HOLD_SECONDS,
    HOTEL,
    RESTARTED,
    _balanced,
    _the_booking,
)
from tests.e2e.wire_gate import ANSWERS, LATE, LOST, REQUESTS, WireGate


@dataclass(frozen=True)
class InnerKill:
    rpc: str  # "create" (the step is HoldInventory) or "confirm" (CommitHold)
    way: str  # the gate closed for REQUESTS (the call waits before the inventory) or ANSWERS (after)
    kept: str  # what becomes of a call kept when its caller dies: LOST, or delivered LATE
    ends: str  # the booking's status once the restarted server has finished with it


STEPS = {
    "create: hold, killed before": InnerKill("create", REQUESTS, LOST, "failed"),
    "create: hold, killed before, the call arriving late": InnerKill("create", REQUESTS, LATE, "failed"),
    "create: hold, killed after, its answer lost": InnerKill("create", ANSWERS, LOST, "failed"),
    "confirm: commit, killed before": InnerKill("confirm", REQUESTS, LOST, "confirmed"),
    "confirm: commit, killed before, the call arriving late": InnerKill("confirm", REQUESTS, LATE, "confirmed"),
    "confirm: commit, killed after, its answer lost": InnerKill("confirm", ANSWERS, LOST, "confirmed"),
}
# The step each RPC is killed at (bookings.step_in_flight, the suffix of its idempotency key), and the
# hold's status once the inventory has done it: taken at create, sold at confirm.
STEP = {"create": "hold", "confirm": "commit"}
DONE = {"create": "held", "confirm": "committed"}


async def _create(gate: WireGate, point: InnerKill, booking_stub) -> asyncio.Future:
    # The booking server keeps the hotel a while: asked once now (a room type it lacks, refused before
    # any booking is made), the create below calls the inventory for nothing but the hold.
    lacking = create(HOTEL)
    lacking.room_type_code = "NONE"
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await booking_stub.CreateBooking(lacking, timeout=10)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND, refused.value
    gate.close(point.way, point.kept)
    return asyncio.ensure_future(booking_stub.CreateBooking(create(HOTEL), timeout=60))


async def _confirm(gate: WireGate, point: InnerKill, booking_stub) -> asyncio.Future:
    held = (await booking_stub.CreateBooking(create(HOTEL), timeout=10)).booking  # the gate open
    assert held.status == bk.BOOKING_STATUS_HELD, held
    gate.close(point.way, point.kept)
    return asyncio.ensure_future(booking_stub.ConfirmBooking(confirm(held.booking_id), timeout=60))


DRIVERS = {"create": _create, "confirm": _confirm}


@asynccontextmanager
async def gated(inventory_port: int):
    gate = WireGate(inventory_port)
    await gate.start()
    try:
        yield gate
    finally:
        await gate.stop()


async def _holds(db) -> list:
    async with db.reading() as conn:
        return list((await conn.execute(select(holds.c.id, holds.c.status))).all())


async def _hold_statuses(db) -> list[str]:
    return sorted(hold.status for hold in await _holds(db))


async def _stalled_at_the_step(db, gate: WireGate, point: InnerKill) -> bool:
    """The booking server wrote the step down and called it: the gate keeps the call (its key is in
    what the gate kept), or the inventory did it and the gate keeps its answer (the hold's id)."""
    booking = next(iter(await our_bookings(db)), None)
    if booking is None or booking.step_in_flight != STEP[point.rpc]:
        return False
    if point.way == REQUESTS:
        return f"{booking.id}:{STEP[point.rpc]}".encode() in gate.kept[REQUESTS]
    done = [hold.id for hold in await _holds(db) if hold.status == DONE[point.rpc]]
    return len(done) == 1 and done[0].encode() in gate.kept[ANSWERS]


@asynccontextmanager
async def side_by_side(*servers):
    """Several `served` started at once (each waits for its own health), all stopped on the way out."""
    async with AsyncExitStack() as stack:
        entered = await asyncio.gather(*(stack.enter_async_context(server) for server in servers),
                                       return_exceptions=True)
        for outcome in entered:
            if isinstance(outcome, BaseException):
                raise outcome
        yield entered


@pytest.mark.parametrize("step", list(STEPS), ids=list(STEPS))
async def test_a_booking_killed_at_our_inventory_step_ends_balanced_after_a_restart(db, stack, tmp_path, step):
    point = STEPS[step]
    webhook_port, inventory_port = free_port(), free_port()
    async with sandboxes() as side, gated(inventory_port) as gate:
        inventory = server_settings(db, side, stack, webhook_port, default_hold_ttl_seconds=HOLD_SECONDS)

        def booking_server(**more) -> dict[str, str]:
            return server_settings(db, side, stack, webhook_port, inventory_target=f"127.0.0.1:{gate.port}",
                                   **more)

        # Both at once: the booking server reaches the inventory (through the gate) only once asked to book.
        async with side_by_side(served(tmp_path, "inventory", inventory, ("inventory",), inventory_port),
                                served(tmp_path, "first", booking_server(**FIRST), ("booking",))) \
                as ((_, inventory_channel), (first, channel)):
            await mirrored_hotel(inventory_channel, side, webhook_port, HOTEL)
            killed_at = await _kill_at_the_step(db, gate, point, first, channel)
            gate.open()
            async with served(tmp_path, "second", booking_server(**RESTARTED), ("booking",)):
                async def ended() -> bool:
                    return (await _the_booking(db)).status in ENDS

                await until(ended, 30, "the restarted booking server ended the booking")
                assert time.monotonic() - killed_at < HOLD_SECONDS, "not within the hold's life"
                ended_as = await _the_booking(db)
                assert ended_as.status == point.ends, (ended_as.status, ended_as.failure_reason,
                                                       ended_as.cancel_reason)
                await _balanced(side, db, ended_as)


async def _kill_at_the_step(db, gate: WireGate, point: InnerKill, process, channel) -> float:
    """Drives the booking server to the step, SIGKILLs it there; when, by the monotonic clock."""
    in_flight = await DRIVERS[point.rpc](gate, point, booking_pb2_grpc.BookingServiceStub(channel))
    before_step = await _hold_statuses(db)

    async def waiting_there() -> bool:
        return await _stalled_at_the_step(db, gate, point)

    killed_at = await kill_once_waiting(process, in_flight, waiting_there,
                                        f"the booking server's {point.rpc} stalled at our inventory")
    if point.kept == LOST and point.way == REQUESTS:
        assert await _hold_statuses(db) == before_step, "the inventory did a call it never got"
    return killed_at
