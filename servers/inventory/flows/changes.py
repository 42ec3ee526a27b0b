"""Committed inventory changes, fanned out to the cache (write-through) and WatchInventory streams."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from servers.cache.base import CachedNight, NightCache
from servers.hotel.nights import Night, Restrictions
from servers.runtime.clock import Clock
from servers.storage.database import UnitOfWork

log = logging.getLogger("hotelagg.inventory.changes")

# Causes, as WatchInventory names them.
DIRECT_UPDATE = "direct_update"
CHANNEL_UPDATE = "channel_update"
HOLD = "hold"
RELEASE = "release"
COMMIT = "commit"
EXPIRY = "expiry"
PARTNER_RESERVATION = "partner_reservation"
# What changes a direct hotel's nights: all but the mirror's (a channel-managed hotel is never listed on a
# partner, HOTEL_NOT_DIRECT, so its mirrored changes have no deliveries to mark).
DIRECT_HOTEL_CAUSES = frozenset({DIRECT_UPDATE, HOLD, RELEASE, COMMIT, EXPIRY, PARTNER_RESERVATION})


@dataclass(frozen=True)
class InventoryChange:
    hotel_id: str
    room_type_code: str
    currency_code: str
    cause: str
    nights: Sequence[Night]  # a tuple, or a bulk merge's rows (night_rows.MergedNights)
    changed_at: datetime


@dataclass(eq=False)  # identity, so subscriptions can live in a set
class Subscription:
    hotel_ids: frozenset[str]
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(maxsize=10_000))
    overflowed: bool = False

    def wants(self, change: InventoryChange) -> bool:
        return not self.hotel_ids or change.hotel_id in self.hotel_ids


class ChangeHub:
    """In-process fan-out of committed changes. Listeners are awaited in order; subscribers get a queue."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[InventoryChange], Awaitable[None]]] = []
        self._in_transaction: list[tuple[Callable[[UnitOfWork, InventoryChange], Awaitable[None]],
                                         frozenset[str] | None]] = []
        self._subscriptions: set[Subscription] = set()

    def add_listener(self, listener: Callable[[InventoryChange], Awaitable[None]]) -> None:
        self._listeners.append(listener)

    def add_transaction_listener(self, listener: Callable[[UnitOfWork, InventoryChange], Awaitable[None]],
                                 causes: frozenset[str] | None = None) -> None:
        """Runs inside the transaction that makes the change, so what it writes (partner deliveries, in the
        outbox's way) commits or rolls back with the change itself (ARCHITECTURE §5 rule 4). `causes`: only
        changes of these causes (None: every change), so a listener that cannot care about a kind of change
        costs that kind nothing."""
        self._in_transaction.append((listener, causes))

    async def record(self, uow: UnitOfWork, change: InventoryChange) -> None:
        """The one way a change is announced: made in `uow`, its transaction listeners run now, the rest
        (cache, WatchInventory) after commit."""
        for listener, causes in self._in_transaction:
            if causes is None or change.cause in causes:
                await listener(uow, change)
        uow.after_commit(lambda: self._publish(change))

    async def deliver(self, change: InventoryChange) -> None:
        """A change another replica committed (servers/fanout.py): to this process's after-commit
        listeners and WatchInventory streams, as if made here; its transaction listeners ran there."""
        await self._publish(change)

    async def _publish(self, change: InventoryChange) -> None:
        for listener in self._listeners:
            try:
                await listener(change)
            except Exception:  # noqa: BLE001 - one failing listener must not starve the others
                log.exception("inventory change listener failed", extra={"hotel_id": change.hotel_id})
        for subscription in list(self._subscriptions):
            if subscription.wants(change):
                try:
                    subscription.queue.put_nowait(change)
                except asyncio.QueueFull:
                    # A reader this far behind would only see old news: cut it loose, it resubscribes.
                    subscription.overflowed = True
                    self._subscriptions.discard(subscription)

    def lose_track(self) -> None:
        """Changes were missed (this replica was cut off from the broadcast): every stream is cut loose
        as one too far behind is, told to resubscribe and re-read; a None in its queue wakes its reader."""
        for subscription in list(self._subscriptions):
            subscription.overflowed = True
            self._subscriptions.discard(subscription)
            with contextlib.suppress(asyncio.QueueFull):  # a full queue: its reader finds out once it drained
                subscription.queue.put_nowait(None)

    @contextlib.asynccontextmanager
    async def subscribe(self, hotel_ids: frozenset[str]) -> AsyncIterator[Subscription]:
        subscription = Subscription(hotel_ids)
        self._subscriptions.add(subscription)
        try:
            yield subscription
        finally:
            self._subscriptions.discard(subscription)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)


async def announce(hub: ChangeHub, clock: Clock, uow: UnitOfWork, hotel_id: str, code: str, currency: str,
                   cause: str, nights: list[Night]) -> None:
    """Records a change of a room type's nights made in `uow` (published after commit); nothing when
    no night moved. The time is read only then: a change is stamped when it is announced."""
    if not nights:
        return
    await hub.record(uow, InventoryChange(hotel_id, code, currency, cause, tuple(nights), clock.now()))


def change_payload(change: InventoryChange) -> dict:
    """A change as JSON for the other replicas; each night with its version, by which a reader orders."""
    return {
        "hotel_id": change.hotel_id, "room_type_code": change.room_type_code,
        "currency_code": change.currency_code, "cause": change.cause, "changed_at": change.changed_at.isoformat(),
        "nights": [[n.night.isoformat(), n.total, n.available, n.held, n.price_minor, n.restrictions.min_stay,
                    n.restrictions.max_stay, n.restrictions.closed_to_arrival, n.restrictions.closed_to_departure,
                    n.restrictions.stop_sell, n.version, n.oversold] for n in change.nights],
    }


def change_from_payload(payload: dict) -> InventoryChange:
    nights = tuple(Night(date.fromisoformat(n[0]), n[1], n[2], n[3], n[4], Restrictions(n[5], n[6], n[7], n[8], n[9]),
                         n[10], n[11]) for n in payload["nights"])
    return InventoryChange(payload["hotel_id"], payload["room_type_code"], payload["currency_code"],
                           payload["cause"], nights, datetime.fromisoformat(payload["changed_at"]))


def cache_writer(cache: NightCache) -> Callable[[InventoryChange], Awaitable[None]]:
    """The write-through listener: every committed night goes to the search cache."""

    async def write(change: InventoryChange) -> None:
        now = time.time()
        # A bulk merge's nights (night_rows.MergedNights) come with their cache rows made: no Night each.
        rows = getattr(change.nights, "cache_rows", None)
        if rows is not None:
            await cache.put_rows(change.hotel_id, change.room_type_code, rows)
        else:
            await cache.put_nights(change.hotel_id, change.room_type_code,
                                   [(n.night, cached_night(n, now)) for n in change.nights])
        await cache.changed(change.hotel_id)  # after the nights: a search that sees the count sees them

    return write


def cached_night(night: Night, now: float) -> CachedNight:
    r = night.restrictions
    return CachedNight(night.sellable, night.price_minor, now, night.version,
                       (r.min_stay, r.max_stay, r.closed_to_arrival, r.closed_to_departure, r.stop_sell))
