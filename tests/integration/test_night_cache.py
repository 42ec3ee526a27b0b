"""The search cache's write rule on both backends: an older version never replaces a newer one, whether
nights come one object each (put_nights) or as a bulk load's plain rows (put_rows)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import pytest_asyncio

from servers.cache import MemoryNightCache
from servers.cache.base import NO_RESTRICTIONS, CachedNight, cache_json
from tests.services import REDIS_URL

DAY = date(2026, 6, 1)


@pytest.fixture(params=["memory", "redis"])
def redis_prefix(request) -> str | None:
    """None for the in-process cache; for Redis, a key prefix of this test's own (deleted afterwards)."""
    return None if request.param == "memory" else request.getfixturevalue("redis_client").test_prefix


@pytest_asyncio.fixture
async def cache(redis_prefix):
    if redis_prefix is None:
        yield MemoryNightCache()
        return
    from servers.cache.redis_cache import RedisNightCache

    redis_cache = RedisNightCache.from_url(REDIS_URL, redis_prefix)
    yield redis_cache
    await redis_cache.close()


def _row(day: int, available: int, version: int, price: int | None = 10_000, restrictions=NO_RESTRICTIONS):
    return (DAY + timedelta(days=day), available, price, 1_700_000_000.0, version, *restrictions)


async def _read(cache, days: range) -> list[CachedNight | None]:
    return await cache.get_nights([("h", DAY + timedelta(days=d), "STD") for d in days])


async def test_rows_are_read_back_as_cached_nights(cache):
    await cache.put_rows("h", "STD", [_row(0, 4, 1), _row(1, 0, 1, price=None, restrictions=(2, 7, True, False, True))])
    first, second, missing = await _read(cache, range(3))
    assert first == CachedNight(4, 10_000, 1_700_000_000, 1, NO_RESTRICTIONS)
    assert (second.available, second.price, second.version) == (0, None, 1)
    assert tuple(second.restrictions) == (2, 7, True, False, True)
    assert missing is None
    assert isinstance(first, CachedNight) and first.available == 4


async def test_an_older_row_never_replaces_a_newer_night(cache):
    await cache.put_rows("h", "STD", [_row(0, 4, 5), _row(1, 4, 5)])
    await cache.put_rows("h", "STD", [_row(0, 9, 4), _row(1, 9, 5), _row(2, 9, 4)])
    assert [(n.available, n.version) for n in await _read(cache, range(3))] == [(4, 5), (4, 5), (9, 4)]
    await cache.put_rows("h", "STD", [_row(0, 1, 6)])
    assert (await _read(cache, range(1)))[0].available == 1


async def test_rows_and_objects_follow_the_same_rule_together(cache):
    await cache.put_rows("h", "STD", [_row(0, 4, 3)])
    await cache.put_nights("h", "STD", [(DAY, CachedNight(8, 9_000, 1_700_000_001.0, 2))])
    assert (await _read(cache, range(1)))[0].available == 4
    await cache.put_nights("h", "STD", [(DAY, CachedNight(8, 9_000, 1_700_000_001.0, 4))])
    await cache.put_rows("h", "STD", [_row(0, 2, 3)])
    assert [(n.available, n.price, n.version) for n in await _read(cache, range(1))] == [(8, 9_000, 4)]


async def test_room_types_and_hotels_are_apart(cache):
    await cache.put_rows("h", "STD", [_row(0, 4, 1)])
    assert await cache.get_nights([("h", DAY, "DBL"), ("other", DAY, "STD")]) == [None, None]


async def test_an_expired_night_is_gone_and_any_version_may_follow(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("servers.cache.memory.time.monotonic", lambda: clock[0])
    cache = MemoryNightCache(ttl_seconds=10)
    await cache.put_rows("h", "STD", [_row(0, 4, 9)])
    clock[0] += 20
    assert await _read(cache, range(1)) == [None]
    await cache.put_rows("h", "STD", [_row(0, 2, 1)])  # nothing newer lives: version 9 expired
    clock[0] += 1
    assert [(n.available, n.version) for n in await _read(cache, range(1))] == [(2, 1)]


@pytest.mark.parametrize("value", [
    CachedNight(3, 12_345, 1_700_000_000.7, 2),
    CachedNight(0, None, 5.0, 1),
    CachedNight(1, 0, 5.0, 7, (0, 0, False, False, True)),
    CachedNight(2, 9, 5.0, 3, (2, 14, True, False, False)),
])
def test_the_json_is_what_json_dumps_wrote(value):
    expected = {"available": value.available, "price": value.price, "last_updated": int(value.last_updated),
                "version": value.version}
    if any(value.restrictions):
        expected["restrictions"] = list(value.restrictions)
    assert value.to_json() == cache_json(*value) == json.dumps(expected, separators=(",", ":"))
    assert CachedNight.from_json(value.to_json()) == value._replace(last_updated=int(value.last_updated))


async def test_a_night_twice_in_one_write_keeps_the_newer_even_on_a_first_load(cache):
    await cache.put_rows("h", "STD", [_row(0, 5, 3), _row(1, 1, 1), _row(0, 9, 2)])
    assert [(n.available, n.version) for n in await _read(cache, range(2))] == [(5, 3), (1, 1)]
