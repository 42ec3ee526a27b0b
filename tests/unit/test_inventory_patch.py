from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servers.hotel.nights import Night, Restrictions, nights_between
from servers.inventory.domain import NightsPatch, apply_patch, range_etag
from servers.runtime.errors import ApiError, Code

NIGHT = date(2026, 6, 1)
BOOKED = Night(
    night=NIGHT, total=10, available=7, held=2, price_minor=15000,
    restrictions=Restrictions(min_stay=2, max_stay=7, closed_to_arrival=True, closed_to_departure=False,
                              stop_sell=False),
    version=4,
)


def rejected(current, patch) -> ApiError:
    with pytest.raises(ApiError) as caught:
        apply_patch(current, NIGHT, patch, default_total=10)
    assert caught.value.code is Code.FAILED_PRECONDITION
    return caught.value


def test_night_not_loaded_yet_starts_from_the_room_type_total():
    night = apply_patch(None, NIGHT, NightsPatch(price_minor=9900), default_total=12)
    assert night == Night(night=NIGHT, total=12, available=12, held=0, price_minor=9900,
                          restrictions=Restrictions(), version=1)


def test_new_night_may_take_its_total_from_the_patch():
    night = apply_patch(None, NIGHT, NightsPatch(total_rooms=3), default_total=12)
    assert (night.total, night.available, night.price_minor) == (3, 3, None)


def test_partial_patch_keeps_every_value_it_does_not_name():
    night = apply_patch(BOOKED, NIGHT, NightsPatch(stop_sell=True), default_total=99)
    assert night == replace(BOOKED, restrictions=replace(BOOKED.restrictions, stop_sell=True), version=5)


def test_false_in_a_patch_clears_a_flag_that_was_set():
    night = apply_patch(BOOKED, NIGHT, NightsPatch(closed_to_arrival=False), default_total=10)
    assert night.restrictions.closed_to_arrival is False


def test_price_patch_changes_only_the_price():
    night = apply_patch(BOOKED, NIGHT, NightsPatch(price_minor=0), default_total=10)
    assert night == replace(BOOKED, price_minor=0, version=5)


def test_every_patch_bumps_the_version_by_one():
    night = BOOKED
    for expected in (5, 6, 7):
        night = apply_patch(night, NIGHT, NightsPatch(price_minor=100), default_total=10)
        assert night.version == expected


def test_total_below_sold_plus_held_is_rooms_in_use():
    error = rejected(BOOKED, NightsPatch(total_rooms=4))
    assert error.reason == "ROOMS_IN_USE"
    assert error.metadata == {"night": "2026-06-01", "sold": "3", "held": "2"}


def test_total_exactly_sold_plus_held_leaves_only_the_held_rooms_available():
    night = apply_patch(BOOKED, NIGHT, NightsPatch(total_rooms=5), default_total=10)
    assert (night.total, night.available, night.held, night.sellable) == (5, 2, 2, 0)


@pytest.mark.parametrize("new_total, available", [(15, 12), (10, 7), (8, 5)])
def test_available_follows_the_change_of_total(new_total, available):
    night = apply_patch(BOOKED, NIGHT, NightsPatch(total_rooms=new_total), default_total=10)
    assert (night.total, night.available, night.sold, night.held) == (new_total, available, 3, 2)


def test_min_stay_above_max_stay_in_the_patch_is_a_restriction_conflict():
    error = rejected(None, NightsPatch(min_stay=5, max_stay=3))
    assert error.reason == "RESTRICTION_CONFLICT"
    assert error.metadata == {"night": "2026-06-01"}


def test_patch_conflicting_with_a_stored_restriction_is_a_restriction_conflict():
    assert rejected(BOOKED, NightsPatch(max_stay=1)).reason == "RESTRICTION_CONFLICT"
    assert rejected(BOOKED, NightsPatch(min_stay=8)).reason == "RESTRICTION_CONFLICT"


@pytest.mark.parametrize("min_stay, max_stay", [(5, 0), (3, 3), (0, 0), (1, 365)])
def test_max_stay_zero_means_no_limit_and_equal_limits_are_fine(min_stay, max_stay):
    night = apply_patch(None, NIGHT, NightsPatch(min_stay=min_stay, max_stay=max_stay), default_total=1)
    assert (night.restrictions.min_stay, night.restrictions.max_stay) == (min_stay, max_stay)


@st.composite
def nights(draw) -> Night:
    total = draw(st.integers(0, 50))
    available = draw(st.integers(0, total))
    held = draw(st.integers(0, available))
    return Night(night=NIGHT, total=total, available=available, held=held, version=draw(st.integers(0, 10**6)))


@given(nights(), st.integers(0, 100))
def test_new_total_either_keeps_counts_consistent_or_is_refused(night, new_total):
    try:
        after = apply_patch(night, NIGHT, NightsPatch(total_rooms=new_total), default_total=1)
    except ApiError as error:
        assert error.reason == "ROOMS_IN_USE"
        assert new_total < night.sold + night.held
        return
    assert 0 <= after.held <= after.available <= after.total == new_total
    assert (after.sold, after.held, after.version) == (night.sold, night.held, night.version + 1)


def test_nights_between_is_half_open():
    assert nights_between(NIGHT, NIGHT + timedelta(days=3)) == [NIGHT + timedelta(days=i) for i in range(3)]
    assert nights_between(NIGHT, NIGHT) == []


def test_range_etag_is_stable_for_the_same_versions():
    stay = [Night(night=NIGHT + timedelta(days=i), total=5, available=5, version=1) for i in range(4)]
    assert range_etag(7, stay) == range_etag(7, [replace(n) for n in stay])


def test_range_etag_changes_when_any_night_version_changes():
    stay = [Night(night=NIGHT + timedelta(days=i), total=5, available=5, version=1) for i in range(4)]
    etags = {range_etag(7, stay)}
    for i in range(len(stay)):
        changed = [replace(n, version=2) if j == i else n for j, n in enumerate(stay)]
        etags.add(range_etag(7, changed))
    assert len(etags) == 1 + len(stay)


def test_range_etag_depends_on_the_room_type_and_the_nights_covered():
    stay = [Night(night=NIGHT + timedelta(days=i), total=5, available=5, version=1) for i in range(3)]
    assert range_etag(7, stay) != range_etag(8, stay)
    assert range_etag(7, stay) != range_etag(7, stay[:2])
    assert range_etag(7, []) != range_etag(7, stay)
