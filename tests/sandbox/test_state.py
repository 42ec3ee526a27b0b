"""The pure model, without HTTP: expiry on a fake clock, and properties under random operations."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.channel_manager.demo import demo_hotels, seed_demo
from sandbox.channel_manager.model import ACTIVE, CMError, HotelSpec, NightUpdate, ReserveRequest, RoomTypeSpec
from sandbox.channel_manager.state import State

START = dt.date(2030, 1, 1)
NIGHTS = 6


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


def _state(total: int = 3) -> tuple[State, Clock]:
    clock = Clock()
    state = State(clock)
    state.put_hotel(HotelSpec("H", "H", "EUR", START, NIGHTS, [RoomTypeSpec("STD", "Std", total, 100)]))
    return state, clock


def _request(first: int, stay: int, rooms: int = 1, hold: int = 60) -> ReserveRequest:
    check_in = START + dt.timedelta(days=first)
    return ReserveRequest("H", "STD", check_in, check_in + dt.timedelta(days=stay), rooms, hold_seconds=hold)


def test_an_unannounced_hotel_has_its_ari_but_a_feed_starting_with_its_next_change():
    state = State(Clock())
    spec = HotelSpec("Q", "Q", "EUR", START, NIGHTS, [RoomTypeSpec("STD", "Std", 3, 100)], announce=False)
    state.put_hotel(spec)
    assert state.changes("Q", 0, 10)["events"] == []
    assert len(state.ari("Q", START, START + dt.timedelta(days=NIGHTS))["room_types"][0]["nights"]) == NIGHTS
    state.reserve(ReserveRequest("Q", "STD", START, START + dt.timedelta(days=1), 1, channel="expedia"))
    [sale] = state.changes("Q", 0, 10)["events"]
    assert (sale["sequence"], sale["type"], sale["delta"]["available_change"]) == (1, "delta", -1)


def test_a_hold_lapses_on_its_expiry_and_not_before():
    state, clock = _state()
    res = state.reserve(_request(0, 2, rooms=2, hold=10))
    assert res.expires_at == float(int(clock.now) + 10)
    clock.now = res.expires_at - 0.001
    assert state.expire_due() == 0 and res.status == "held"
    clock.now = res.expires_at
    assert state.expire_due() == 1 and res.status == "expired"
    assert [n.available for n in state.hotels["H"].room_types["STD"].nights.values()][:2] == [3, 3]


def test_a_lapsed_hold_never_blocks_a_sale_even_before_the_sweep():
    state, clock = _state(total=1)
    state.reserve(_request(0, 1, hold=5))
    with pytest.raises(CMError) as refused:
        state.reserve(_request(0, 1))
    assert refused.value.code == "sold_out"
    clock.now += 6
    assert state.reserve(_request(0, 1)).status == "held"


def test_demo_hotels_are_rome_in_euros_for_a_year():
    state = State()
    seed_demo(state, START)
    assert sorted(state.hotels) == ["CM-ROM-1", "CM-ROM-2", "CM-ROM-3", "CM-ROM-4"]
    hotel = state.hotels["CM-ROM-1"]
    assert hotel.currency == "EUR" and hotel.city == "Rome"
    assert {c: rt.total for c, rt in hotel.room_types.items()} == {"STD": 12, "DLX": 6, "FAM": 3}
    prices = [n.price_minor for n in hotel.room_types["STD"].nights.values()]
    assert len(prices) == 365 and 9000 < min(prices) < max(prices) < 25000
    restricted = sum(n.restrictions != type(n.restrictions)() for h in state.hotels.values()
                     for rt in h.room_types.values() for n in rt.nights.values())
    assert 0 < restricted
    assert demo_hotels(START)[0].room_types[0].nights[0].price_minor == prices[0]  # deterministic


operations = st.lists(st.one_of(
    st.tuples(st.just("reserve"), st.integers(0, NIGHTS), st.integers(1, 3), st.integers(1, 3), st.integers(1, 20)),
    st.tuples(st.just("confirm"), st.integers(0, 30)),
    st.tuples(st.just("cancel"), st.integers(0, 30)),
    st.tuples(st.just("wait"), st.integers(1, 15)),
    st.tuples(st.just("admin"), st.integers(0, NIGHTS - 1), st.integers(0, 5), st.booleans()),
), max_size=40)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_random_operations_keep_every_invariant(ops):
    state, clock = _state()
    overridden: set[dt.date] = set()  # nights whose `available` an admin set by hand
    for op in ops:
        if op[0] == "admin":
            (overridden.add if op[3] else overridden.discard)(START + dt.timedelta(days=op[1]))
        _apply(state, clock, op)
        _check(state, overridden)


def _apply(state: State, clock: Clock, op: tuple) -> None:
    ids = list(state.reservations)
    try:
        match op:
            case ("reserve", first, stay, rooms, hold):
                state.reserve(_request(first, stay, rooms, hold))
            case ("confirm" | "cancel", i) if ids:
                getattr(state, op[0])(ids[i % len(ids)])
            case ("wait", seconds):
                clock.now += seconds
                state.expire_due()
            case ("admin", night, total, set_available):
                date = START + dt.timedelta(days=night)
                state.set_nights("H", "STD", [NightUpdate(date, total=total,
                                                          available=min(1, total) if set_available else None)])
    except CMError as refused:
        assert refused.code in ("sold_out", "restricted", "hold_expired", "cancelled")


def _check(state: State, overridden: set[dt.date]) -> None:
    hotel = state.hotels["H"]
    nights = hotel.room_types["STD"].nights
    taken: dict[dt.date, int] = defaultdict(int)
    for res in state.reservations.values():
        if res.status in ACTIVE:
            for day in res.request.nights:
                taken[day] += res.request.rooms
    replayed: dict[str, int] = {}
    for expected, event in enumerate(hotel.events, start=1):
        assert event["sequence"] == expected
        if event["type"] == "snapshot":
            replayed.update({n["date"]: n["available"] for n in event["snapshot"]["nights"]})
        else:
            replayed[event["delta"]["date"]] += event["delta"]["available_change"]
    for day, night in nights.items():
        assert 0 <= night.available <= night.total
        assert night.sold == taken[day]
        if day not in overridden:
            assert night.available == max(0, night.total - night.sold)
        assert replayed[day.isoformat()] == night.available  # snapshot + deltas == truth, always
