"""Our mirror of a channel-managed hotel follows the sandbox channel manager end to end
(ARCHITECTURE §1, §5 rule 6): signed webhooks, at least once and out of order, with the change-feed
poller as the fallback, and a breaker in front of a channel manager that goes down.

Every test runs on both backends (the `db` fixture) against a real sandbox on port 0 and our real
server on port 0; the rig is in tests/e2e/sync_helpers.py.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import aiohttp

from clients.channel_managers import sign
from servers.inventory.flows.poller import PAGE
from tests.e2e.sync_helpers import (
    HOTEL_CODE,
    NIGHTS,
    SECRET,
    SyncRig,
    bounded,
    diff,
    event_counts,
    night_date,
    sync_rig,
    until,
)

TRAFFIC_SECONDS = 2.0
COMPETITOR_RATE = 30.0


def _day(offset: int) -> str:
    return night_date(offset).isoformat()


def _admin_changes() -> list[tuple[str, list[dict]]]:
    """A few ARI changes a hotelier makes at the channel manager, one snapshot event each."""
    return [
        ("STD", [{"date": _day(d), "price_minor": 13500, "restrictions": {"min_stay": 2}} for d in range(2, 6)]),
        ("DBL", [{"date": _day(3), "total": 3, "restrictions": {"closed_to_arrival": True}}]),
        ("STE", [{"date": _day(7), "price_minor": 31000, "restrictions": {"stop_sell": True, "max_stay": 4}}]),
        ("STD", [{"date": _day(10), "available": 1, "restrictions": {"closed_to_departure": True}}]),
    ]


async def _traffic(rig: SyncRig, seconds: float = TRAFFIC_SECONDS) -> None:
    """Competitor demand for `seconds`, with the admin changes spread over it; returns when all stopped."""
    changes = _admin_changes()
    step = seconds / (len(changes) + 1)
    await rig.competitors(COMPETITOR_RATE, cancel_ratio=0.3)
    try:
        for room_type, nights in changes:
            await asyncio.sleep(step)
            await rig.set_nights(room_type, nights)
        await asyncio.sleep(step)
    finally:
        await rig.competitors(0.0)


async def _wait_feed_quiet(rig: SyncRig) -> int:
    """The sandbox's latest sequence once nothing more is appended (the competitor loop has stopped)."""
    latest = await rig.latest_sequence()
    for _ in range(20):
        await asyncio.sleep(0.05)
        again = await rig.latest_sequence()
        if again == latest:
            return latest
        latest = again
    raise AssertionError("the sandbox feed kept growing after the traffic stopped")


# ---- 1 & 2: the rig itself ----------------------------------------------------------------------


async def test_first_poll_loads_the_hotel_whole(db):
    async with sync_rig(db) as rig:
        truth = await rig.sandbox_ari()
        assert len(truth) == NIGHTS * 3
        assert diff(truth, await rig.mirror_ari()) == []
        assert await rig.cursor() == rig.load_sequence == await rig.latest_sequence()


async def test_first_load_under_traffic_converges(db):
    """Subscribed and loaded while competitors sell: webhooks from before the load's sequence are
    stale, the ones after it follow on, whatever order they come in."""
    async def busy(rig: SyncRig) -> None:
        await rig.competitors(COMPETITOR_RATE * 2, cancel_ratio=0.3)
        await asyncio.sleep(0.3)

    async with sync_rig(db, poll_interval=3600, before_load=busy) as rig:
        try:
            await rig.faults(webhook_reorder_rate=0.5)
            await asyncio.sleep(1.0)
        finally:
            await rig.competitors(0.0)
        latest = await _wait_feed_quiet(rig)
        assert latest > rig.load_sequence > 3, "no traffic around the load"
        await rig.wait_webhooks_settled(timeout=10)
        await rig.wait_mirror_equal(timeout=3)
        assert await rig.cursor() == latest
        assert all(applied for _, _, applied in await rig.recorded_events())


async def test_a_room_type_created_after_the_first_load_is_mirrored(db):
    async with sync_rig(db, room_types=("STD", "DBL")) as rig:  # the poller loads before STE exists here
        await rig.create_room_type("STE")
        await bounded(rig.poller.poll_all(), 10)
        status, _ = await rig.call("POST", "/reservations", {
            "hotel_code": HOTEL_CODE, "room_type_code": "STE", "check_in": _day(1), "check_out": _day(3),
            "rooms": 1, "channel": "direct"})
        assert status == 201
        await rig.wait_webhooks_settled(timeout=5)
        await bounded(rig.poller.poll_all(), 10)
        problems = await rig.mismatches()
        assert problems == [], f"{len(problems)} nights differ, e.g. {problems[:3]}"


# ---- 3: duplicates and reordering, webhooks only -------------------------------------------------


async def test_duplicated_and_reordered_webhooks_converge_without_polling(db):
    async with sync_rig(db, poll_interval=3600) as rig:
        await rig.faults(webhook_duplicate_rate=0.5, webhook_reorder_rate=0.5)
        await _traffic(rig)
        latest = await _wait_feed_quiet(rig)
        webhooks = await rig.wait_webhooks_settled(timeout=10)
        # A gap (an event overtaken by a later one) asks for a poll at once: part of the webhook path.
        await rig.wait_mirror_equal(timeout=3)

        stats = await rig.stats()
        assert stats["webhooks"]["duplicated"] > 0, stats
        assert stats["webhooks"]["dropped"] == 0, stats
        assert webhooks["acknowledged"] > latest - rig.load_sequence, "duplicates were not delivered"
        assert stats["competitors"]["live_confirmed"] > 0, stats
        assert await rig.cursor() == latest

        rows = await rig.recorded_events()
        counts = event_counts(rows)
        assert all(n == 1 for n in counts.values()), [i for i, n in counts.items() if n > 1]
        feed = await rig.feed_event_ids(after=rig.load_sequence)
        assert set(counts) == set(feed), "webhook_events should hold exactly the events pushed since the load"
        assert all(applied for _, _, applied in rows), "an event is still waiting after everything arrived"
        assert await rig.cache_mismatches() == []
        print(f"\n[{db.url.split(':')[0]}] events={len(feed)} sent={webhooks['sent']} "
              f"duplicated={webhooks['duplicated']} gap signals={rig.watch.gaps} gap polls={rig.watch.polls}")


async def test_webhooks_alone_converge_when_none_is_dropped(db):
    """The same storm with the gap → poll hook cut: events that overtook a missing one wait in
    webhook_events and are applied, in sequence order, when it arrives; no poll at all."""
    async with sync_rig(db, poll_interval=3600) as rig:
        rig.running.system.mirror.on_gap = lambda hotel_id: None
        await rig.faults(webhook_duplicate_rate=0.5, webhook_reorder_rate=0.5)
        await _traffic(rig)
        latest = await _wait_feed_quiet(rig)
        await rig.wait_webhooks_settled(timeout=10)
        await rig.wait_mirror_equal(timeout=3)
        assert rig.watch.polls == 0
        assert await rig.cursor() == latest
        assert await rig.cache_mismatches() == []


# ---- 4: dropped webhooks, the poller closes the gap ---------------------------------------------


async def test_dropped_webhooks_converge_within_one_poll_interval(db):
    interval, slack = 2.0, 1.0
    async with sync_rig(db, poll_interval=interval) as rig:
        await rig.faults(webhook_drop_rate=0.3)
        await _traffic(rig)
        traffic_end = time.monotonic()
        await rig.wait_mirror_equal(timeout=interval + slack + 2)
        took = time.monotonic() - traffic_end
        await _wait_feed_quiet(rig)
        await rig.wait_webhooks_settled(timeout=5)
        assert not await rig.mismatches(), "the mirror drifted after converging"
        assert took <= interval + slack, f"converged {took:.2f}s after the traffic, interval {interval}s"

        # Then a lost tail: the last event is dropped, so no later webhook reveals the gap; only the
        # periodic poll can bring it, within one interval.
        await rig.faults(webhook_drop_rate=1.0)
        gaps_before, polls_before = rig.watch.gaps, rig.watch.polls
        await rig.set_nights("DBL", [{"date": _day(20), "price_minor": 17700, "restrictions": {"min_stay": 3}}])
        tail_lost = time.monotonic()
        await rig.wait_mirror_equal(timeout=interval + slack + 2)
        tail_took = time.monotonic() - tail_lost
        assert rig.watch.gaps == gaps_before and rig.watch.polls > polls_before

        stats = await rig.stats()
        assert stats["webhooks"]["dropped"] > 1, stats
        assert await rig.cursor() == await rig.latest_sequence()
        assert await rig.cache_mismatches() == []
        print(f"\n[{db.url.split(':')[0]}] dropped={stats['webhooks']['dropped']} converged {took:.2f}s after "
              f"the traffic, lost tail {tail_took:.2f}s; gap signals={rig.watch.gaps} polls={rig.watch.polls}")
        assert tail_took <= interval + slack, f"the lost tail came {tail_took:.2f}s later, interval {interval}s"


async def test_a_backlog_longer_than_a_page_is_caught_up_in_one_poll(db):
    """Every webhook lost and more events than one change-feed page: one poll round follows the
    feed page after page to the latest sequence."""
    async with sync_rig(db, poll_interval=3600) as rig:
        await rig.faults(webhook_drop_rate=1.0)
        room_types = ("STD", "DBL", "STE")
        for i in range(PAGE + 100):
            await rig.set_nights(room_types[i % 3], [{"date": _day(i % NIGHTS), "price_minor": 10000 + i}])
        latest = await rig.latest_sequence()
        assert latest - rig.load_sequence > PAGE

        applied = await bounded(rig.poller.poll_all(), 15)
        assert applied == latest - rig.load_sequence
        assert await rig.cursor() == latest
        assert await rig.mismatches() == []
        assert rig.watch.gaps == 0


# ---- 5: forged and stale webhooks ---------------------------------------------------------------


async def _post_webhook(rig: SyncRig, body: dict, secret: str, t: float, raw: bytes | None = None) -> int:
    signed = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "X-CM-Signature": sign(secret, signed, int(t)),
               "X-CM-Event-Id": body["event_id"]}
    async with aiohttp.ClientSession() as session:
        async with session.post(rig.webhook_url, data=raw if raw is not None else signed, headers=headers) as reply:
            await reply.read()
            return reply.status


def _plausible_event(sequence: int, hotel_code: str = HOTEL_CODE) -> dict:
    """What an attacker would send: the next sequence, selling every STD room on the first night."""
    return {"event_id": uuid.uuid4().hex, "hotel_code": hotel_code, "sequence": sequence,
            "occurred_at": "2030-01-01T00:00:00Z", "type": "delta",
            "delta": {"room_type_code": "STD", "date": _day(0), "available_change": -8,
                      "channel": "expedia", "reservation_id": "r-forged"}}


async def test_forged_and_stale_webhooks_are_refused_and_change_nothing(db):
    async with sync_rig(db) as rig:
        before, cursor, recorded = await rig.mirror_ari(), await rig.cursor(), await rig.webhook_event_count()
        event = _plausible_event(rig.load_sequence + 1)
        now = time.time()
        tolerance = rig.settings.webhook_tolerance_seconds

        assert await _post_webhook(rig, event, "not-the-shared-secret-at-all", now) == 401
        assert await _post_webhook(rig, event, SECRET, now - tolerance - 60) == 401
        assert await _post_webhook(rig, event, SECRET, now + tolerance + 60) == 401
        tampered = json.dumps({**event, "delta": {**event["delta"], "available_change": -1}}).encode()
        assert await _post_webhook(rig, event, SECRET, now, raw=tampered) == 401

        assert await rig.mirror_ari() == before
        assert (await rig.cursor(), await rig.webhook_event_count()) == (cursor, recorded)
        assert rig.watch.gaps == 0 and rig.watch.polls == 0
        # Control: the same signing, with the right secret and time, is accepted (for a hotel we do not sell).
        assert await _post_webhook(rig, _plausible_event(1, "NOT-OURS"), SECRET, time.time()) == 200


# ---- 6: the channel manager goes down -----------------------------------------------------------


async def test_outage_opens_the_breaker_and_the_mirror_recovers(db):
    interval, reset = 0.5, 1.0
    async with sync_rig(db, poll_interval=interval, breaker_fail_max=2, breaker_reset_seconds=reset,
                        channel_manager_timeout_seconds=2.0) as rig:
        before = await rig.mirror_ari()
        # Down: its API slow then 503, and no webhooks either (they would mask the poller).
        await rig.faults(outage=True, latency_ms=400, webhook_drop_rate=1.0)
        await _traffic(rig, seconds=1.0)
        assert await rig.mismatches(in_process=True), "the traffic changed nothing at the sandbox"

        await until(lambda: _is_open(rig), timeout=5, what="the breaker opening")
        began = time.monotonic()
        await bounded(rig.poller.poll_all(), 5)
        fast = time.monotonic() - began
        assert fast < 0.2, f"a poll with the breaker open took {fast:.3f}s (the sandbox answers in 0.4s)"

        # The server still answers, from the mirror, while polls keep failing in the background.
        began = time.monotonic()
        during = await rig.mirror_ari(timeout=2)
        answered = time.monotonic() - began
        assert during == before
        assert answered < 1.0, f"GetAvailability took {answered:.3f}s during the outage"

        await rig.faults(outage=False, latency_ms=0)
        recovered_at = time.monotonic()
        took = await rig.wait_mirror_equal(timeout=reset + interval + 4)
        assert rig.breaker.state == "closed"
        # The breaker lets a trial through at most `reset` after the last failure; the next poll
        # round (every `interval`) is that trial, and it follows the feed to the end.
        assert took <= reset + interval + 1.0, f"converged {took:.2f}s after the outage ended"
        print(f"\n[{db.url.split(':')[0]}] open poll {fast * 1000:.1f}ms, GetAvailability {answered * 1000:.1f}ms, "
              f"converged {time.monotonic() - recovered_at:.2f}s after the outage (wait {took:.2f}s), "
              f"polls={rig.watch.polls}")


async def _is_open(rig: SyncRig) -> bool:
    # Open with time to spare, so the timed poll cannot be the half-open trial.
    return rig.breaker.state == "open" and rig.breaker.retry_after() > 0.5
