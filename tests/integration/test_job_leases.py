"""Leases of the periodic jobs and of the poller's hotels (servers/storage/leases.py), with real concurrency:
two holders race and one wins, a release lets the other in, a holder whose connection or process dies is
replaced within the bound (PostgreSQL), pollers split the hotels, and two systems on one database expire
each lapsed booking (and void its authorization) exactly once."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace

import pytest
import pytest_asyncio
from hotelagg.booking.v1 import booking_pb2 as bk
from sqlalchemy import text

from clients.channel_managers.base import ChannelManagerUnavailable
from servers import bootstrap
from servers.inventory.flows.changes import ChangeHub
from servers.inventory.flows.mirror import Mirror
from servers.inventory.flows.poller import ChannelPoller
from servers.runtime.config import Settings
from servers.storage.database import Database
from servers.storage.leases import KEEPALIVE_BOUND_SECONDS, AdvisoryLeases, Leases, LocalLeases, create_leases
from tests.e2e.booking_rig import VOID, booking_stack, create, direct_hotel, hold_ends

# A dead holder's lease is free again at once when its process or connection ends; this is the margin
# a loaded machine gets (the host-lost case is KEEPALIVE_BOUND_SECONDS, not tested here).
TAKEN_OVER_WITHIN = 3.0


@pytest.fixture
def database_url(postgres_url: str) -> str:
    """The systems of this module share one PostgreSQL database (SQLite is one process by construction)."""
    return postgres_url


@pytest_asyncio.fixture(params=["sqlite", "postgres"])
async def copies(request) -> AsyncIterator[tuple[Leases, Leases]]:
    """The leases two copies of a job see: two processes' on PostgreSQL, one process's on SQLite."""
    url = request.getfixturevalue(f"{request.param}_url")
    if request.param == "sqlite":
        shared = create_leases(url)
        assert isinstance(shared, LocalLeases)
        yield shared, shared
        await shared.close()
        return
    first, second = create_leases(url), create_leases(url)
    assert isinstance(first, AdvisoryLeases) and isinstance(second, AdvisoryLeases)
    yield first, second
    await first.close()
    await second.close()


def _name() -> str:
    return f"test-job-{uuid.uuid4().hex[:8]}"


async def _until_held(leases: Leases, name: str, timeout: float) -> float:
    """Tries for the lease until it is had; how long that took."""
    began = time.monotonic()
    while True:
        async with leases.hold(name) as held:
            if held:
                return time.monotonic() - began
        assert time.monotonic() - began < timeout, f"lease {name} not taken over within {timeout}s"
        await asyncio.sleep(0.05)


async def test_two_holders_race_and_one_wins_until_it_lets_go(copies):
    first, second = copies
    name = _name()
    inside, let_go = asyncio.Event(), asyncio.Event()
    winners: list[int] = []

    async def contend(which: int, leases: Leases) -> None:
        async with leases.hold(name) as held:
            if held:
                winners.append(which)
                inside.set()
                await let_go.wait()

    racing = [asyncio.create_task(contend(i, leases)) for i, leases in enumerate((first, second, first, second))]
    await asyncio.wait_for(inside.wait(), 5)
    await asyncio.sleep(0.1)  # every contender has asked by now
    assert len(winners) == 1
    async with second.hold(name) as held:
        assert not held  # still taken while the winner works
    let_go.set()
    await asyncio.gather(*racing)
    assert len(winners) == 1
    async with second.hold(name) as held:
        assert held  # released: the other copy gets it at its next try
    async with first.hold(name) as held:
        assert held


async def test_other_names_are_not_held_up(copies):
    first, second = copies
    async with first.hold("booking-expiry-" + _name()) as held, second.hold("reconciliation-" + _name()) as other:
        assert held and other


async def test_a_holder_whose_connection_is_terminated_is_replaced_at_once(postgres_url, caplog):
    holder, successor = AdvisoryLeases(postgres_url), AdvisoryLeases(postgres_url)
    admin = Database(postgres_url)
    name = _name()
    try:
        async with holder.hold(name) as held:
            assert held
            async with successor.hold(name) as taken:
                assert not taken
            async with admin.engine.connect() as conn:
                ended = (await conn.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND objsubid = 1 AND pid <> pg_backend_pid() AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())"))).scalars().all()
            assert ended == [True]
            assert await _until_held(successor, name, TAKEN_OVER_WITHIN) < TAKEN_OVER_WITHIN
        # The cut-off holder's block ended quietly: the lease it lost needs no unlock.
        assert "lease connection lost while held" in caplog.text
        async with holder.hold(name) as again:  # its pool hands it a live connection again
            assert again
    finally:
        await holder.close()
        await successor.close()
        await admin.dispose()


HOLD_AND_WAIT = """
import asyncio, sys
from servers.storage.leases import AdvisoryLeases

async def main():
    async with AdvisoryLeases(sys.argv[1]).hold(sys.argv[2]) as held:
        print("held" if held else "refused", flush=True)
        await asyncio.sleep(60)

asyncio.run(main())
"""


async def test_a_holder_killed_with_sigkill_loses_its_lease_within_the_bound(postgres_url):
    name = _name()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", HOLD_AND_WAIT, postgres_url, name,
                                                   stdout=asyncio.subprocess.PIPE, env=env)
    successor = AdvisoryLeases(postgres_url)
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        assert line.strip() == b"held"
        async with successor.hold(name) as taken:
            assert not taken
        os.kill(process.pid, signal.SIGKILL)
        took = await _until_held(successor, name, TAKEN_OVER_WITHIN)
        assert took < TAKEN_OVER_WITHIN <= KEEPALIVE_BOUND_SECONDS
    finally:
        if process.returncode is None:
            process.kill()
        await asyncio.wait_for(process.wait(), 10)
        await successor.close()


class SlowFeed:
    """A channel manager whose load takes a while and then fails: enough to see who polls what, when."""

    def __init__(self, busy: dict[str, int], polled: list[tuple[int, str]], which: int) -> None:
        self.busy, self.polled, self.which = busy, polled, which
        self.overlaps = 0

    async def availability(self, hotel_code: str, start, end):
        self.busy[hotel_code] = self.busy.get(hotel_code, 0) + 1
        if self.busy[hotel_code] > 1:
            self.overlaps += 1
        self.polled.append((self.which, hotel_code))
        try:
            await asyncio.sleep(0.1)
        finally:
            self.busy[hotel_code] -= 1
        raise ChannelManagerUnavailable("the test's feed")


async def test_two_pollers_split_the_hotels_and_never_poll_one_at_once(postgres_url):
    hotels = [SimpleNamespace(id=f"lease-hotel-{uuid.uuid4().hex[:6]}-{i}", channel_manager_id="cm",
                              channel_manager_hotel_code=f"H{i}") for i in range(6)]
    db = Database(postgres_url)
    busy: dict[str, int] = {}
    polled: list[tuple[int, str]] = []
    feeds = [SlowFeed(busy, polled, i) for i in range(2)]
    leases = [AdvisoryLeases(postgres_url) for _ in feeds]
    pollers = [ChannelPoller(db, Mirror(ChangeHub()), {"cm": feed}, 3600, lease)  # type: ignore[dict-item]
               for feed, lease in zip(feeds, leases, strict=True)]

    async def one_round(poller: ChannelPoller) -> None:
        for hotel in hotels:  # as poll_all goes over the hotels it reads
            await poller.poll_hotel(hotel)  # type: ignore[arg-type]

    try:
        await asyncio.wait_for(asyncio.gather(*(one_round(p) for p in pollers)), 10)
    finally:
        for lease in leases:
            await lease.close()
        await db.dispose()
    assert sum(feed.overlaps for feed in feeds) == 0
    # Every hotel polled; one may be polled again by the other poller once the first let it go (harmless:
    # the feed is followed from the hotel's cursor), never by both at once.
    assert {code for _, code in polled} == {h.channel_manager_hotel_code for h in hotels}
    assert {which for which, _ in polled} == {0, 1}  # both pollers did a share


async def test_two_systems_expire_each_lapsed_booking_and_void_it_exactly_once(db, stack, caplog):
    caplog.set_level(logging.DEBUG, logger="hotelagg.leases")
    lapsed = 6
    async with booking_stack(db, stack, booking_expiry_interval_seconds=0.1) as rig:
        await direct_hotel(rig, rooms=lapsed)
        booked = [(await rig.bookings.CreateBooking(create("direct-hotel", user=f"guest-{i}"), timeout=10)).booking
                  for i in range(lapsed)]
        values = rig.running.system.settings.model_dump()
        other = await bootstrap.start(Settings(**{**values, "port": 0, "webhook_port": 0}))
        try:
            assert other.system.foundation.leases is not rig.running.system.foundation.leases
            # Each void takes a while: a round outlasts the other system's ticks, which find the lease taken.
            await rig.side.stall(VOID, "after", ms=250)
            for booking in booked:
                await hold_ends(db, booking.booking_id)
            for booking in booked:
                await rig.until_status(booking.booking_id, bk.BOOKING_STATUS_EXPIRED, timeout=10)
            await asyncio.sleep(0.5)  # a few more rounds of both jobs: none voids again
        finally:
            await other.stop(grace=None)
        await rig.side.lift_stall(VOID)
        assert any(getattr(record, "job", None) == "booking-expiry" and "skipping this round" in record.getMessage()
                   for record in caplog.records), "the systems' expiry rounds never met at the lease"
        requests = (await rig.side.gateway_stats())["requests"]["by_route"]
        assert requests.get(VOID) == lapsed, requests
        assert await rig.side.payments() == {"voided": lapsed}
