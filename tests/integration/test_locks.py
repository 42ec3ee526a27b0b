"""The room-night and booking locks exclude each other for real (issue 14, item 12): with many
callers queueing on one key and newcomers arriving while a waiter is being woken, never two inside."""

from __future__ import annotations

import asyncio

import pytest

from servers.cache.locks import MemoryLocks, RedisLocks
from servers.runtime.errors import ApiError


@pytest.fixture(params=["memory", "redis"])
def locks(request):
    if request.param == "memory":
        return MemoryLocks()
    client = request.getfixturevalue("redis_client")
    return RedisLocks(client, client.test_prefix)


async def _contend(locks, keys_of, callers: int, rounds: int) -> tuple[int, int]:
    """Every caller takes its keys `rounds` times; returns (most callers seen inside at once, entries)."""
    inside: dict[str, int] = {}
    most = 0
    entries = 0

    async def caller(i: int) -> None:
        nonlocal most, entries
        for r in range(rounds):
            keys = keys_of(i, r)
            async with locks.holding(keys, ttl_seconds=30, wait_seconds=30):
                for key in keys:
                    inside[key] = inside.get(key, 0) + 1
                    most = max(most, inside[key])
                entries += 1
                await asyncio.sleep(0)  # let the others run while this one holds
                await asyncio.sleep(0)
                for key in keys:
                    inside[key] -= 1
            await asyncio.sleep(0)  # arrive again while the next waiter is being woken

    await asyncio.gather(*(caller(i) for i in range(callers)))
    return most, entries


async def test_one_key_is_held_by_one_caller_at_a_time(locks):
    most, entries = await _contend(locks, lambda i, r: ["booking:b1"], callers=12, rounds=15)
    assert entries == 12 * 15
    assert most == 1


async def test_overlapping_room_nights_taken_in_sorted_order_never_deadlock_nor_overlap(locks):
    nights = [f"h1:DBL:2027-01-{d:02d}" for d in range(1, 6)]

    def stay(i: int, r: int) -> list[str]:
        start = (i + r) % 4
        chosen = nights[start:start + 2]
        return chosen if i % 2 else list(reversed(chosen))  # callers name them in either order

    most, entries = await asyncio.wait_for(_contend(locks, stay, callers=10, rounds=10), 60)
    assert entries == 100
    assert most == 1


async def test_a_waiter_gives_up_with_lock_busy_and_the_key_stays_usable(locks):
    held = asyncio.Event()
    release = asyncio.Event()

    async def holder() -> None:
        async with locks.holding(["booking:b2"], ttl_seconds=30, wait_seconds=1):
            held.set()
            await release.wait()

    task = asyncio.create_task(holder())
    await held.wait()
    with pytest.raises(ApiError) as refused:
        async with locks.holding(["booking:b2"], ttl_seconds=30, wait_seconds=0.05):
            pass
    assert refused.value.reason == "LOCK_BUSY"
    release.set()
    await task
    async with locks.holding(["booking:b2"], ttl_seconds=30, wait_seconds=1):
        pass

