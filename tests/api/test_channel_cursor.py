"""The sync cursor only moves forward, whatever a full load and webhooks do meanwhile (issue 14, item 9)."""

from __future__ import annotations

import asyncio

from tests.api.channel_helpers import mirrored


async def test_webhooks_during_a_first_load_keep_the_cursor_ahead(db):
    async with mirrored(db) as rig:
        await rig.change_prices(11000, times=2)
        loaded = len(await rig.feed())  # the sequence the load reads
        client = rig.poller.clients["sandbox"]
        read, release = asyncio.Event(), asyncio.Event()
        real_availability = client.availability

        async def slow_availability(*args, **kwargs):
            ari = await real_availability(*args, **kwargs)
            read.set()
            await release.wait()  # the answer is on its way while webhooks land
            return ari

        client.availability = slow_availability
        loading = asyncio.create_task(rig.poller.poll_all())
        await read.wait()
        await rig.change_prices(12000, times=2)  # two more, pushed as webhooks
        latest = loaded + 2
        for event in await rig.feed():
            status, answer = await rig.post(event)
            assert status == 200, answer
        assert await rig.cursor() == latest
        release.set()
        await loading
        client.availability = real_availability

        assert await rig.cursor() == latest  # the load read an older sequence; it must not take the cursor back
        await rig.change_prices(13000)
        [sixth] = await rig.feed(since=latest)
        status, answer = await rig.post(sixth)
        assert (status, answer["status"], answer["last_sequence"]) == (200, "applied", latest + 1)
        assert (await rig.nights())[0][1] == 13000


async def test_a_mirror_behind_a_gap_is_not_taken_for_fresh(db):
    """Webhooks keep coming while the feed cannot be read: behind the gap, nothing counts as heard
    from, so search's freshness bound runs out and it asks the source (or flags the nights stale)."""
    async with mirrored(db) as rig:
        await rig.poller.poll_all()
        heard = await rig.heard()
        await rig.faults(outage=True)  # the API (and its feed) is down; its webhooks still come
        await rig.change_prices(12000, times=2)
        [_, second] = await rig.feed_while_down(since=await rig.cursor())
        status, answer = await rig.post(second)  # the first one was lost on the way
        assert (status, answer["status"]) == (200, "waiting")
        await rig.poller.poll_all()
        assert await rig.heard() == heard

        await rig.faults(outage=False)
        await rig.poller.poll_all()  # the feed fills the gap
        assert (await rig.nights())[0][1] == 12000
        assert all(after > before for after, before in zip(await rig.heard(), heard, strict=True))
