"""A hotel's first full load, whatever webhooks did before it or do while it is on its way.

The sandbox hotels here are not announced (`announce=False`): they sold before they were connected,
so their feed starts at 1 with the first change after, and only the ARI read has the rest."""

from __future__ import annotations

from datetime import date, timedelta

from tests.api.channel_helpers import NIGHTS, mirrored

TOMORROW = date.today() + timedelta(days=1)


async def _post_feed(rig, since: int = 0) -> list[str]:
    """Posts the sandbox's events after `since` as its webhooks; our receiver's answers, in order."""
    answers = []
    for event in await rig.feed(since):
        status, answer = await rig.post(event)
        assert status == 200, answer
        answers.append(answer["status"])
    return answers


async def test_a_hotel_whose_first_webhook_comes_before_any_poll_is_still_loaded_whole(db):
    """Its events start at 1, so the first webhook follows a cursor that did not exist yet: the cursor
    moves, but the poll must still load every night the feed never carried."""
    async with mirrored(db, price=10000, announce=False) as rig:
        await rig.change_prices(11000)  # event 1: a snapshot of today's night only
        await _post_feed(rig)
        assert await rig.cursor() == 1
        await rig.poller.poll_all()
        assert await rig.nights() == [(5, 11000)] + [(5, 10000)] * (NIGHTS - 1)


async def test_a_first_webhook_selling_a_night_not_mirrored_yet_is_applied_by_the_load(db):
    async with mirrored(db, price=10000, announce=False) as rig:
        await rig.sell_elsewhere(TOMORROW, rooms=2)  # event 1: a delta, for a night we have no row of
        assert await _post_feed(rig) == ["waiting"]  # for the load: nothing to move yet
        await rig.poller.poll_all()
        assert await rig.nights() == [(5, 10000), (3, 10000)] + [(5, 10000)] * (NIGHTS - 2)
        assert await rig.cursor() == 1


async def _while_loading(rig, meanwhile) -> None:
    """Runs `meanwhile` after the first load has read the channel manager's ARI and before it is applied."""
    client = rig.poller.clients["sandbox"]
    real_availability = client.availability

    async def availability_then_meanwhile(*args, **kwargs):
        ari = await real_availability(*args, **kwargs)
        await meanwhile()
        return ari

    client.availability = availability_then_meanwhile
    try:
        await rig.poller.poll_all()
    finally:
        client.availability = real_availability


async def test_a_sale_elsewhere_pushed_during_the_first_load_is_not_lost(db):
    """The load reads sequence 0; the sale (sequence 1) lands by webhook before the load is applied,
    for a night the mirror has no row of yet. The load's older snapshot must not hide it."""
    async with mirrored(db, price=10000, announce=False) as rig:
        async def sale_pushed() -> None:
            await rig.sell_elsewhere(TOMORROW, rooms=2)
            await _post_feed(rig)

        await _while_loading(rig, sale_pushed)
        assert await rig.nights() == [(5, 10000), (3, 10000)] + [(5, 10000)] * (NIGHTS - 2)
        assert await rig.cursor() == 1


async def test_a_sale_pushed_during_a_first_load_after_earlier_webhooks_is_not_lost(db):
    """Webhooks moved the cursor before the first poll (events 1-2); the sale (event 3) lands while
    the load of sequence 2 is on its way, and is applied on top of it."""
    async with mirrored(db, price=10000, announce=False) as rig:
        await rig.change_prices(11000, times=2)
        await _post_feed(rig)

        async def sale_pushed() -> None:
            await rig.sell_elsewhere(TOMORROW, rooms=1)
            await _post_feed(rig, since=2)

        await _while_loading(rig, sale_pushed)
        assert await rig.nights() == [(5, 11000), (4, 10000)] + [(5, 10000)] * (NIGHTS - 2)
        assert await rig.cursor() == 3
        await rig.poller.poll_all()  # loaded once: the next poll only follows the feed
        assert await rig.nights() == [(5, 11000), (4, 10000)] + [(5, 10000)] * (NIGHTS - 2)


async def test_a_hotel_new_at_its_channel_manager_is_loaded_once(db):
    """Loaded at sequence 0 (nothing happened there yet), it is loaded: later polls do not load it again."""
    async with mirrored(db, price=10000, announce=False) as rig:
        client = rig.poller.clients["sandbox"]
        real_availability = client.availability
        loads = []

        async def counted(*args, **kwargs):
            loads.append(args)
            return await real_availability(*args, **kwargs)

        client.availability = counted
        await rig.poller.poll_all()
        await rig.poller.poll_all()
        client.availability = real_availability
        assert len(loads) == 1
        assert await rig.nights() == [(5, 10000)] * NIGHTS
