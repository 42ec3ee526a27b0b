"""Holds on the same room type share one transaction when they arrive together.

Under contention every hold of a room-night waits for the row lock of the one before it, so one
commit per hold caps a hot room-night at one fsync per hold. Here the holds that queue up while a
transaction runs go into the next one together (runtime/batching.py's keyed rounds, keyed by hotel
and room type): each is still decided on its own, in arrival order and all nights or none (a refused
hold changes nothing and does not disturb the others), and the database still guards every night with
`available - held >= n` for what the batch takes (store/hold_batch.py). A hold that arrives alone goes alone,
as soon as it arrives: batching never adds waiting.

Idempotency lives in the batch's transaction: the keys are locked and read with the nights, and each
answer is stored with the rows it made, so a crash keeps both or neither. The answer is stored in the
form the caller replays (`keep`, the RPC layer's proto); here a hold is plain records both ways.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from servers.hotel import stays
from servers.hotel.nights import Night
from servers.hotel.reasons import HotelReason
from servers.inventory.flows import changes
from servers.inventory.flows.changes import ChangeHub
from servers.inventory.store import holds
from servers.inventory.store.hold_batch import NightsMoved, insert_holds, take_rooms
from servers.runtime.batching import KeyedRounds, Ticket
from servers.runtime.clock import SYSTEM_CLOCK, Clock
from servers.runtime.errors import ApiError
from servers.storage.database import Database, UnitOfWork
from servers.storage.idempotency import Claim, Idempotency

if TYPE_CHECKING:  # the stored form is the caller's; this module only hands it to the idempotency store
    from google.protobuf.message import Message

log = logging.getLogger("hotelagg.inventory.holds")

MAX_BATCH = 64


@dataclass(frozen=True)
class HoldWish:
    """What a caller asks to hold: rooms of one room type for a stay, for a while."""

    hotel_id: str
    room_type_code: str
    check_in: date
    check_out: date
    quantity: int
    ttl: timedelta

    @property
    def stay(self) -> list[date]:
        return [self.check_in + timedelta(days=i) for i in range((self.check_out - self.check_in).days)]


@dataclass(frozen=True)
class PlacedHold:
    """A hold this call placed, its hotel's currency, and the instant it was decided at."""

    hold: holds.HoldRecord
    currency_code: str
    decided_at: datetime


class Replayed(NamedTuple):
    """The answer stored under the request's idempotency key, as `keep` made it the first time."""

    stored: bytes


HoldOutcome = PlacedHold | Replayed
Keep = Callable[[PlacedHold], "Message"]


@dataclass(frozen=True, eq=False)
class _Ask:
    wish: HoldWish
    claim: Claim
    keep: Keep


_Ticket = Ticket[tuple[str, str], _Ask, HoldOutcome]


class HoldBatcher:
    def __init__(self, db: Database, idempotency: Idempotency, hub: ChangeHub, clock: Clock = SYSTEM_CLOCK) -> None:
        self.db = db
        self.clock = clock
        self.idempotency = idempotency
        self.hub = hub
        self._rounds: KeyedRounds[tuple[str, str], _Ask, HoldOutcome] = KeyedRounds(
            self._settle, round_size=MAX_BATCH, name="holds")

    async def hold(self, wish: HoldWish, claim: Claim, keep: Keep) -> HoldOutcome:
        """Places the hold (or replays the answer stored under `claim`); raises the refusal.

        The caller has entered `claim` (Idempotency.enter) and leaves it once this returns; `keep` turns
        the placed hold into the answer stored for a replay, in the same transaction."""
        return await self._rounds.submit((wish.hotel_id, wish.room_type_code), _Ask(wish, claim, keep))

    async def _settle(self, key: tuple[str, str], batch: list[_Ticket]) -> None:
        try:
            await self._in_one_transaction(batch)
        except NightsMoved:
            for ticket in batch:
                await self._settle_alone(ticket)
        except Exception as error:  # noqa: BLE001 - every waiting caller must get an answer
            if len(batch) > 1:
                for ticket in batch:
                    await self._settle_alone(ticket)
            else:
                batch[0].fail(error)

    async def _settle_alone(self, ticket: _Ticket) -> None:
        try:
            await self._in_one_transaction([ticket])
        except Exception as error:  # noqa: BLE001
            wish = ticket.item.wish
            moved = isinstance(error, NightsMoved)
            ticket.fail(stays.sold_out(wish.check_in, 0, wish.quantity) if moved else error)

    async def _in_one_transaction(self, batch: list[_Ticket]) -> None:
        now = self.clock.now()
        asks = [ticket.item for ticket in batch]
        first = asks[0].wish
        async with self.db.unit_of_work() as uow:
            found = await self.idempotency.claim_all(uow, [a.claim for a in asks])
            fresh = [a for a in asks if found[a.claim] is None]
            outcomes: dict[_Ask, PlacedHold | ApiError] = {}
            nights: list[Night] = []
            currency = ""
            if fresh:
                room_type, outcomes = await self._decide(uow, fresh, now)
                currency = room_type.currency_code
                accepted = {a: o for a, o in outcomes.items() if isinstance(o, PlacedHold)}
                nights = await self._write(uow, room_type.id, accepted, now)
            await self.idempotency.store_all(
                uow, [(a.claim, a.keep(o)) for a in fresh if isinstance(o := outcomes[a], PlacedHold)])
            if nights:
                change = changes.InventoryChange(first.hotel_id, first.room_type_code, currency, changes.HOLD,
                                                 tuple(nights), now)
                await self.hub.record(uow, change)
            await uow.commit()
        for ticket, ask in zip(batch, asks, strict=True):
            stored = found[ask.claim]
            if isinstance(stored, ApiError):
                ticket.fail(stored)
            elif stored is not None:
                ticket.settle(Replayed(stored))
            elif isinstance(outcome := outcomes[ask], ApiError):
                ticket.fail(outcome)
            else:
                ticket.settle(outcome)

    async def _decide(self, uow: UnitOfWork, fresh: list[_Ask], now: datetime):
        """Reads the nights once and decides each hold in turn against what the ones before it took."""
        first = fresh[0].wish
        start = min(a.wish.check_in for a in fresh)
        end = max(a.wish.check_out for a in fresh)
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
        return room_type, outcomes

    async def _announce_expired(self, uow: UnitOfWork, reclaimed, now: datetime) -> None:
        """Reclaimed holds are expiries like the sweeper's, whether or not a hold of this batch then
        takes their rooms: each frees nights of its own, maybe beyond the stays asked for. Recorded
        before the batch's own change, so a night's announcements come in the order they happened."""
        for hold, nights in reclaimed:
            await self.hub.record(uow, changes.InventoryChange(
                hold.hotel_id, hold.room_type_code, hold.currency_code, changes.EXPIRY, tuple(nights), now))

    async def _write(self, uow: UnitOfWork, room_type_id: int, accepted: dict[_Ask, PlacedHold],
                     now: datetime) -> list[Night]:
        if not accepted:
            return []
        await insert_holds(uow, room_type_id, [placed.hold for placed in accepted.values()], now)
        taken: dict[date, int] = defaultdict(int)
        for ask in accepted:
            for night in ask.wish.stay:
                taken[night] += ask.wish.quantity
        return await take_rooms(uow, room_type_id, taken, now)


def _decisions(fresh: list[_Ask], by_night: dict[date, Night], now: datetime,
               currency: str) -> dict[_Ask, PlacedHold | ApiError]:
    taken: dict[date, int] = defaultdict(int)
    outcomes: dict[_Ask, PlacedHold | ApiError] = {}
    for ask in fresh:
        wish = ask.wish
        quantity = wish.quantity
        try:
            stays.check_restrictions(by_night, wish.check_in, wish.check_out)
            for night in wish.stay:
                left = by_night[night].sellable - taken[night]
                if left < quantity:
                    raise stays.sold_out(night, max(left, 0), quantity)
        except ApiError as refusal:
            outcomes[ask] = refusal
            continue
        for night in wish.stay:
            taken[night] += quantity
        # check_restrictions refused a night without a rate: every night here has its price.
        total = sum(by_night[night].price_minor or 0 for night in wish.stay) * quantity
        record = holds.HoldRecord(str(uuid.uuid4()), wish.hotel_id, wish.room_type_code,
                                  wish.check_in, wish.check_out, quantity, holds.HELD, now + wish.ttl, now, 1, total)
        outcomes[ask] = PlacedHold(record, currency, now)
    return outcomes


def _is_sold_out(outcome) -> bool:
    return isinstance(outcome, ApiError) and outcome.reason is HotelReason.SOLD_OUT
