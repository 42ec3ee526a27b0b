import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from hotelagg.inventory.v1 import inventory_pb2 as inv
from sqlalchemy import insert, select

from servers.runtime.clock import ManualClock
from servers.runtime.errors import ApiError, Code
from servers.runtime.reasons import ApiReason
from servers.storage import idempotency as idempotency_module
from servers.storage.idempotency import Idempotency, request_hash
from servers.storage.tables import hotels, idempotency_keys
from tests.integration.rows import count, hotel_row

SCOPE = "hotelagg.inventory.v1.InventoryService/CreateHotel"


def create_request(key: str = "key-1", hotel_id: str = "idem-hotel") -> inv.CreateHotelRequest:
    return inv.CreateHotelRequest(request_id=key, hotel_id=hotel_id, hotel=inv.Hotel(name="Idem", city="Paris"))


class Work:
    """Creates the hotel of the request, counting its runs; may wait for a gate or fail."""

    def __init__(self, hotel_id: str = "idem-hotel", delay: float = 0.0, gate: asyncio.Event | None = None,
                 error: Exception | None = None) -> None:
        self.hotel_id, self.delay, self.gate, self.error = hotel_id, delay, gate, error
        self.runs = 0

    async def __call__(self, uow) -> inv.CreateHotelResponse:
        self.runs += 1
        await uow.connection.execute(insert(hotels).values(**hotel_row(f"{self.hotel_id}-{self.runs}")))
        if self.gate is not None and self.runs == 1:
            await self.gate.wait()
        await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return inv.CreateHotelResponse(hotel=inv.Hotel(hotel_id=self.hotel_id, name=f"run {self.runs}"))


async def stored_key(db, key: str = "key-1"):
    async with db.reading() as conn:
        return (await conn.execute(select(idempotency_keys).where(idempotency_keys.c.key == key))).one_or_none()


async def add_done_key(db, key: str, expires_at: datetime) -> None:
    now = datetime.now(timezone.utc)
    async with db.unit_of_work() as uow:
        await uow.connection.execute(insert(idempotency_keys).values(
            scope=SCOPE, key=key, request_hash=request_hash(create_request(key)), status="done",
            response=inv.CreateHotelResponse().SerializeToString(), locked_until=now, created_at=now,
            expires_at=expires_at,
        ))
        await uow.commit()


def in_progress(outcome) -> bool:
    return isinstance(outcome, ApiError) and (outcome.code, outcome.reason) == (Code.ABORTED, "REQUEST_IN_PROGRESS")


async def test_ten_concurrent_runs_with_the_same_key_run_the_work_once(db):
    idempotency, work = Idempotency(db), Work(delay=0.2)
    outcomes = await asyncio.gather(
        *(idempotency.run(SCOPE, create_request(), inv.CreateHotelResponse, work) for _ in range(10)),
        return_exceptions=True,
    )
    answers = [o for o in outcomes if isinstance(o, inv.CreateHotelResponse)]
    assert work.runs == 1
    assert answers and all(a == answers[0] for a in answers)
    assert all(isinstance(o, inv.CreateHotelResponse) or in_progress(o) for o in outcomes), outcomes
    assert await count(db, hotels) == 1
    assert (await stored_key(db)).status == "done"


async def test_replay_returns_the_stored_response_byte_for_byte_without_running_the_work(db):
    idempotency, work = Idempotency(db), Work()
    first = await idempotency.run(SCOPE, create_request(), inv.CreateHotelResponse, work)
    again = await idempotency.run(SCOPE, create_request(), inv.CreateHotelResponse, work)
    assert work.runs == 1
    assert again.SerializeToString(deterministic=True) == first.SerializeToString(deterministic=True)
    assert (await stored_key(db)).response == first.SerializeToString(deterministic=True)


async def test_same_key_for_another_request_is_failed_precondition(db):
    idempotency, work = Idempotency(db), Work()
    await idempotency.run(SCOPE, create_request(), inv.CreateHotelResponse, work)
    with pytest.raises(ApiError) as caught:
        await idempotency.run(SCOPE, create_request(hotel_id="other-hotel"), inv.CreateHotelResponse, work)
    assert (caught.value.code, caught.value.reason) == (Code.FAILED_PRECONDITION, "IDEMPOTENCY_KEY_REUSED")
    assert work.runs == 1


async def test_same_key_in_another_scope_is_another_call(db):
    idempotency, work = Idempotency(db), Work()
    await idempotency.run(SCOPE, create_request(), inv.CreateHotelResponse, work)
    await idempotency.run("another/Rpc", create_request(), inv.CreateHotelResponse, work)
    assert work.runs == 2


async def test_failed_work_leaves_nothing_and_the_key_can_be_used_again(db):
    idempotency = Idempotency(db)
    with pytest.raises(RuntimeError):
        await idempotency.run(SCOPE, create_request(), inv.CreateHotelResponse, Work(error=RuntimeError("boom")))
    assert await stored_key(db) is None
    assert await count(db, hotels) == 0
    answer = await idempotency.run(SCOPE, create_request(), inv.CreateHotelResponse, Work())
    assert answer.hotel.name == "run 1"


@pytest.mark.parametrize("key", ["", "k" * 129, "tab\there"])
async def test_missing_or_malformed_request_id_is_invalid_argument(db, key):
    with pytest.raises(ApiError) as caught:
        await Idempotency(db).run(SCOPE, create_request(key), inv.CreateHotelResponse, Work())
    assert caught.value.code is Code.INVALID_ARGUMENT
    assert await count(db, idempotency_keys) == 0


async def test_purge_expired_deletes_only_expired_keys(db):
    now = datetime.now(timezone.utc)
    for key, expires in [("old-1", -timedelta(hours=1)), ("old-2", -timedelta(seconds=5)),
                         ("live-1", timedelta(minutes=1)), ("live-2", timedelta(hours=24))]:
        await add_done_key(db, key, now + expires)
    assert await Idempotency(db).purge_expired() == 2
    async with db.reading() as conn:
        left = (await conn.execute(select(idempotency_keys.c.key).order_by(idempotency_keys.c.key))).scalars().all()
    assert left == ["live-1", "live-2"]


async def test_keys_are_kept_for_the_ttl(db):
    before = datetime.now(timezone.utc)
    await Idempotency(db, timedelta(hours=30)).run(SCOPE, create_request(), inv.CreateHotelResponse, Work())
    row = await stored_key(db)
    assert row.expires_at - before >= timedelta(hours=30)


async def test_concurrent_duplicate_is_answered_in_progress_without_waiting(db):
    idempotency, gate = Idempotency(db), asyncio.Event()
    first = asyncio.create_task(idempotency.run(SCOPE, create_request(), inv.CreateHotelResponse, Work(gate=gate)))
    await asyncio.sleep(0.3)
    duplicate = asyncio.create_task(idempotency.run(SCOPE, create_request(), inv.CreateHotelResponse, Work()))
    done, _ = await asyncio.wait({duplicate}, timeout=1.5)
    gate.set()
    await asyncio.gather(first, duplicate, return_exceptions=True)
    assert duplicate in done, "the duplicate waited for the first call to finish"
    assert in_progress(duplicate.exception())
    assert first.result().hotel.name == "run 1"


async def test_slow_first_call_is_never_overtaken_into_running_the_work_twice(db, monkeypatch):
    # Any claim lease the implementation keeps is cut short, so "slow" here means slower than the lease.
    monkeypatch.setattr(idempotency_module, "CLAIM_SECONDS", 0.2, raising=False)
    gate = asyncio.Event()
    idempotency, work = Idempotency(db), Work(f"slow-{uuid.uuid4().hex[:6]}", gate=gate)
    first = asyncio.create_task(idempotency.run(SCOPE, create_request(), inv.CreateHotelResponse, work))
    await asyncio.sleep(0.5)
    duplicate = asyncio.create_task(idempotency.run(SCOPE, create_request(), inv.CreateHotelResponse, work))
    await asyncio.wait({duplicate}, timeout=1.0)
    gate.set()
    await asyncio.gather(first, duplicate, return_exceptions=True)
    assert work.runs == 1
    assert await count(db, hotels) == 1


async def test_a_key_answers_for_its_ttl_and_is_a_fresh_key_after(db):
    """By a clock that moves when told: no waiting a day, and no rows edited behind the rule's back."""
    clock = ManualClock(datetime.now(timezone.utc))
    idempotency = Idempotency(db, timedelta(hours=24), clock=clock)
    await idempotency.run(SCOPE, create_request(), inv.CreateHotelResponse, Work())
    clock.advance(timedelta(hours=23, minutes=59))
    with pytest.raises(ApiError) as caught:
        await idempotency.run(SCOPE, create_request(hotel_id="other"), inv.CreateHotelResponse, Work("other"))
    assert caught.value.reason is ApiReason.IDEMPOTENCY_KEY_REUSED
    assert await idempotency.purge_expired() == 0
    clock.advance(timedelta(minutes=2))
    assert await idempotency.purge_expired() == 1
    answer = await idempotency.run(SCOPE, create_request(hotel_id="other"), inv.CreateHotelResponse, Work("other"))
    assert answer.hotel.hotel_id == "other"
    assert (await stored_key(db)).expires_at == clock.now() + timedelta(hours=24)
