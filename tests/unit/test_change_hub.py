"""The change hub: one way to announce a change (record), transaction listeners by cause, the rest after commit."""

from __future__ import annotations

from datetime import date, datetime, timezone

from servers.hotel.nights import Night
from servers.inventory.flows import changes
from servers.inventory.flows.changes import ChangeHub, InventoryChange

NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)


class _Uow:
    """What record needs of a unit of work: hooks run at commit, never on rollback."""

    def __init__(self) -> None:
        self.hooks: list = []

    def after_commit(self, hook) -> None:
        self.hooks.append(hook)

    async def commit(self) -> None:
        for hook in self.hooks:
            await hook()


def _change(cause: str) -> InventoryChange:
    return InventoryChange("h-one", "DBL", "EUR", cause, (Night(date(2030, 1, 2), 3, 3, 0, 10_000),), NOW)


async def test_a_listener_for_direct_causes_never_sees_the_mirror_and_sees_every_direct_change():
    hub, marked, published = ChangeHub(), [], []
    hub.add_transaction_listener(lambda uow, change: _append(marked, change.cause), causes=changes.DIRECT_HOTEL_CAUSES)
    hub.add_listener(lambda change: _append(published, change.cause))
    uow = _Uow()
    for cause in (changes.CHANNEL_UPDATE, *sorted(changes.DIRECT_HOTEL_CAUSES)):
        await hub.record(uow, _change(cause))
    assert marked == sorted(changes.DIRECT_HOTEL_CAUSES)
    assert published == []  # nothing leaves the transaction before it commits
    await uow.commit()
    assert published == [changes.CHANNEL_UPDATE, *sorted(changes.DIRECT_HOTEL_CAUSES)]


async def test_a_listener_without_causes_sees_every_change_and_a_rolled_back_change_reaches_no_subscriber():
    hub, marked = ChangeHub(), []
    hub.add_transaction_listener(lambda uow, change: _append(marked, change.cause))
    async with hub.subscribe(frozenset()) as subscription:
        await hub.record(_Uow(), _change(changes.CHANNEL_UPDATE))  # never committed
        assert marked == [changes.CHANNEL_UPDATE]
        assert subscription.queue.empty()


def test_every_cause_but_the_mirror_is_a_direct_hotel_cause():
    causes = {changes.DIRECT_UPDATE, changes.CHANNEL_UPDATE, changes.HOLD, changes.RELEASE, changes.COMMIT,
              changes.EXPIRY, changes.PARTNER_RESERVATION}
    assert changes.DIRECT_HOTEL_CAUSES == causes - {changes.CHANNEL_UPDATE}


async def _append(into: list, value) -> None:
    into.append(value)


async def test_losing_track_cuts_every_stream_loose_and_wakes_its_reader():
    """A replica cut off from the broadcast missed changes: its streams must resubscribe and re-read."""
    hub = ChangeHub()
    async with hub.subscribe(frozenset()) as subscription:
        hub.lose_track()
        assert subscription.overflowed and hub.subscriber_count == 0
        assert subscription.queue.get_nowait() is None  # what wakes a reader waiting on its queue
        await hub.deliver(_change(changes.HOLD))
        assert subscription.queue.empty()
