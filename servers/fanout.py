"""Changes made on one replica, heard on every other (issue 10): inventory changes reach each replica's
cache writer and WatchInventory streams, catalogue changes each replica's hotel directory.

On RabbitMQ a change is written to the outbox by a transaction listener of the change hub, so it is
announced if and only if it commits (servers/messaging/broadcast.py carries it). The replica that made
it hands it on in-process after commit as it always did, and skips its own copy from the bus: one
delivery to its own streams, without the broker's latency. The embedded default (no RabbitMQ) is one
process: nothing is written, nothing changes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date
from typing import Any

from servers.inventory.flows.changes import ChangeHub, change_from_payload, change_payload
from servers.messaging.broadcast import Broadcast
from servers.messaging.bus import RetryPolicy
from servers.runtime.config import Settings
from servers.storage.database import Database, UnitOfWork

INVENTORY = "broadcast.inventory"
CATALOGUE = "broadcast.catalogue"


def build(settings: Settings, db: Database, hub: ChangeHub, forget_hotels: Callable[[], None]) -> Broadcast | None:
    """The broadcast of this process, its handlers registered (start it before serving); None when
    there is no RabbitMQ."""
    if not settings.amqp_url:
        return None
    broadcast = Broadcast(db, settings.amqp_url, settings.amqp_prefix, RetryPolicy(tuple(settings.retry_tiers_seconds)))

    async def send_change(uow: UnitOfWork, change) -> None:
        await broadcast.send(uow, INVENTORY, f"{change.hotel_id}:{change.room_type_code}", change_payload(change))

    async def heard_catalogue(payload: dict[str, Any]) -> None:
        forget_hotels()

    hub.add_transaction_listener(send_change)
    broadcast.on(INVENTORY, NewerNights(hub).hear)
    broadcast.on(CATALOGUE, heard_catalogue)
    broadcast.on_gap(hub.lose_track)
    broadcast.on_gap(forget_hotels)
    return broadcast


def catalogue_news(forget_hotels: Callable[[], None],
                   broadcast: Broadcast | None) -> Callable[[UnitOfWork], Awaitable[None]]:
    """What CreateHotel and CreateRoomType call in their transaction: this process's directory forgets
    after commit, the other replicas' when the news reaches them."""

    async def forget_after_commit() -> None:
        forget_hotels()

    async def changed(uow: UnitOfWork) -> None:
        uow.after_commit(forget_after_commit)
        if broadcast is not None:
            await broadcast.send(uow, CATALOGUE, "catalogue", {})

    return changed


class NewerNights:
    """Hands on only the nights newer than the last version heard of each: two relays racing can deliver
    a room type's changes out of order, and an older count must never follow a newer one on a stream
    (or overwrite it in a process's own cache)."""

    def __init__(self, hub: ChangeHub, remember: int = 200_000) -> None:
        self._hub = hub
        self._versions: OrderedDict[tuple[str, str, date], int] = OrderedDict()
        self._remember = remember

    async def hear(self, payload: dict[str, Any]) -> None:
        change = change_from_payload(payload)
        newer = []
        for night in change.nights:
            key = (change.hotel_id, change.room_type_code, night.night)
            if self._versions.get(key, -1) >= night.version:
                continue
            self._versions[key] = night.version
            self._versions.move_to_end(key)
            newer.append(night)
        while len(self._versions) > self._remember:
            self._versions.popitem(last=False)
        if newer:
            await self._hub.deliver(replace(change, nights=tuple(newer)))
