"""The delivery worker (servers/partner/sender.py) on fakes: no database, no network. A round sends each
leased delivery once; a change on the wire sends it again; failures back off on the bus's tiers and
then park; a partner's 429 and our own rate wait or delay; one failing delivery fails alone; stop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from itertools import count

import pytest

from clients.partners import PartnerRateLimited, PartnerRejected, PartnerUnavailable
from servers.messaging.bus import Permanent
from servers.messaging.outbox import Message
from servers.partner.domain import DELIVERED, PARKED, PENDING, RETRYING
from servers.partner.outbound import TOPIC
from servers.partner.rate_limit import spaced
from servers.partner.sender import LEASE_SECONDS, WAIT_IN_PROCESS_SECONDS, DeliveryWorker
from servers.runtime.clock import ManualClock
from tests.fakes import FakeBus, FakeDeliveries, FakePartners, FakeRateLimiter, NightAriRecord

NOW = datetime(2030, 3, 1, 12, 0, tzinfo=timezone.utc)
NIGHT = date(2030, 3, 10)
HOTELS = ("hotel-a", "hotel-b", "hotel-c")
_ids = count(1)


@dataclass
class World:
    deliveries: FakeDeliveries
    partners: FakePartners
    limiter: FakeRateLimiter
    bus: FakeBus
    clock: ManualClock
    worker: DeliveryWorker

    async def change(self, hotel: str, first: int = 0, last: int = 1, partner: str = "acme") -> str:
        """A change of nights first..last of the hotel, merged into the partner's open delivery; its id."""
        await self.deliveries.merge_change([partner], hotel, NIGHT + timedelta(days=first),
                                           NIGHT + timedelta(days=last + 1), 1, self.clock.now())
        return self.deliveries.open_for(partner, hotel).id

    async def send(self, delivery_id: str, attempt: int = 1):
        """The bus hands the worker a message for the delivery: its outcome (None, or what it raised)."""
        row = self.deliveries.now_of(delivery_id)
        message = Message(next(_ids), TOPIC, "k", {"delivery_id": row.id, "partner_id": row.partner_id,
                                                  "hotel_id": row.hotel_id}, attempt=attempt)
        try:
            return await self.worker.handle(message)
        except Exception as error:  # noqa: BLE001 - the test looks at what the bus would see
            return error


@pytest.fixture
async def world():
    deliveries, partners, limiter, bus = FakeDeliveries(), FakePartners(), FakeRateLimiter(), FakeBus()
    clock = ManualClock(NOW)
    for partner_id in ("acme", "other"):
        deliveries.add_partner(partner_id)
        for i, hotel in enumerate(HOTELS):
            deliveries.list_nights(partner_id, hotel, [
                NightAriRecord(f"P{i}", "ROOM", "EUR", NIGHT + timedelta(days=n), price_minor=1000 + n)
                for n in range(5)])
    worker = DeliveryWorker(None, bus, limiter, partners, clock, deliveries=deliveries)
    yield World(deliveries, partners, limiter, bus, clock, worker)
    await worker.stop()


def _nights(update) -> list[date]:
    return [n.night for room in update.rooms for n in room.nights]


async def test_a_round_sends_each_leased_delivery_once(world):
    ids = [await world.change(hotel) for hotel in HOTELS]
    outcomes = await asyncio.gather(*(world.send(i) for i in [*ids, ids[0]]))

    assert outcomes == [None] * 4  # the second message of hotel-a: settled, its delivery carried already
    acme = world.partners.of("acme")
    assert sorted(u.property_code for u in acme.received) == ["P0", "P1", "P2"]
    assert _nights(acme.received[0]) == [NIGHT, NIGHT + timedelta(days=1)]
    for delivery_id in ids:
        row = world.deliveries.now_of(delivery_id)
        assert (row.status, row.attempt_count, row.requests_sent, row.lease_until) == (DELIVERED, 1, 1, None)
        assert (row.delivered_at, row.last_error, row.next_attempt_at) == (NOW, None, None)
    # Each update under the delivery's key and version: a partner applies a retry of it once.
    first = world.deliveries.now_of(ids[0])
    assert acme.keys()[0] == f"{first.idempotency_key}:{first.version}"
    assert world.bus.queued == []
    assert await world.send(ids[0]) is None and len(acme.received) == 3  # delivered: nothing more to send


async def test_a_change_while_the_delivery_is_on_the_wire_sends_it_again_with_what_it_is_now(world):
    delivery_id = await world.change(HOTELS[0], 0, 0)
    acme = world.partners.of("acme")
    acme.hold()
    sending = asyncio.create_task(world.send(delivery_id))
    await acme.on_the_wire.wait()
    assert world.deliveries.now_of(delivery_id).lease_until == NOW + timedelta(seconds=LEASE_SECONDS)
    await world.change(HOTELS[0], 2, 3)  # merges into the delivery out there: its version moves
    acme.let_go()

    assert await sending is None
    assert [_nights(u) for u in acme.received] == [
        [NIGHT], [NIGHT + timedelta(days=n) for n in range(4)]]
    first, second = acme.keys()
    assert first != second  # the second send is another update: a new version, a new key
    row = world.deliveries.now_of(delivery_id)
    assert (row.status, row.version, row.attempt_count, row.requests_sent) == (DELIVERED, 2, 2, 2)


async def test_a_failure_backs_off_on_the_bus_tiers_and_then_parks(world):
    delivery_id = await world.change(HOTELS[0])
    acme = world.partners.of("acme")
    acme.faults.go_down()
    tiers = world.bus.policy.tiers
    for attempt, tier in enumerate(tiers, start=1):
        outcome = await world.send(delivery_id, attempt)
        assert isinstance(outcome, PartnerUnavailable)  # raised: the bus retries the message after its tier
        row = world.deliveries.now_of(delivery_id)
        assert (row.status, row.attempt_count, row.lease_until) == (RETRYING, attempt, None)
        assert row.next_attempt_at == NOW + timedelta(seconds=tier)
        assert "unreachable" in row.last_error

    assert isinstance(await world.send(delivery_id, len(tiers) + 1), PartnerUnavailable)
    row = world.deliveries.now_of(delivery_id)
    assert (row.status, row.attempt_count, row.next_attempt_at) == (PARKED, len(tiers) + 1, None)
    assert await world.send(delivery_id) is None and len(acme.faults.calls) == len(tiers) + 1  # parked: not sent

    # A fresh change re-arms it with a fresh budget, and it goes once the partner is back.
    assert await world.deliveries.merge_change(["acme"], HOTELS[0], NIGHT, NIGHT + timedelta(days=1), 1, NOW) == [
        (delivery_id, "acme")]
    acme.faults.come_back()
    assert await world.send(delivery_id) is None
    assert world.deliveries.now_of(delivery_id).status == DELIVERED


async def test_a_refusal_for_good_parks_at_once(world):
    delivery_id = await world.change(HOTELS[0])
    world.partners.of("acme").faults.refuse("send_ari", PartnerRejected("UNKNOWN_PROPERTY", "no such hotel"))
    outcome = await world.send(delivery_id)
    assert isinstance(outcome, Permanent)  # the bus parks the message without retrying
    row = world.deliveries.now_of(delivery_id)
    assert (row.status, row.attempt_count, row.next_attempt_at) == (PARKED, 1, None)
    assert "UNKNOWN_PROPERTY" in row.last_error


async def test_a_partners_429_becomes_a_delayed_message_with_the_lease_let_go(world):
    delivery_id = await world.change(HOTELS[0])
    world.partners.of("acme").faults.refuse("send_ari", PartnerRateLimited("slow down", retry_after=20))
    assert await world.send(delivery_id) is None  # settled: the delayed message carries it on

    [message] = world.bus.queued
    assert (message.topic, message.delay_seconds, message.payload["delivery_id"]) == (TOPIC, 20, delivery_id)
    row = world.deliveries.now_of(delivery_id)
    assert (row.status, row.attempt_count, row.lease_until) == (RETRYING, 0, None)  # not an attempt
    assert row.next_attempt_at == NOW + timedelta(seconds=20) and "slow down" in row.last_error


async def test_our_own_rate_waits_a_short_while_in_process_and_delays_a_long_one(world):
    short, long = await world.change(HOTELS[0]), await world.change(HOTELS[1])
    world.limiter.plan_waits(f"partner-out:acme:{HOTELS[0]}", 0.05)
    world.limiter.plan_waits(f"partner-out:acme:{HOTELS[1]}", WAIT_IN_PROCESS_SECONDS + 7)

    assert await world.send(short) is None
    assert world.deliveries.now_of(short).status == DELIVERED
    asked = [a for a in world.limiter.asked if a.key.endswith(HOTELS[0])]
    assert [a.wait for a in asked] == [0.05, 0.0]  # asked again after the wait, then sent
    assert (asked[0].interval, asked[0].burst, asked[0].cost) == (*spaced(60, 1), 1)
    assert world.bus.queued == []

    assert await world.send(long) is None
    [message] = world.bus.queued
    assert (message.delay_seconds, message.payload["delivery_id"]) == (WAIT_IN_PROCESS_SECONDS + 7, long)
    row = world.deliveries.now_of(long)
    assert (row.status, row.attempt_count, row.lease_until, row.last_error) == (PENDING, 0, None, None)
    assert row.next_attempt_at == NOW + timedelta(seconds=WAIT_IN_PROCESS_SECONDS + 7)
    assert [u.property_code for u in world.partners.of("acme").received] == ["P0"]


async def test_a_delivery_another_worker_holds_is_looked_at_again_once_its_lease_runs_out(world):
    delivery_id = await world.change(HOTELS[0])
    world.deliveries.write(delivery_id, lease_until=NOW + timedelta(seconds=10))  # another worker's
    assert await world.send(delivery_id) is None
    [message] = world.bus.queued
    assert message.delay_seconds == pytest.approx(10.05)
    assert world.partners.of("acme").received == []

    world.clock.advance(timedelta(seconds=11))  # that worker died: its lease ran out
    assert await world.send(delivery_id) is None
    assert world.deliveries.now_of(delivery_id).status == DELIVERED


async def test_in_a_round_only_the_delivery_that_failed_fails(world):
    ids = [await world.change(hotel) for hotel in HOTELS]
    world.partners.of("acme").faults.refuse("send_ari", PartnerUnavailable("no answer"))
    outcomes = await asyncio.gather(*(world.send(i) for i in ids))

    assert [type(o).__name__ for o in outcomes] == ["PartnerUnavailable", "NoneType", "NoneType"]
    assert [world.deliveries.now_of(i).status for i in ids] == [RETRYING, DELIVERED, DELIVERED]
    assert world.deliveries.rounds == 1  # one lease, one send each, side by side


async def test_one_partners_failing_delivery_never_holds_up_another_partner(world):
    down, up = await world.change(HOTELS[0]), await world.change(HOTELS[0], partner="other")
    acme = world.partners.of("acme")
    acme.hold()  # acme's round hangs on the wire...
    stuck = asyncio.create_task(world.send(down))
    await acme.on_the_wire.wait()
    assert await world.send(up) is None  # ...and the other partner's goes on
    assert world.deliveries.now_of(up).status == DELIVERED
    acme.faults.time_out("send_ari")  # and at last its answer is lost: it alone fails
    acme.let_go()
    assert isinstance(await stuck, PartnerUnavailable)
    assert [world.deliveries.now_of(i).status for i in (down, up)] == [RETRYING, DELIVERED]


async def test_stop_cancels_what_is_in_hand_and_acks_nothing(world):
    on_the_wire, waiting = await world.change(HOTELS[0]), await world.change(HOTELS[0], partner="other")
    acme = world.partners.of("acme")
    acme.hold()
    sending = asyncio.create_task(world.send(on_the_wire))
    await acme.on_the_wire.wait()
    world.limiter.plan_waits(f"partner-out:other:{HOTELS[0]}", 2.0)  # handed on for later, in process
    later = asyncio.create_task(world.send(waiting))
    await world.limiter.waited.wait()
    await asyncio.sleep(0.01)  # its round closes and hands it on

    await world.worker.stop()

    for task in (sending, later):
        with pytest.raises(asyncio.CancelledError):
            await task  # not acked: the bus delivers the message again
    # The one on the wire keeps its lease until it runs out; neither was delivered.
    assert world.deliveries.now_of(on_the_wire).lease_until == NOW + timedelta(seconds=LEASE_SECONDS)
    assert [world.deliveries.now_of(i).status for i in (on_the_wire, waiting)] == [PENDING, PENDING]
    assert world.bus.queued == []
