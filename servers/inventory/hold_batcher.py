"""Holds on the same room type share one transaction when they arrive together.

Under contention every hold of a room-night waits for the row lock of the one before it, so one
commit per hold caps a hot room-night at one fsync per hold. Here the holds that queue up while a
transaction runs go into the next one together: each is still decided on its own, in arrival order
and all nights or none (a refused hold changes nothing and does not disturb the others), and the
database still guards every night with `available - held >= n` for what the batch takes. A hold
that arrives alone goes alone, as soon as it arrives: batching never adds waiting.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from hotelagg.inventory.v1 import inventory_pb2 as pb
from sqlalchemy import case, insert, update

from servers.hotel.reasons import HotelReason
from servers.inventory import changes, holds, mapping, stays
from servers.inventory.ari import night_from_row
from servers.inventory.changes import ChangeHub
from servers.inventory.domain import Night
from servers.runtime.clock import SYSTEM_CLOCK, Clock
from servers.runtime.errors import ApiError
from servers.storage.database import Database, UnitOfWork
from servers.storage.idempotency import Claim, Idempotency
from servers.storage.tables import holds as holds_table
from servers.storage.tables import inventory

log = logging.getLogger("hotelagg.inventory.holds")

SCOPE = "hotelagg.inventory.v1.InventoryService/HoldInventory"
MAX_BATCH = 64


@dataclass
class HoldAsk:
    request: pb.HoldInventoryRequest
    check_in: date
    check_out: date
    ttl: timedelta
    claim: Claim
    answer: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    @property
    def stay(self) -> list[date]:
        return [self.check_in + timedelta(days=i) for i in range((self.check_out - self.check_in).days)]


class _Retry(Exception):
    """The database refused what the batch decided (another writer moved a night): decide again alone."""


class HoldBatcher:
    def __init__(self, db: Database, idempotency: Idempotency, hub: ChangeHub, clock: Clock = SYSTEM_CLOCK) -> None:
        self.db = db
        self.clock = clock
        self.idempotency = idempotency
        self.hub = hub
        self._queues: dict[tuple[str, str], deque[HoldAsk]] = defaultdict(deque)
        self._workers: dict[tuple[str, str], asyncio.Task] = {}

    async def hold(self, request: pb.HoldInventoryRequest, check_in: date, check_out: date,
                   ttl: timedelta) -> pb.HoldInventoryResponse:
        claim = self.idempotency.enter(SCOPE, request)
        try:
            ask = HoldAsk(request, check_in, check_out, ttl, claim)
            key = (request.hotel_id, request.room_type_code)
            self._queues[key].append(ask)
            if key not in self._workers:
                self._workers[key] = asyncio.create_task(self._drain(key))
            return await asyncio.shield(ask.answer)
        finally:
            self.idempotency.leave(claim)

    async def _drain(self, key: tuple[str, str]) -> None:
        queue = self._queues[key]
        try:
            while queue:
                batch = [queue.popleft() for _ in range(min(len(queue), MAX_BATCH))]
                await self._settle(batch)
        finally:
            del self._workers[key]
            if not queue:
                self._queues.pop(key, None)

    async def _settle(self, batch: list[HoldAsk]) -> None:
        try:
            await self._in_one_transaction(batch)
        except _Retry:
            for ask in batch:
                await self._settle_alone(ask)
        except Exception as error:  # noqa: BLE001 - every waiting caller must get an answer
            if len(batch) > 1:
                for ask in batch:
                    await self._settle_alone(ask)
            else:
                _fail(batch[0], error)

    async def _settle_alone(self, ask: HoldAsk) -> None:
        try:
            await self._in_one_transaction([ask])
        except Exception as error:  # noqa: BLE001
            _fail(ask, error if not isinstance(error, _Retry) else stays.sold_out(ask.check_in, 0, ask.request.quantity))

    async def _in_one_transaction(self, batch: list[HoldAsk]) -> None:
        now = self.clock.now()
        first = batch[0].request
        async with self.db.unit_of_work() as uow:
            found = await self.idempotency.claim_all(uow, [a.claim for a in batch])
            fresh = [a for a in batch if found[a.claim] is None]
            outcomes: dict[int, pb.HoldInventoryResponse | ApiError] = {}
            nights: list[Night] = []
            currency = ""
            if fresh:
                room_type, by_night, outcomes = await self._decide(uow, fresh, now)
                currency = room_type.currency_code
                accepted = [a for a in fresh if isinstance(outcomes[id(a)], pb.HoldInventoryResponse)]
                nights = await self._write(uow, room_type.id, accepted, outcomes, now)
            await self.idempotency.store_all(
                uow, [(a.claim, outcomes[id(a)]) for a in fresh if not isinstance(outcomes[id(a)], ApiError)])
            if nights:
                change = changes.InventoryChange(first.hotel_id, first.room_type_code, currency, changes.HOLD,
                                                 tuple(nights), now)
                await self.hub.record(uow, change)
            await uow.commit()
        for ask in batch:
            stored = found[ask.claim]
            if isinstance(stored, ApiError):
                _fail(ask, stored)
            elif stored is not None:
                _answer(ask, pb.HoldInventoryResponse.FromString(stored))
            elif isinstance(outcomes[id(ask)], ApiError):
                _fail(ask, outcomes[id(ask)])
            else:
                _answer(ask, outcomes[id(ask)])

    async def _decide(self, uow: UnitOfWork, fresh: list[HoldAsk], now: datetime):
        """Reads the nights once and decides each hold in turn against what the ones before it took."""
        first = fresh[0].request
        start = min(a.check_in for a in fresh)
        end = max(a.check_out for a in fresh)
        room_type, by_night = await holds.stay_nights(uow.connection, first.hotel_id, first.room_type_code, start, end)
        outcomes = _decisions(fresh, by_night, now, room_type.currency_code)
        if any(_is_sold_out(o) for o in outcomes.values()):
            # Expired holds count as free at once: reclaim those on these nights, then decide again, on
            # nights read again even if none was left for us to reclaim: another writer (the sweeper, a
            # partner's sale) may have reclaimed one since our read, and deciding on it would refuse
            # rooms that are free. (One more read per batch, only for batches that found no room.)
            reclaimed = await holds.reclaim_expired(uow, now, room_type_id=room_type.id, start=start, end=end)
            await self._announce_expired(uow, reclaimed, now)
            room_type, by_night = await holds.stay_nights(uow.connection, first.hotel_id,
                                                          first.room_type_code, start, end)
            outcomes = _decisions(fresh, by_night, now, room_type.currency_code)
        return room_type, by_night, outcomes

    async def _announce_expired(self, uow: UnitOfWork, reclaimed, now: datetime) -> None:
        """Reclaimed holds are expiries like the sweeper's, whether or not a hold of this batch then
        takes their rooms: each frees nights of its own, maybe beyond the stays asked for. Recorded
        before the batch's own change, so a night's announcements come in the order they happened."""
        for hold, nights in reclaimed:
            await self.hub.record(uow, changes.InventoryChange(
                hold.hotel_id, hold.room_type_code, hold.currency_code, changes.EXPIRY, tuple(nights), now))

    async def _write(self, uow: UnitOfWork, room_type_id: int, accepted: list[HoldAsk],
                     outcomes: dict, now: datetime) -> list[Night]:
        if not accepted:
            return []
        await uow.connection.execute(insert(holds_table), [
            dict(id=outcomes[id(a)].hold.hold_id, hotel_id=a.request.hotel_id, room_type_id=room_type_id,
                 check_in=a.check_in, check_out=a.check_out, quantity=a.request.quantity, status=holds.HELD,
                 expires_at=now + a.ttl, created_at=now, updated_at=now,
                 total_minor=outcomes[id(a)].hold.total_price.amount_minor)
            for a in accepted])
        taken: dict[date, int] = defaultdict(int)
        for ask in accepted:
            for night in ask.stay:
                taken[night] += ask.request.quantity
        wanted = case(*((inventory.c.night == night, n) for night, n in taken.items()), else_=0)
        statement = (
            update(inventory)
            .where(inventory.c.room_type_id == room_type_id, inventory.c.night.in_(list(taken)),
                   inventory.c.available - inventory.c.held >= wanted)
            .values(held=inventory.c.held + wanted, version=inventory.c.version + 1, updated_at=now)
            .returning(*holds.NIGHT_COLUMNS)
        )
        rows = (await uow.connection.execute(statement)).all()
        if len(rows) != len(taken):
            raise _Retry()
        return sorted((night_from_row(row) for row in rows), key=lambda n: n.night)


def _decisions(fresh: list[HoldAsk], by_night: dict[date, Night], now: datetime, currency: str) -> dict:
    taken: dict[date, int] = defaultdict(int)
    outcomes: dict[int, pb.HoldInventoryResponse | ApiError] = {}
    for ask in fresh:
        quantity = ask.request.quantity
        try:
            stays.check_restrictions(by_night, ask.check_in, ask.check_out)
            for night in ask.stay:
                left = by_night[night].sellable - taken[night]
                if left < quantity:
                    raise stays.sold_out(night, max(left, 0), quantity)
        except ApiError as refusal:
            outcomes[id(ask)] = refusal
            continue
        for night in ask.stay:
            taken[night] += quantity
        total = sum(by_night[night].price_minor for night in ask.stay) * quantity
        record = holds.HoldRecord(str(uuid.uuid4()), ask.request.hotel_id, ask.request.room_type_code,
                                  ask.check_in, ask.check_out, quantity, holds.HELD, now + ask.ttl, now, 1, total)
        outcomes[id(ask)] = pb.HoldInventoryResponse(hold=mapping.hold_proto(record, now, currency))
    return outcomes


def _is_sold_out(outcome) -> bool:
    return isinstance(outcome, ApiError) and outcome.reason is HotelReason.SOLD_OUT


def _answer(ask: HoldAsk, response: pb.HoldInventoryResponse) -> None:
    if not ask.answer.done():
        ask.answer.set_result(response)


def _fail(ask: HoldAsk, error: BaseException) -> None:
    if not ask.answer.done():
        ask.answer.set_exception(error)
