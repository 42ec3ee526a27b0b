"""Webhooks over real HTTP to a receiver on port 0: signed, at least once, faults as promised."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

from sandbox.channel_manager import start
from sandbox.channel_manager.model import NightUpdate
from tests.sandbox.helpers import CM, day, verify

SECRET = "s3cret"


async def _book(cm, count: int) -> list[dict]:
    """`count` one-night reservations on successive nights: one delta event each."""
    for i in range(count):
        status, body = await cm.reserve(i % 10, i % 10 + 1)
        assert status == 201, body
    return [e for e in (await cm.changes())["events"] if e["type"] == "delta"]


async def _faults(cm, **faults) -> None:
    status, body = await cm.post("/admin/faults", faults)
    assert status == 200, body


async def test_every_event_arrives_signed(cm, receiver):
    await cm.add_hotel(totals={"STD": 50})
    await cm.subscribe(receiver.url, SECRET)
    events = await _book(cm, 20)
    await receiver.wait_for(20)
    assert set(receiver.ids()) == {e["event_id"] for e in events}
    for r in receiver.received:
        assert verify(SECRET, r.headers["X-CM-Signature"], r.raw)
        assert not verify("other-secret", r.headers["X-CM-Signature"], r.raw)
        assert r.headers["X-CM-Event-Id"] == r.event["event_id"]
        assert r.headers["Content-Type"] == "application/json"
    by_id = {e["event_id"]: e for e in events}
    assert all(r.event == by_id[r.event["event_id"]] for r in receiver.received)


async def test_failed_deliveries_are_retried(cm, receiver):
    receiver.fail_first = 1  # every event is refused once, then accepted after the 0.5 s backoff
    await cm.add_hotel(totals={"STD": 50})
    await cm.subscribe(receiver.url, SECRET)
    events = await _book(cm, 5)
    await receiver.wait_for(5, timeout=5)
    assert set(receiver.ids()) == {e["event_id"] for e in events}
    assert all(n == 2 for n in receiver.attempts.values())
    _, stats = await cm.get("/admin/stats")
    assert stats["webhooks"]["failed_attempts"] == 5 and stats["webhooks"]["acknowledged"] == 5


async def test_duplicate_rate_one_pushes_each_event_twice(cm, receiver):
    await cm.add_hotel(totals={"STD": 50})
    await cm.subscribe(receiver.url, SECRET)
    await _faults(cm, webhook_duplicate_rate=1.0)
    events = await _book(cm, 10)
    await receiver.wait_for(20)
    await asyncio.sleep(0.2)  # nothing more should come
    assert receiver.ids() == {e["event_id"]: 2 for e in events}
    assert (await cm.get("/admin/stats"))[1]["webhooks"]["duplicated"] == 10


async def test_drop_rate_one_pushes_nothing_but_the_feed_has_everything(cm, receiver):
    await cm.add_hotel(totals={"STD": 50})
    await cm.subscribe(receiver.url, SECRET)
    await _faults(cm, webhook_drop_rate=1.0)
    events = await _book(cm, 10)
    await asyncio.sleep(0.3)
    assert receiver.received == [] and len(events) == 10
    _, stats = await cm.get("/admin/stats")
    assert stats["webhooks"]["dropped"] == 10 and stats["webhooks"]["sent"] == 0


async def test_reorder_scrambles_arrival_but_loses_nothing(cm, receiver):
    await cm.add_hotel(totals={"STD": 50})
    await cm.subscribe(receiver.url, SECRET)
    await _faults(cm, webhook_reorder_rate=1.0)
    events = await _book(cm, 30)
    await receiver.wait_for(30, timeout=5)
    arrival = [r.event["sequence"] for r in receiver.received]
    assert arrival != sorted(arrival)
    assert set(receiver.ids()) == {e["event_id"] for e in events}


async def test_unsubscribed_receivers_get_nothing_more(cm, receiver):
    await cm.add_hotel(totals={"STD": 50})
    subscription = await cm.subscribe(receiver.url, SECRET)
    assert (await cm.call("DELETE", f"/subscriptions/{subscription}"))[0] == 204
    assert (await cm.call("DELETE", f"/subscriptions/{subscription}"))[0] == 404
    await _book(cm, 3)
    await asyncio.sleep(0.2)
    assert receiver.received == []


async def test_pusher_sustains_hundreds_of_events_per_second(cm, receiver):
    await cm.add_hotel(totals={"STD": 10_000}, nights=10)
    await cm.subscribe(receiver.url, SECRET)
    count = 2000
    started = time.monotonic()
    for i in range(count):  # straight into the state: this measures the pusher, not the API
        cm.state.set_nights("T-1", "STD", [_price_change(i)])
        if i % 100 == 99:
            await asyncio.sleep(0)  # let the workers run while events keep coming
    await receiver.wait_for(count, timeout=15)
    rate = count / (time.monotonic() - started)
    print(f"\nwebhook pusher: {count} events in {count / rate:.2f} s = {rate:.0f} events/s")
    assert rate > 200
    assert len(receiver.ids()) == count


def _price_change(i: int) -> NightUpdate:
    return NightUpdate(date=dt.date.fromisoformat(day(i % 10)), price_minor=10000 + i)


async def test_shutdown_leaves_no_task_or_timer_behind(receiver):
    receiver.fail_first = 1000  # every delivery fails, so retries are pending at shutdown
    runner, port = await start(port=0, shutdown_timeout=1.0)
    cm = CM(runner, port)
    await cm.open()
    await cm.add_hotel(totals={"STD": 50})
    await cm.subscribe(receiver.url, SECRET)
    await cm.post("/admin/faults", {"webhook_reorder_rate": 0.5})
    await _book(cm, 10)
    await asyncio.sleep(0.3)
    subscriptions = list(cm.state.listeners[0].__self__.subscriptions.values())
    timers = [t for s in subscriptions for t in s.timers]
    assert timers, "the test meant to shut down with retries and hold-backs pending"
    await cm.close()
    await runner.cleanup()
    mine = [t for t in asyncio.all_tasks() if t.get_name().startswith(("webhook-", "cm-"))]
    assert mine == [] and all(t.cancelled() for t in timers)


async def test_subscriptions_are_validated(cm):
    for body, field in [({"url": "ftp://x/y", "secret": "s"}, "url"), ({"url": "http://", "secret": "s"}, "url"),
                        ({"url": "http://127.0.0.1:9/hook"}, "secret")]:
        status, answer = await cm.post("/subscriptions", body)
        assert (status, answer["field"]) == (400, field), body
