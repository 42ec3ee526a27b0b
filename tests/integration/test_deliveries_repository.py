"""What every Deliveries repository promises (servers/partner/delivery_rounds.py), asked of the SQL one on
both backends and of the unit tests' FakeDeliveries alike: the fake is only worth the worker's unit tests
while it keeps the same rules as the database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
from sqlalchemy import update

from servers.partner.delivery_store import SqlDeliveries
from servers.partner.domain import DELIVERED, PARKED, PENDING, RETRYING
from servers.partner.outbound import TOPIC
from servers.runtime.errors import ApiError
from servers.storage.database import Database
from servers.storage.tables import deliveries as deliveries_table
from tests.conftest import _empty_tables
from tests.fakes import FakeBus, FakeDeliveries, NightAriRecord
from tests.integration.rows import NIGHT, NOW, list_on_partners

HOTELS = ("contract-hotel-a", "contract-hotel-b")
PARTNERS = ("acme", "other")
NIGHTS = 5


async def _listed(db: Database) -> None:
    """Both hotels with five nights of one room type, listed on both partners (property P<i>, room ROOM)."""
    await list_on_partners(db, HOTELS, PARTNERS, NIGHTS)


def _fake() -> FakeDeliveries:
    fake = FakeDeliveries()
    for partner_id in PARTNERS:
        fake.add_partner(partner_id, endpoint_url="http://127.0.0.1:9")
        for i, hotel in enumerate(HOTELS):
            fake.list_nights(partner_id, hotel, [
                NightAriRecord(f"P{i}", "ROOM", "EUR", NIGHT + timedelta(days=n), available=5, held=0,
                               price_minor=1000 + n) for n in range(NIGHTS)])
    return fake


@pytest_asyncio.fixture(params=["sqlite", "postgres", "fake"])
async def deliveries(request) -> AsyncIterator:
    if request.param == "fake":
        yield _fake()
        return
    db = Database(request.getfixturevalue(f"{request.param}_url"))
    await _empty_tables(db)
    await _listed(db)
    yield SqlDeliveries(db)
    await db.dispose()


async def _force(repository, delivery_id: str, **values) -> None:
    """A write no flow makes (an operator's park, a lease left by a crashed worker), as the api tests' set_delivery."""
    if isinstance(repository, FakeDeliveries):
        repository.write(delivery_id, **values)
        return
    async with repository.db.unit_of_work() as uow:
        await uow.connection.execute(update(deliveries_table).where(deliveries_table.c.id == delivery_id)
                                     .values(**values))
        await uow.commit()


async def _change(repository, hotel: str, first: int, last: int, partner_ids=PARTNERS[:1], at=NOW):
    return await repository.merge_change(list(partner_ids), hotel, NIGHT + timedelta(days=first),
                                         NIGHT + timedelta(days=last + 1), 1, at)


async def _opened(repository, hotel: str, first: int = 0, last: int = 0) -> str:
    [(delivery_id, _)] = await _change(repository, hotel, first, last)
    return delivery_id


async def refused(call) -> str:
    with pytest.raises(ApiError) as caught:
        await call
    return caught.value.reason


async def test_changes_merge_into_one_open_delivery_per_partner_and_hotel(deliveries):
    opened = await _change(deliveries, HOTELS[0], 1, 1, partner_ids=PARTNERS)
    assert sorted(p for _, p in opened) == sorted(PARTNERS)
    assert await _change(deliveries, HOTELS[0], 3, 4, at=NOW + timedelta(seconds=1)) == []  # merged
    by_partner = {p: await deliveries.get(i) for i, p in opened}
    merged, untouched = by_partner[PARTNERS[0]], by_partner[PARTNERS[1]]
    assert (merged.status, merged.change_count, merged.version, merged.attempt_count) == (PENDING, 2, 2, 0)
    assert (merged.window_start, merged.window_end) == (NIGHT + timedelta(days=1), NIGHT + timedelta(days=5))
    assert (merged.created_at, merged.updated_at) == (NOW, NOW + timedelta(seconds=1))
    assert (untouched.change_count, untouched.version) == (1, 1)
    assert merged.idempotency_key != untouched.idempotency_key

    # Delivered, it is closed: the next change opens another.
    delivery_id = merged.id
    await deliveries.lease_round([delivery_id], NOW, 30)
    assert await deliveries.finish_round({delivery_id: (merged, 1)}, {}, NOW) == {delivery_id}
    [(reopened, _)] = await _change(deliveries, HOTELS[0], 0, 0)
    assert reopened != delivery_id and (await deliveries.get(reopened)).version == 1


async def test_a_round_leases_the_open_deliveries_nobody_holds_and_reads_their_nights(deliveries):
    first, second = await _opened(deliveries, HOTELS[0], 0, 1), await _opened(deliveries, HOTELS[1], 3, 9)
    round_ = await deliveries.lease_round([first, second, first, "no-such-delivery"], NOW, 30)
    assert sorted(round_.leased) == sorted([first, second]) and round_.busy_for == {}
    assert round_.leased[first].lease_until == NOW + timedelta(seconds=30)
    nights = {i: [(n.partner_property_code, n.partner_room_code, n.night, n.price_minor, n.available, n.held)
                  for n in rows] for i, rows in round_.ari.items()}
    assert nights[first] == [("P0", "ROOM", NIGHT, 1000, 5, 0), ("P0", "ROOM", NIGHT + timedelta(days=1), 1001, 5, 0)]
    assert nights[second] == [("P1", "ROOM", NIGHT + timedelta(days=3), 1003, 5, 0),
                              ("P1", "ROOM", NIGHT + timedelta(days=4), 1004, 5, 0)]  # only nights there are
    assert round_.ari[first][0].currency_code == "EUR"

    held = await deliveries.lease_round([first], NOW + timedelta(seconds=10), 30)
    assert held.leased == {} and held.busy_for == {first: pytest.approx(20.05)}
    # The lease runs out by the clock: a worker that died lets go of it.
    again = await deliveries.lease_round([first], NOW + timedelta(seconds=31), 30)
    assert list(again.leased) == [first] and again.busy_for == {}

    await _force(deliveries, second, status=PARKED, lease_until=None)
    parked = await deliveries.lease_round([second], NOW + timedelta(seconds=40), 30)
    assert (parked.leased, parked.busy_for) == ({}, {})  # nothing to send


async def test_two_workers_racing_for_the_same_deliveries_never_both_lease_one(deliveries):
    """Several workers (each its own database engine, as separate processes) ask for the same deliveries at
    the same instant: each delivery goes to one of them, so no two workers send it."""
    opened = [delivery_id for hotel in HOTELS
              for delivery_id, _ in await _change(deliveries, hotel, 0, 1, partner_ids=PARTNERS)]
    assert len(opened) == len(HOTELS) * len(PARTNERS)
    engines = [Database(deliveries.db.url) for _ in range(3)] if isinstance(deliveries, SqlDeliveries) else []
    workers = [SqlDeliveries(engine) for engine in engines] or [deliveries] * 3
    try:
        rounds = await asyncio.gather(*(worker.lease_round(list(reversed(opened)) if i % 2 else opened, NOW, 30)
                                        for i, worker in enumerate(workers * 2)))
    finally:
        for engine in engines:
            await engine.dispose()
    leased = [delivery_id for round_ in rounds for delivery_id in round_.leased]
    assert sorted(leased) == sorted(set(opened))  # every one leased, none twice
    for round_ in rounds:  # the others are told it is busy, for the rest of its lease
        assert set(round_.busy_for) == set(opened) - set(round_.leased)


async def test_closing_a_round_delivers_only_what_did_not_change_on_the_wire(deliveries):
    same, changed = await _opened(deliveries, HOTELS[0]), await _opened(deliveries, HOTELS[1])
    [(waiting, _)] = await _change(deliveries, HOTELS[0], 0, 0, partner_ids=PARTNERS[1:])
    round_ = await deliveries.lease_round([same, changed, waiting], NOW, 30)
    await _change(deliveries, HOTELS[1], 2, 2)  # while the round is on the wire
    retry_at, closed_at = NOW + timedelta(seconds=2), NOW + timedelta(seconds=1)

    sent = {same: (round_.leased[same], 1), changed: (round_.leased[changed], 2)}
    assert await deliveries.finish_round(sent, {waiting: retry_at}, closed_at) == {same}

    done = await deliveries.get(same)
    assert (done.status, done.requests_sent, done.attempt_count, done.lease_until) == (DELIVERED, 1, 1, None)
    assert (done.delivered_at, done.updated_at, done.next_attempt_at, done.last_error) == (
        closed_at, closed_at, None, None)
    again = await deliveries.get(changed)
    assert (again.status, again.requests_sent, again.attempt_count, again.lease_until) == (PENDING, 2, 1, None)
    assert (again.version, again.window_end, again.delivered_at) == (2, NIGHT + timedelta(days=3), None)
    later = await deliveries.get(waiting)
    assert (later.status, later.lease_until, later.next_attempt_at) == (PENDING, None, retry_at)
    assert (later.attempt_count, later.requests_sent) == (0, 0)

    next_round = await deliveries.lease_round([changed], closed_at, 30)
    assert [n.night for n in next_round.ari[changed]] == [NIGHT + timedelta(days=n) for n in range(3)]


async def test_a_failure_counts_an_attempt_and_a_change_rearms_a_parked_delivery(deliveries):
    delivery_id = await _opened(deliveries, HOTELS[0])
    await deliveries.lease_round([delivery_id], NOW, 30)
    retry_at = NOW + timedelta(seconds=5)
    await deliveries.record_failure(delivery_id, RETRYING, "PartnerUnavailable: no answer", retry_at, NOW)
    row = await deliveries.get(delivery_id)
    assert (row.status, row.attempt_count, row.lease_until, row.next_attempt_at) == (RETRYING, 1, None, retry_at)
    assert (row.last_error, row.version) == ("PartnerUnavailable: no answer", 1)

    await deliveries.lease_round([delivery_id], NOW + timedelta(seconds=5), 30)
    await deliveries.record_failure(delivery_id, PARKED, "PartnerRejected: gone", None, NOW + timedelta(seconds=6))
    row = await deliveries.get(delivery_id)
    assert (row.status, row.attempt_count, row.next_attempt_at, row.lease_until) == (PARKED, 2, None, None)

    assert await _change(deliveries, HOTELS[0], 3, 3) == [(delivery_id, PARTNERS[0])]  # a fresh reason to try
    rearmed = await deliveries.get(delivery_id)
    assert (rearmed.status, rearmed.attempt_count, rearmed.next_attempt_at) == (PENDING, 0, None)
    assert (rearmed.version, rearmed.change_count, rearmed.last_error) == (3, 2, "PartnerRejected: gone")


async def test_sending_later_lets_the_lease_go_with_the_message_in_the_same_stroke(deliveries):
    limited, ours, busy = (await _opened(deliveries, HOTELS[0]), await _opened(deliveries, HOTELS[1]),
                           (await _change(deliveries, HOTELS[0], 0, 0, partner_ids=PARTNERS[1:]))[0][0])
    await deliveries.lease_round([limited, ours, busy], NOW, 30)
    bus = FakeBus()
    at = NOW + timedelta(seconds=1)

    await deliveries.send_later(bus, limited, PARTNERS[0], HOTELS[0], 20, at, leased=True,
                                error="PartnerRateLimited: slow down")
    row = await deliveries.get(limited)
    assert (row.status, row.attempt_count, row.lease_until) == (RETRYING, 0, None)  # a 429 is no attempt
    assert (row.next_attempt_at, row.last_error) == (at + timedelta(seconds=20), "PartnerRateLimited: slow down")

    await deliveries.send_later(bus, ours, PARTNERS[0], HOTELS[1], 4, at, leased=True)
    row = await deliveries.get(ours)
    assert (row.status, row.attempt_count, row.lease_until, row.next_attempt_at) == (
        PENDING, 0, None, at + timedelta(seconds=4))

    await deliveries.send_later(bus, busy, PARTNERS[1], HOTELS[0], 10, at, leased=False)
    assert (await deliveries.get(busy)).lease_until == NOW + timedelta(seconds=30)  # another's lease: untouched

    assert [(m.topic, m.payload["delivery_id"], m.delay_seconds) for m in bus.queued] == [
        (TOPIC, limited, 20), (TOPIC, ours, 4), (TOPIC, busy, 10)]
    assert bus.queued[0].key == f"partner:{PARTNERS[0]}:hotel:{HOTELS[0]}"


async def test_the_partner_and_the_delivery_as_they_are_or_not_found(deliveries):
    partner = await deliveries.partner(PARTNERS[0])
    assert (partner.id, partner.protocol, partner.requests_per_minute) == (PARTNERS[0], "json_rest", 60)
    assert await refused(deliveries.partner("nobody")) == "PARTNER_NOT_FOUND"
    assert await refused(deliveries.get("00000000-0000-0000-0000-000000000000")) == "DELIVERY_NOT_FOUND"
