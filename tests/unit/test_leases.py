"""A job wrapped in its lease (servers/storage/leases.py `leased`): run by the copy holding the lease, skipped
(None, the job not called) by one that finds it taken; one process's leases (SQLite) never wait."""

from __future__ import annotations

import asyncio

import pytest

from servers.storage.leases import LocalLeases, leased


async def test_a_round_runs_only_while_its_copy_holds_the_lease():
    leases = LocalLeases()
    calls: list[str] = []
    inside, let_go = asyncio.Event(), asyncio.Event()

    async def slow_round() -> str:
        calls.append("slow")
        inside.set()
        await let_go.wait()
        return "done"

    async def quick_round() -> str:
        calls.append("quick")
        return "done"

    running = asyncio.create_task(leased(leases, "booking-expiry", slow_round)())
    await inside.wait()
    assert await leased(leases, "booking-expiry", quick_round)() is None  # skipped, never waited
    assert await leased(leases, "reconciliation", quick_round)() == "done"  # another job's lease is its own
    let_go.set()
    assert await running == "done"
    assert await leased(leases, "booking-expiry", quick_round)() == "done"  # released: the next tick runs
    assert calls == ["slow", "quick", "quick"]


async def test_a_failed_round_lets_the_lease_go():
    leases = LocalLeases()

    async def failing() -> None:
        raise RuntimeError("the round failed")

    with pytest.raises(RuntimeError):  # `every` logs it and goes on at the next tick
        await leased(leases, "hold-sweeper", failing)()
    async with leases.hold("hold-sweeper") as held:
        assert held
