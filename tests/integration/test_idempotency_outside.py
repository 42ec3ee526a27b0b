"""Idempotency for work that calls out (ConfirmBooking, CancelBooking, partner notifications): the key
stays claimed while the work runs, on every replica (issue 14, item 13), and only a final answer is kept."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from hotelagg.inventory.v1 import inventory_pb2 as inv
from sqlalchemy import update

from servers.storage.idempotency import Idempotency
from servers.storage.tables import idempotency_keys
from tests.integration.test_idempotency import SCOPE, create_request, in_progress, stored_key


class OutsideWork:
    """Work outside a transaction, counting its runs; the first run may wait for a gate."""

    def __init__(self, gate: asyncio.Event | None = None, final: bool = True, error: Exception | None = None):
        self.gate, self.final, self.error = gate, final, error
        self.runs = 0
        self.started = asyncio.Event()

    async def __call__(self) -> inv.CreateHotelResponse:
        self.runs += 1
        self.started.set()
        if self.gate is not None and self.runs == 1:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        return inv.CreateHotelResponse(hotel=inv.Hotel(hotel_id="h", name=f"run {self.runs}",
                                                       city="final" if self.final else "waiting"))


def is_final(response: inv.CreateHotelResponse) -> bool:
    return response.hotel.city == "final"


async def outcome(call):
    try:
        return await call
    except BaseException as error:  # noqa: BLE001 - a cancelled call's CancelledError too
        return error


async def test_a_duplicate_on_another_replica_is_refused_while_the_work_runs(db):
    # Two replicas: each its own Idempotency (its own set of keys in flight) over one database.
    first, second = Idempotency(db), Idempotency(db)
    gate = asyncio.Event()
    work = OutsideWork(gate=gate)
    running = asyncio.create_task(first.run_outside(SCOPE, create_request(), inv.CreateHotelResponse, work))
    await work.started.wait()
    duplicate = await outcome(second.run_outside(SCOPE, create_request(), inv.CreateHotelResponse, work))
    assert in_progress(duplicate)
    gate.set()
    answer = await running
    assert work.runs == 1
    replay = await second.run_outside(SCOPE, create_request(), inv.CreateHotelResponse, work)
    assert replay == answer and work.runs == 1


async def test_an_answer_that_is_not_final_is_not_replayed(db):
    idempotency = Idempotency(db)
    waiting = OutsideWork(final=False)
    first = await idempotency.run_outside(SCOPE, create_request(), inv.CreateHotelResponse, waiting, final=is_final)
    assert first.hotel.city == "waiting"
    assert await stored_key(db) is None
    done = OutsideWork(final=True)
    second = await idempotency.run_outside(SCOPE, create_request(), inv.CreateHotelResponse, done, final=is_final)
    assert (second.hotel.city, done.runs) == ("final", 1)
    third = await idempotency.run_outside(SCOPE, create_request(), inv.CreateHotelResponse, done, final=is_final)
    assert third == second and done.runs == 1


async def test_failed_work_frees_the_key_for_a_retry(db):
    idempotency = Idempotency(db)
    failing = OutsideWork(error=RuntimeError("gateway down"))
    assert isinstance(await outcome(idempotency.run_outside(SCOPE, create_request(), inv.CreateHotelResponse,
                                                            failing)), RuntimeError)
    assert await stored_key(db) is None
    retry = OutsideWork()
    await idempotency.run_outside(SCOPE, create_request(), inv.CreateHotelResponse, retry)
    assert retry.runs == 1


async def test_a_cancelled_caller_frees_the_key(db):
    idempotency = Idempotency(db)
    work = OutsideWork(gate=asyncio.Event())
    task = asyncio.create_task(idempotency.run_outside(SCOPE, create_request(), inv.CreateHotelResponse, work))
    await work.started.wait()
    task.cancel()
    assert isinstance(await outcome(task), asyncio.CancelledError)
    assert await stored_key(db) is None


async def test_the_claim_of_a_replica_that_died_is_taken_over_once_its_lease_ran_out(db):
    dead, alive = Idempotency(db), Idempotency(db)
    work = OutsideWork(gate=asyncio.Event())  # never let through: its replica "dies" holding the claim
    orphan = asyncio.create_task(dead.run_outside(SCOPE, create_request(), inv.CreateHotelResponse, work))
    await work.started.wait()
    assert in_progress(await outcome(alive.run_outside(SCOPE, create_request(), inv.CreateHotelResponse,
                                                       OutsideWork())))
    lapsed = datetime.now(timezone.utc) - timedelta(seconds=1)
    async with db.unit_of_work() as uow:
        await uow.connection.execute(update(idempotency_keys).values(locked_until=lapsed))
        await uow.commit()

    takeover = OutsideWork()
    answer = await alive.run_outside(SCOPE, create_request(), inv.CreateHotelResponse, takeover)
    assert takeover.runs == 1 and answer.hotel.name == "run 1"
    orphan.cancel()
    await outcome(orphan)
    # The orphan's late let-go must not remove the answer the live replica stored.
    row = await stored_key(db)
    assert row is not None and row.status == "done"


async def test_a_reused_key_while_in_progress_is_failed_precondition(db):
    first, second = Idempotency(db), Idempotency(db)
    work = OutsideWork(gate=asyncio.Event())
    task = asyncio.create_task(first.run_outside(SCOPE, create_request(), inv.CreateHotelResponse, work))
    await work.started.wait()
    other = await outcome(second.run_outside(SCOPE, create_request(hotel_id="another"), inv.CreateHotelResponse,
                                             OutsideWork()))
    assert getattr(other, "reason", None) == "IDEMPOTENCY_KEY_REUSED"
    task.cancel()
    await outcome(task)
