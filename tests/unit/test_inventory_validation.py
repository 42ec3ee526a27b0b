from dataclasses import replace
from datetime import date, timedelta

import pytest

from servers.hotel.limits import MAX_DAYS_AHEAD
from servers.inventory.domain import (
    NewHotel,
    NewRoomType,
    NightsPatch,
    check_range,
    validate_hotel,
    validate_patch,
    validate_room_type,
)
from servers.runtime.errors import ApiError, Code, Violations

HOTEL = NewHotel(
    hotel_id="paris-grand", name="Grand Paris", city="Paris", country_code="FR", latitude=48.85,
    longitude=2.35, time_zone="Europe/Paris", currency_code="EUR",
)
MANAGED = replace(
    HOTEL, channel_manager_id="siteminder", channel_manager_url="https://cm.example/api",
    channel_manager_hotel_code="PAR-001",
)
ROOM_TYPE = NewRoomType(code="DBL", name="Double", max_occupancy=2, total_rooms=10)
TODAY = date(2026, 3, 10)


def fields_rejected(validate, value) -> list[str]:
    with pytest.raises(ApiError) as caught:
        validate(value)
    assert caught.value.code is Code.INVALID_ARGUMENT
    assert caught.value.reason == "INVALID_FIELD"
    return [v.field for v in caught.value.field_violations]


def range_violations(start, end, today=TODAY, **kwargs) -> list[str]:
    v = Violations()
    check_range(v, start, end, today, **kwargs)
    return [item.field for item in v.items]


def patch_violations(**fields) -> list[str]:
    v = Violations()
    validate_patch(v, NightsPatch(**fields))
    return [item.field for item in v.items]


@pytest.mark.parametrize("hotel", [
    HOTEL, MANAGED,
    replace(HOTEL, hotel_id="abc"), replace(HOTEL, hotel_id="a" * 63), replace(HOTEL, hotel_id="h-1-2"),
    replace(HOTEL, name="x" * 200), replace(HOTEL, city="y" * 100),
    replace(HOTEL, latitude=90.0, longitude=-180.0), replace(HOTEL, latitude=-90.0, longitude=180.0),
    replace(HOTEL, time_zone="UTC"), replace(HOTEL, overbooking_allowance=100),
])
def test_valid_hotel_passes(hotel):
    validate_hotel(hotel)


@pytest.mark.parametrize("overrides, field", [
    ({"hotel_id": ""}, "hotel_id"),
    ({"hotel_id": "ab"}, "hotel_id"),
    ({"hotel_id": "a" * 64}, "hotel_id"),
    ({"hotel_id": "-paris"}, "hotel_id"),
    ({"hotel_id": "paris-"}, "hotel_id"),
    ({"hotel_id": "Paris"}, "hotel_id"),
    ({"hotel_id": "paris_grand"}, "hotel_id"),
    ({"name": ""}, "hotel.name"),
    ({"name": "   "}, "hotel.name"),
    ({"name": "x" * 201}, "hotel.name"),
    ({"city": ""}, "hotel.city"),
    ({"city": "y" * 101}, "hotel.city"),
    ({"country_code": "fr"}, "hotel.country_code"),
    ({"country_code": "FRA"}, "hotel.country_code"),
    ({"country_code": ""}, "hotel.country_code"),
    ({"latitude": 90.0001}, "hotel.latitude"),
    ({"latitude": -91.0}, "hotel.latitude"),
    ({"latitude": float("nan")}, "hotel.latitude"),
    ({"longitude": 180.5}, "hotel.longitude"),
    ({"longitude": float("-inf")}, "hotel.longitude"),
    ({"time_zone": "Mars/Olympus_Mons"}, "hotel.time_zone"),
    ({"time_zone": "europe/paris"}, "hotel.time_zone"),
    ({"time_zone": ""}, "hotel.time_zone"),
    ({"currency_code": "eur"}, "hotel.currency_code"),
    ({"currency_code": "EURO"}, "hotel.currency_code"),
    ({"overbooking_allowance": -1}, "hotel.overbooking_allowance"),
    ({"overbooking_allowance": 101}, "hotel.overbooking_allowance"),
])
def test_hotel_field_out_of_rule_is_the_one_violation(overrides, field):
    assert fields_rejected(validate_hotel, replace(HOTEL, **overrides)) == [field]


@pytest.mark.parametrize("overrides, field", [
    ({"channel_manager_id": "CM"}, "hotel.channel_manager.channel_manager_id"),
    ({"channel_manager_id": ""}, "hotel.channel_manager.channel_manager_id"),
    ({"channel_manager_url": None}, "hotel.channel_manager.base_url"),
    ({"channel_manager_url": "ftp://cm.example"}, "hotel.channel_manager.base_url"),
    ({"channel_manager_url": "https://cm.example/" + "a" * 482}, "hotel.channel_manager.base_url"),
    ({"channel_manager_hotel_code": None}, "hotel.channel_manager.hotel_code"),
    ({"channel_manager_hotel_code": " "}, "hotel.channel_manager.hotel_code"),
    ({"channel_manager_hotel_code": "c" * 101}, "hotel.channel_manager.hotel_code"),
])
def test_channel_manager_link_is_checked_only_when_present(overrides, field):
    assert fields_rejected(validate_hotel, replace(MANAGED, **overrides)) == [field]
    validate_hotel(replace(HOTEL, **{k: v for k, v in overrides.items() if k != "channel_manager_id"}))


def test_every_bad_hotel_field_is_reported_in_one_error():
    bad = replace(HOTEL, hotel_id="X", name="", country_code="fr", latitude=100.0, currency_code="E")
    with pytest.raises(ApiError) as caught:
        validate_hotel(bad, prefix="h")
    fields = [v.field for v in caught.value.field_violations]
    assert fields == ["hotel_id", "h.name", "h.country_code", "h.latitude", "h.currency_code"]
    assert caught.value.metadata == {"field": "hotel_id"}


@pytest.mark.parametrize("room_type", [
    ROOM_TYPE, replace(ROOM_TYPE, code="A"), replace(ROOM_TYPE, code="K" * 32), replace(ROOM_TYPE, code="DBL_2"),
    replace(ROOM_TYPE, name="n" * 100), replace(ROOM_TYPE, max_occupancy=1), replace(ROOM_TYPE, max_occupancy=20),
    replace(ROOM_TYPE, total_rooms=0), replace(ROOM_TYPE, total_rooms=10_000),
])
def test_valid_room_type_passes(room_type):
    validate_room_type(room_type)


@pytest.mark.parametrize("overrides, field", [
    ({"code": ""}, "room_type.code"),
    ({"code": "dbl"}, "room_type.code"),
    ({"code": "DBL-1"}, "room_type.code"),
    ({"code": "K" * 33}, "room_type.code"),
    ({"name": ""}, "room_type.name"),
    ({"name": "n" * 101}, "room_type.name"),
    ({"max_occupancy": 0}, "room_type.max_occupancy"),
    ({"max_occupancy": 21}, "room_type.max_occupancy"),
    ({"total_rooms": -1}, "room_type.total_rooms"),
    ({"total_rooms": 10_001}, "room_type.total_rooms"),
])
def test_room_type_field_out_of_rule_is_the_one_violation(overrides, field):
    assert fields_rejected(validate_room_type, replace(ROOM_TYPE, **overrides)) == [field]


def test_room_type_violations_use_the_given_prefix():
    assert fields_rejected(lambda rt: validate_room_type(rt, prefix="rt"), replace(ROOM_TYPE, code="")) == ["rt.code"]


def test_range_of_366_nights_is_accepted_and_367_rejected():
    assert range_violations(TODAY, TODAY + timedelta(days=366)) == []
    assert range_violations(TODAY, TODAY + timedelta(days=367)) == ["end_date"]


@pytest.mark.parametrize("end", [TODAY, TODAY - timedelta(days=1), TODAY - timedelta(days=400)])
def test_range_ending_on_or_before_its_start_is_one_violation(end):
    assert range_violations(TODAY, end) == ["end_date"]


def test_range_may_end_three_years_ahead_but_not_a_day_later():
    last = TODAY + timedelta(days=MAX_DAYS_AHEAD)
    assert MAX_DAYS_AHEAD >= 3 * 365
    assert range_violations(last - timedelta(days=10), last) == []
    assert range_violations(last - timedelta(days=10), last + timedelta(days=1)) == ["end_date"]


def test_range_start_in_the_past_is_rejected_only_when_past_is_not_allowed():
    past = TODAY - timedelta(days=2)
    assert range_violations(past, TODAY) == []
    assert range_violations(past, TODAY, allow_past=False) == ["start_date"]


def test_range_starting_yesterday_is_allowed_for_hotels_behind_our_clock():
    assert range_violations(TODAY - timedelta(days=1), TODAY + timedelta(days=1), allow_past=False) == []


def test_range_without_a_date_adds_nothing_more():
    assert range_violations(None, TODAY) == []
    assert range_violations(TODAY, None) == []


def test_range_violations_name_the_given_fields():
    assert range_violations(TODAY, TODAY, start_field="check_in", end_field="check_out") == ["check_out"]
    assert range_violations(TODAY - timedelta(days=5), TODAY, start_field="check_in", end_field="check_out",
                            allow_past=False) == ["check_in"]


def test_empty_patch_is_rejected():
    assert patch_violations() == ["total_rooms"]


@pytest.mark.parametrize("fields", [
    {"total_rooms": 0}, {"total_rooms": 10_000}, {"price_minor": 0}, {"price_minor": 10**10},
    {"min_stay": 0, "max_stay": 365}, {"stop_sell": False}, {"closed_to_arrival": True},
    {"closed_to_departure": False},
])
def test_patch_within_limits_passes(fields):
    assert patch_violations(**fields) == []


@pytest.mark.parametrize("fields, field", [
    ({"total_rooms": -1}, "total_rooms"),
    ({"total_rooms": 10_001}, "total_rooms"),
    ({"price_minor": -1}, "price.amount_minor"),
    ({"price_minor": 10**10 + 1}, "price.amount_minor"),
    ({"min_stay": -1}, "min_stay"),
    ({"min_stay": 366}, "min_stay"),
    ({"max_stay": -1}, "max_stay"),
    ({"max_stay": 366}, "max_stay"),
])
def test_patch_value_out_of_limits_is_rejected(fields, field):
    assert patch_violations(**fields) == [field]
