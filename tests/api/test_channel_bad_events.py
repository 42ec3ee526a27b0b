"""A channel manager's event that no mirror can hold is refused, and stops nothing else (issue 14, item 8).

Signed is not sound: a buggy channel manager signs and feeds garbage too. A bad event over the webhook
gets a 400 that names it and leaves no trace; one in the change feed makes the poller reload that hotel
whole (the source's absolute ARI), and every other hotel keeps syncing in the same round.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

from sqlalchemy import func, select

from clients.channel_managers import parse_event
from servers.inventory.flows.apply_queue import ApplyQueue, Arrival
from servers.inventory.store.catalog import hotel_by_code
from servers.runtime.batching import Ticket
from servers.storage.tables import webhook_events
from tests.api.channel_helpers import CODE, NIGHTS, mirrored

TODAY = date.today().isoformat()


def _night(**fields) -> dict:
    return {"date": TODAY, "total": 5, "available": 5, "price_minor": 9000, **fields}


BAD_SNAPSHOT_NIGHTS = {
    "more available than total": _night(available=9),
    "negative available": _night(available=-1),
    "negative total": _night(total=-2, available=0),
    "negative price": _night(price_minor=-100),
    "price past 64 bits": _night(price_minor=2**63),
    "negative min_stay": _night(restrictions={"min_stay": -1}),
    "negative max_stay": _night(restrictions={"max_stay": -3}),
    "total past 32 bits": _night(total=2**31, available=2**31),
}


def _event(sequence: int, kind: str, change: dict) -> dict:
    return {"event_id": uuid.uuid4().hex, "hotel_code": CODE, "sequence": sequence,
            "occurred_at": "2026-11-25T16:00:00Z", "type": kind, kind: change}


async def _recorded(db) -> int:
    async with db.reading() as conn:
        return (await conn.execute(select(func.count()).select_from(webhook_events))).scalar_one()


async def test_a_bad_signed_webhook_is_refused_and_changes_nothing(db):
    async with mirrored(db) as rig:
        await rig.poller.poll_all()
        cursor, before, recorded = await rig.cursor(), await rig.nights(), await _recorded(db)
        bad = {f"snapshot, {name}": _event(cursor + 1, "snapshot", {"room_type_code": "STD", "nights": [night]})
               for name, night in BAD_SNAPSHOT_NIGHTS.items()}
        delta = {"room_type_code": "STD", "date": TODAY, "channel": "expedia", "reservation_id": "x-1"}
        bad["delta past 32 bits"] = _event(cursor + 1, "delta", {**delta, "available_change": -2**40})
        bad["sequence past 64 bits"] = _event(2**63, "delta", {**delta, "available_change": -1})
        bad["event id past its column"] = {**_event(cursor + 1, "delta", {**delta, "available_change": -1}),
                                           "event_id": "e" * 129}
        for case, body in bad.items():
            status, answer = await rig.post(body)
            assert (status, answer["error"]) == (400, "bad_event"), case
        assert (await rig.cursor(), await rig.nights(), await _recorded(db)) == (cursor, before, recorded)

        # The hotel is not frozen: the next good event is applied.
        status, answer = await rig.post(_event(cursor + 1, "delta", {**delta, "available_change": -2}))
        assert (status, answer["status"]) == (200, "applied")
        assert (await rig.nights())[0] == (3, 10000)


async def test_a_bad_event_in_the_feed_reloads_its_hotel_and_the_others_keep_syncing(db):
    async with mirrored(db) as rig:
        await rig.add_hotel("a-first-hotel", "CM-FIRST-1")  # polled before HOTEL, by id
        await rig.poller.poll_all()
        garbage = await rig.emit_garbage("snapshot", {"room_type_code": "STD", "nights": [_night(available=9)]},
                                         code="CM-FIRST-1")
        await rig.change_prices(15000, code="CM-FIRST-1")
        await rig.change_prices(16000)

        await rig.poller.poll_all()
        assert await rig.nights() == [(5, 16000)] + [(5, 10000)] * (NIGHTS - 1)
        assert await rig.nights("a-first-hotel") == [(5, 15000)] + [(5, 10000)] * (NIGHTS - 1)
        assert await rig.cursor("a-first-hotel") == garbage + 1

        # And it follows its feed from there on.
        await rig.change_prices(17000, code="CM-FIRST-1")
        await rig.poller.poll_all()
        assert (await rig.nights("a-first-hotel"))[0] == (5, 17000)


async def test_an_event_failing_in_a_batch_fails_alone(db, monkeypatch):
    """Webhooks that arrive together share a transaction; one failing there must not fail the others."""
    async with mirrored(db) as rig:
        await rig.poller.poll_all()
        cursor, mirror = await rig.cursor(), rig.running.system.mirror
        delta = {"room_type_code": "STD", "date": TODAY, "channel": "expedia", "reservation_id": "x-1"}
        events = [parse_event(_event(cursor + i, "delta", {**delta, "available_change": -1})) for i in (1, 2, 3)]
        poisoned = events[2].event_id
        real_apply = mirror.apply

        async def apply_unless_poisoned(uow, hotel, batch):
            if any(e.event_id == poisoned for e in batch):
                raise RuntimeError("the database refused this event")
            return await real_apply(uow, hotel, batch)

        monkeypatch.setattr(mirror, "apply", apply_unless_poisoned)
        async with db.reading() as conn:
            hotel = await hotel_by_code(conn, "sandbox", CODE)
        queue = ApplyQueue(db, mirror)
        tickets = [Ticket(hotel.id, Arrival(hotel, event)) for event in events]
        await queue._apply_batch(hotel.id, tickets)
        answers = [ticket.outcome for ticket in tickets]
        assert [a.result()["status"] for a in answers[:2]] == ["applied", "applied"]
        assert isinstance(answers[2].exception(), RuntimeError)
        assert (await rig.cursor(), (await rig.nights())[0]) == (cursor + 2, (3, 10000))


async def test_a_hotel_whose_poll_breaks_does_not_stop_the_round(db, monkeypatch):
    async with mirrored(db) as rig:
        await rig.add_hotel("a-first-hotel", "CM-FIRST-1")
        await rig.poller.poll_all()
        client = rig.poller.clients["sandbox"]
        real_changes = client.changes

        async def changes(hotel_code, *args, **kwargs):
            if hotel_code == "CM-FIRST-1":
                raise RuntimeError("something we did not foresee")
            return await real_changes(hotel_code, *args, **kwargs)

        monkeypatch.setattr(client, "changes", changes)
        await rig.change_prices(16000)
        await rig.poller.poll_all()
        assert (await rig.nights())[0] == (5, 16000)


async def test_a_refused_webhook_has_its_hotel_reloaded_at_once(db):
    """Signed, so the hotel did change: the poll it asks for reloads the hotel past the bad event."""
    async with mirrored(db) as rig:
        await rig.poller.poll_all()
        await rig.change_prices(14000)
        garbage = await rig.emit_garbage(
            "snapshot", {"room_type_code": "STD", "nights": [_night(restrictions={"min_stay": -1})]})
        [event] = await rig.feed(since=garbage - 1)
        status, answer = await rig.post(event)
        assert (status, answer["error"]) == (400, "bad_event")
        for _ in range(200):  # the poller's own task does it; bounded
            if await rig.cursor() == garbage:
                break
            await asyncio.sleep(0.05)
        assert await rig.cursor() == garbage
        assert (await rig.nights())[0] == (5, 14000)
