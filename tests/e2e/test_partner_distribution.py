"""A direct hotel listed on two sandbox partners, one per protocol (issue 6's "done when"), on the embedded
default (SQLite, outbox queue) and production-like (PostgreSQL + Redis + RabbitMQ)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections import Counter

import pytest
from hotelagg.partner.v1 import partner_pb2 as pp

from tests.e2e.booking_rig import until
from tests.e2e.partner_rig import OPERATOR, partner_rig, rooms
from tests.services import missing


async def test_full_listing_push_reaches_both_partners(db, stack):
    async with partner_rig(db, stack) as rig:
        await rig.converged()
        for sandbox in rig.sandboxes.values():
            assert len(await sandbox.nights()) == 20


async def test_a_room_sold_by_one_partner_reaches_the_other(db, stack):
    async with partner_rig(db, stack) as rig:
        await rig.converged()
        sold = await rig.sandboxes["sbx-json"].sell(start=2, nights=3, rooms=2)
        assert sold["notified"] and sold["booking_id"], sold
        await rig.converged()
        ours = await rig.ours()
        assert rooms(ours)[2:5] == [4, 4, 4]
        assert (await rig.sandboxes["sbx-ota"].nights()) == ours

        resold = await rig.sandboxes["sbx-ota"].sell(start=3, nights=1, rooms=1)  # OTA_HotelResNotifRQ in
        assert resold["notified"] and not resold["over_capacity"], resold
        await rig.set_rooms(10, 2, rooms=3)  # and a change made here
        await rig.converged()
        assert rooms(await rig.ours())[2:5] == [4, 3, 4]


async def test_partner_down_for_a_while_converges_after_it_returns(db, stack):
    async with partner_rig(db, stack) as rig:
        await rig.converged()
        ota = rig.sandboxes["sbx-ota"]
        await ota.admin("POST", "/admin/faults", {"outage": True})
        for offset in range(5):
            await rig.set_rooms(offset, 1, rooms=offset)

        async def retried_while_down() -> bool:  # several attempts fail meanwhile
            return any(r.attempt_count >= 2 for r in await rig.delivery_rows() if r.partner_id == "sbx-ota")

        await until(retried_while_down, 30, "the OTA partner's deliveries retried while it was down")
        await ota.admin("POST", "/admin/faults", {"outage": False})
        await rig.converged(timeout=30)
        rows = await rig.delivery_rows()
        assert not [r for r in rows if r.status == "parked"]
        assert max(r.attempt_count for r in rows if r.partner_id == "sbx-ota") >= 2
        parked = await rig.partners.ListDeliveries(pp.ListDeliveriesRequest(
            statuses=[pp.DELIVERY_STATUS_PARKED]), metadata=OPERATOR)
        assert list(parked.deliveries) == []


async def test_a_burst_of_changes_becomes_few_requests_never_over_the_rate(db, stack):
    async with partner_rig(db, stack, rpm=60) as rig:
        await rig.converged()
        before = {pid: (await s.admin("GET", "/admin/stats"))["requests"] for pid, s in rig.sandboxes.items()}
        changes = asyncio.Semaphore(16)

        async def change(i: int) -> None:
            async with changes:
                await rig.set_rooms(i % 20, 1, price=10000 + i)

        await asyncio.gather(*(change(i) for i in range(1000)))
        await rig.converged(timeout=30)
        for partner_id, sandbox in rig.sandboxes.items():
            stats = await sandbox.admin("GET", "/admin/stats")
            sent = stats["requests"] - before[partner_id]
            assert stats["rate_limited"] == 0, stats
            assert 0 < sent <= 100, (partner_id, sent)
            print(f"\n{partner_id}: 1000 changes → {sent} requests")
        assert len({price for _, price in (await rig.ours()).values()}) > 1  # the burst's prices, compared

async def _broker(command: str) -> None:
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        missing("RabbitMQ control (rabbitmqctl)", "not on PATH")
    done = await asyncio.to_thread(subprocess.run, [ctl, "-q", command], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    if command == "start_app":
        await asyncio.to_thread(subprocess.run, [ctl, "-q", "await_startup"], capture_output=True, timeout=120)


@pytest.mark.restarts_rabbitmq
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_rabbitmq_restarted_mid_burst_loses_nothing_and_applies_nothing_twice(db, stack):
    async with partner_rig(db, stack, rpm=120) as rig:
        await rig.converged()

        async def burst() -> None:
            for i in range(300):
                await rig.set_rooms(i % 20, 1, rooms=i % 7, price=20000 + i)
                await asyncio.sleep(0.01)

        changes = asyncio.create_task(burst())
        await asyncio.sleep(1.0)
        await _broker("stop_app")
        try:
            await asyncio.sleep(1.0)
        finally:
            await _broker("start_app")
        await changes
        await rig.converged(timeout=60)
        for sandbox in rig.sandboxes.values():
            log = (await sandbox.admin("GET", "/admin/requests?limit=1000"))["requests"]
            applied = Counter((r["message"], r["key"]) for r in log if r["outcome"] == "applied")
            assert applied and max(applied.values()) == 1, applied.most_common(3)
            assert (await sandbox.admin("GET", "/admin/stats"))["rate_limited"] == 0
        assert {r.status for r in await rig.delivery_rows()} == {"delivered"}
