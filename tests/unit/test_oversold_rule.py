"""Rooms coming free on a night first absorb the rooms partners sold beyond capacity (ARCHITECTURE §5
rule 9): one rule, domain.free_rooms, for UpdateInventory adding rooms and for every give-back."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, insert, select, update

from servers.hotel.nights import Night
from servers.inventory.domain import FreedRooms, NightsPatch, apply_patch, free_rooms
from servers.inventory.store.holds import rooms_back
from servers.runtime.errors import ApiError
from servers.storage.tables import inventory

NIGHT = date(2026, 6, 1)
NOW = datetime(2026, 5, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("rooms, oversold, expected", [
    (0, 0, (0, 0)),
    (3, 0, (0, 3)),
    (0, 2, (0, 0)),
    (3, 2, (2, 1)),
    (2, 2, (2, 0)),
    (1, 2, (1, 0)),
])
def test_free_rooms_absorb_oversold_first(rooms, oversold, expected):
    assert free_rooms(rooms, oversold) == FreedRooms(*expected)


@given(st.integers(0, 1000), st.integers(0, 1000))
def test_free_rooms_splits_every_room_and_never_absorbs_more_than_oversold(rooms, oversold):
    freed = free_rooms(rooms, oversold)
    assert freed.absorbed + freed.available == rooms
    assert 0 <= freed.absorbed <= oversold
    assert freed.available >= 0
    assert freed.available == 0 or freed.absorbed == oversold  # nothing is for sale while one is oversold


def test_free_rooms_takes_the_callers_least():
    calls = []

    def least(a, b):
        calls.append((a, b))
        return min(a, b)

    assert free_rooms(5, 3, least=least) == FreedRooms(3, 2)
    assert calls == [(5, 3)]


# A night with 3 rooms, all sold, and 2 more sold by partners beyond them.
OVERSOLD = Night(night=NIGHT, total=3, available=0, held=0, version=7, oversold=2)


def test_added_rooms_absorb_oversold_first():
    night = apply_patch(OVERSOLD, NIGHT, NightsPatch(total_rooms=6), default_total=3)
    assert (night.total, night.available, night.oversold, night.sold, night.version) == (6, 1, 0, 5, 8)


def test_added_rooms_fewer_than_oversold_all_go_to_them():
    night = apply_patch(OVERSOLD, NIGHT, NightsPatch(total_rooms=4), default_total=3)
    assert (night.total, night.available, night.oversold, night.sold) == (4, 0, 1, 4)


def test_fewer_rooms_or_no_change_of_total_keeps_oversold():
    sold_some = Night(night=NIGHT, total=5, available=3, held=1, oversold=2)
    for patch in (NightsPatch(total_rooms=4), NightsPatch(total_rooms=5), NightsPatch(price_minor=100)):
        night = apply_patch(sold_some, NIGHT, patch, default_total=5)
        assert night.oversold == 2
        assert night.available == 3 - (5 - night.total)


def test_oversold_rooms_do_not_count_as_rooms_in_use():
    # 3 sold within capacity: total may go down to 3, oversold or not.
    night = apply_patch(Night(night=NIGHT, total=5, available=2, oversold=2), NIGHT, NightsPatch(total_rooms=3),
                        default_total=5)
    assert (night.total, night.available, night.oversold) == (3, 0, 2)


@st.composite
def nights(draw) -> Night:
    total = draw(st.integers(0, 50))
    available = draw(st.integers(0, total))
    held = draw(st.integers(0, available))
    # Partners oversell only a night with nothing left for sale.
    oversold = draw(st.integers(0, 10)) if available == held else 0
    return Night(night=NIGHT, total=total, available=available, held=held, oversold=oversold,
                 version=draw(st.integers(0, 10**6)))


@given(nights(), st.integers(0, 100))
def test_a_new_total_keeps_every_guest_sold_a_room(night, new_total):
    try:
        after = apply_patch(night, NIGHT, NightsPatch(total_rooms=new_total), default_total=1)
    except ApiError as error:
        assert error.reason == "ROOMS_IN_USE" and new_total < night.sold + night.held
        return
    assert 0 <= after.held <= after.available <= after.total == new_total
    assert after.sold + after.oversold == night.sold + night.oversold  # no guest loses a room
    assert after.oversold == max(night.oversold - max(new_total - night.total, 0), 0)
    assert after.oversold == 0 or after.sellable == 0  # nothing for sale while one is oversold
    assert (after.held, after.version) == (night.held, night.version + 1)


@pytest.fixture(scope="module")
def sqlite():
    """The inventory table alone, in memory (SQLite does not check its foreign keys here)."""
    engine = create_engine("sqlite://")
    inventory.create(engine)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("total, available, oversold, rooms", [
    (3, 0, 2, 2), (3, 0, 2, 3), (3, 0, 2, 1), (3, 0, 0, 2), (5, 4, 0, 3), (5, 1, 3, 10), (0, 0, 0, 0)])
def test_the_sql_give_back_applies_the_same_rule(sqlite, total, available, oversold, rooms):
    with sqlite.begin() as conn:
        conn.execute(inventory.delete())
        conn.execute(insert(inventory).values(room_type_id=1, hotel_id="h", night=NIGHT, total=total,
                                              available=available, oversold=oversold, updated_at=NOW))
        conn.execute(update(inventory).values(**rooms_back(rooms)))
        after = conn.execute(select(inventory.c.available, inventory.c.oversold)).one()
    freed = free_rooms(rooms, oversold)
    assert tuple(after) == (min(available + freed.available, total), oversold - freed.absorbed)
