"""A delivery round's database work on both backends: merging changes, leasing and reading many
deliveries at once, and closing them with the version check that keeps a partner from missing a change."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest_asyncio
from sqlalchemy import select

from clients.partners import AriUpdate, PartnerUnavailable, Receipt
from servers.messaging.bus import RetryPolicy
from servers.messaging.outbox import Message
from servers.partner import deliveries
from servers.partner.domain import DELIVERED, PENDING, RETRYING
from servers.partner.rate_limit import MemoryRateLimiter
from servers.partner.sender import DeliveryWorker
from servers.storage.tables import deliveries as deliveries_table
from tests.integration.rows import NIGHT, NOW, list_on_partners

HOTELS = ("round-hotel-a", "round-hotel-b", "round-hotel-c")
PARTNERS = ("round-json", "round-ota")


@pytest_asyncio.fixture
async def listed(db) -> dict[str, int]:
    """Three hotels with five nights each, every one listed on both partners; hotel id → room type id."""
    return await list_on_partners(db, HOTELS, PARTNERS)


async def _change(db, hotel: str, first: int, last: int, partner_ids=PARTNERS) -> list[tuple[str, str]]:
    async with db.unit_of_work() as uow:
        opened = await deliveries.merge_change(uow, list(partner_ids), hotel, NIGHT + timedelta(days=first),
                                               NIGHT + timedelta(days=last + 1), 1, NOW)
        await uow.commit()
    return opened


async def _rows(db) -> dict[tuple[str, str], object]:
    async with db.reading() as conn:
        return {(r.partner_id, r.hotel_id): r for r in await conn.execute(select(deliveries_table))}


async def test_changes_merge_into_one_open_delivery_per_partner_and_hotel(db, listed):
    opened = await _change(db, HOTELS[0], 1, 1)
    assert sorted(p for _, p in opened) == sorted(PARTNERS)
    assert await _change(db, HOTELS[0], 3, 4) == []  # merged: nothing new to announce
    rows = await _rows(db)
    assert len(rows) == 2
    for partner_id in PARTNERS:
        row = rows[(partner_id, HOTELS[0])]
        assert (row.status, row.change_count, row.version) == (PENDING, 2, 2)
        assert (row.window_start, row.window_end) == (NIGHT + timedelta(days=1), NIGHT + timedelta(days=5))


async def test_a_round_leases_and_reads_many_deliveries_at_once_and_only_once(db, listed):
    await _change(db, HOTELS[0], 0, 1)
    await _change(db, HOTELS[1], 2, 2)
    await _change(db, HOTELS[2], 3, 4, partner_ids=PARTNERS[:1])
    ids = {key: row.id for key, row in (await _rows(db)).items()}
    json_ids = [ids[(PARTNERS[0], h)] for h in HOTELS]

    first = await deliveries.lease_round(db, [*json_ids, json_ids[0], "no-such-delivery"], NOW, 30)
    assert sorted(first.leased) == sorted(json_ids)
    nights = {i: [(r.partner_property_code, r.night, r.price_minor) for r in rows] for i, rows in first.ari.items()}
    assert nights[json_ids[0]] == [("P0", NIGHT, 1000), ("P0", NIGHT + timedelta(days=1), 1001)]
    assert nights[json_ids[1]] == [("P1", NIGHT + timedelta(days=2), 1002)]
    assert nights[json_ids[2]] == [("P2", NIGHT + timedelta(days=3), 1003), ("P2", NIGHT + timedelta(days=4), 1004)]

    second = await deliveries.lease_round(db, json_ids, NOW + timedelta(seconds=10), 30)
    assert second.leased == {}
    assert {i: round(s) for i, s in second.busy_for.items()} == {i: 20 for i in json_ids}


async def test_closing_a_round_delivers_only_what_did_not_change_on_the_wire(db, listed):
    for hotel in HOTELS:
        await _change(db, hotel, 0, 0, partner_ids=PARTNERS[:1])
    round_ = await deliveries.lease_round(db, [r.id for r in (await _rows(db)).values()], NOW, 30)
    by_hotel = {row.hotel_id: row for row in round_.leased.values()}
    await _change(db, HOTELS[1], 2, 2, partner_ids=PARTNERS[:1])  # while the round is on the wire
    retry_at = NOW + timedelta(seconds=2)

    sent = {by_hotel[h].id: (by_hotel[h], n) for h, n in ((HOTELS[0], 1), (HOTELS[1], 2))}
    delivered = await deliveries.finish_round(db, sent, {by_hotel[HOTELS[2]].id: retry_at}, NOW)

    assert delivered == {by_hotel[HOTELS[0]].id}
    rows = {hotel: row for (_, hotel), row in (await _rows(db)).items()}
    assert (rows[HOTELS[0]].status, rows[HOTELS[0]].requests_sent, rows[HOTELS[0]].lease_until) == (DELIVERED, 1, None)
    changed = rows[HOTELS[1]]
    assert (changed.status, changed.requests_sent, changed.attempt_count, changed.lease_until) == (PENDING, 2, 1, None)
    assert (changed.window_start, changed.window_end) == (NIGHT, NIGHT + timedelta(days=3))
    waiting = rows[HOTELS[2]]
    assert (waiting.status, waiting.lease_until, waiting.next_attempt_at) == (PENDING, None, retry_at)
    assert (waiting.attempt_count, waiting.requests_sent) == (0, 0)

    again = await deliveries.lease_round(db, [changed.id], NOW + timedelta(seconds=1), 30)
    assert [r.night for r in again.ari[changed.id]] == [NIGHT + timedelta(days=n) for n in range(3)]


class _Partner:
    """A partner that takes every property's update but P1's: that one it does not answer."""

    def __init__(self) -> None:
        self.received: list[str] = []

    async def get(self, partner):
        return self

    async def send_ari(self, update: AriUpdate) -> Receipt:
        await asyncio.sleep(0.01)
        if update.property_code == "P1":
            raise PartnerUnavailable("no answer")
        self.received.append(update.property_code)
        return Receipt(1)


class _Bus:
    policy = RetryPolicy((5.0,))


async def test_in_a_round_only_the_delivery_that_failed_fails(db, listed):
    for hotel in HOTELS:
        await _change(db, hotel, 0, 1, partner_ids=PARTNERS[:1])
    ids = {row.hotel_id: row.id for row in (await _rows(db)).values()}
    partner = _Partner()
    worker = DeliveryWorker(db, _Bus(), MemoryRateLimiter(), partner)
    messages = [Message(n, "partner.delivery", "k", {"delivery_id": ids[h], "partner_id": PARTNERS[0], "hotel_id": h})
                for n, h in enumerate(HOTELS)]

    outcomes = await asyncio.gather(*(worker.handle(m) for m in messages), return_exceptions=True)

    assert [type(o).__name__ for o in outcomes] == ["NoneType", "PartnerUnavailable", "NoneType"]
    assert sorted(partner.received) == ["P0", "P2"]
    rows = {hotel: row for (_, hotel), row in (await _rows(db)).items()}
    assert [rows[h].status for h in HOTELS] == [DELIVERED, RETRYING, DELIVERED]
    failed = rows[HOTELS[1]]
    assert (failed.attempt_count, failed.lease_until, failed.requests_sent) == (1, None, 0)
    assert "no answer" in failed.last_error
    await worker.stop()
