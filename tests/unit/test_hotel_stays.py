"""The hotel kernel's rules for stays and nights, as holds, bookings, search and partner sales rely on them:
which stays are valid, which a night's restrictions refuse (and the first reason given), how many rooms
are left to sell, what a partner's reservation must carry."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from servers.hotel.limits import MAX_RESERVATION_ROOMS, MAX_STAY_NIGHTS
from servers.hotel.nights import Night, Restrictions, nights_between, sellable
from servers.hotel.reservations import LATE_CANCELLATION_DAYS, PartnerReservation, check_reservation
from servers.hotel.stays import arrival_refusal, check_restrictions, first_short_night, sold_out, validate_stay
from servers.runtime.errors import ApiError, Code, FieldViolation, Violations

TODAY = date(2026, 3, 10)
D = [TODAY + timedelta(days=i) for i in range(8)]


def problems(check) -> list[tuple[str, str]]:
    v = Violations()
    check(v)
    return [(item.field, item.description) for item in v.items]


@pytest.mark.parametrize("available, held, left", [(5, 0, 5), (5, 2, 3), (5, 5, 0), (2, 5, 0), (0, 0, 0)])
def test_sellable_is_available_not_under_a_hold_never_below_none(available, held, left):
    assert sellable(available, held) == left
    assert Night(D[0], total=10, available=available, held=held).sellable == left


def test_a_night_knows_what_is_sold():
    assert Night(D[0], total=10, available=7, held=2).sold == 3


def test_a_stay_is_its_nights_without_the_departure_day():
    assert nights_between(D[0], D[3]) == D[0:3]
    assert nights_between(D[2], D[2]) == []


@pytest.mark.parametrize("check_in, check_out", [
    (D[0], D[1]), (TODAY - timedelta(days=1), D[0]), (D[0], D[0] + timedelta(days=MAX_STAY_NIGHTS)),
])
def test_valid_stays(check_in, check_out):
    assert problems(lambda v: validate_stay(v, check_in, check_out, TODAY)) == []


@pytest.mark.parametrize("check_in, check_out, wrong", [
    (D[1], D[1], [("check_out", "must be after check_in")]),
    # Backwards dates say only that: whether the stay is in the past or too long would be noise.
    (TODAY - timedelta(days=5), TODAY - timedelta(days=9), [("check_out", "must be after check_in")]),
    (D[0], D[0] + timedelta(days=MAX_STAY_NIGHTS + 1), [("check_out", f"a stay is at most {MAX_STAY_NIGHTS} nights")]),
    (TODAY - timedelta(days=2), D[1], [("check_in", "must not be in the past")]),
])
def test_invalid_stays_name_the_field(check_in, check_out, wrong):
    assert problems(lambda v: validate_stay(v, check_in, check_out, TODAY)) == wrong


def test_a_date_that_could_not_be_read_was_refused_already():
    assert problems(lambda v: validate_stay(v, None, D[1], TODAY)) == []
    assert problems(lambda v: validate_stay(v, D[1], None, TODAY)) == []


def open_nights(*days: date, price: int = 100, **restrictions) -> dict[date, Night]:
    return {day: Night(day, total=5, available=5, price_minor=price, restrictions=Restrictions(**restrictions))
            for day in days}


def restricted(nights: dict[date, Night], check_in: date, check_out: date) -> tuple[str, str] | None:
    """(restriction, night) of the refusal, or None when the stay may be sold."""
    try:
        check_restrictions(nights, check_in, check_out)
    except ApiError as refusal:
        assert (refusal.code, refusal.reason) == (Code.FAILED_PRECONDITION, "RESTRICTED")
        return refusal.metadata["restriction"], refusal.metadata["night"]
    return None


def with_night(nights: dict[date, Night], day: date, **restrictions) -> dict[date, Night]:
    return {**nights, day: replace(nights[day], restrictions=Restrictions(**restrictions))}


def test_an_open_stay_may_be_sold_whether_or_not_its_departure_night_is_loaded():
    assert restricted(open_nights(*D[0:3]), D[0], D[3]) is None
    assert restricted(open_nights(*D[0:4]), D[0], D[3]) is None


def test_every_night_of_the_stay_must_be_loaded_priced_and_open():
    nights = open_nights(*D[0:4])
    assert restricted({d: n for d, n in nights.items() if d != D[1]}, D[0], D[3]) == ("not_for_sale", D[1].isoformat())
    assert restricted({**nights, D[2]: replace(nights[D[2]], price_minor=None)}, D[0], D[3]) == (
        "not_for_sale", D[2].isoformat())
    assert restricted(with_night(nights, D[2], stop_sell=True), D[0], D[3]) == ("stop_sell", D[2].isoformat())
    # The departure night is not sold: its stop-sell or missing rate does not matter.
    assert restricted(with_night(nights, D[3], stop_sell=True), D[0], D[3]) is None
    assert restricted({**nights, D[3]: replace(nights[D[3]], price_minor=None)}, D[0], D[3]) is None


def test_arrival_rules_are_the_arrival_nights():
    nights = open_nights(*D[0:5])
    assert restricted(with_night(nights, D[0], closed_to_arrival=True), D[0], D[3]) == (
        "closed_to_arrival", D[0].isoformat())
    assert restricted(with_night(nights, D[1], closed_to_arrival=True), D[0], D[3]) is None
    assert restricted(with_night(nights, D[0], min_stay=4), D[0], D[3]) == ("min_stay", D[0].isoformat())
    assert restricted(with_night(nights, D[0], min_stay=3), D[0], D[3]) is None
    assert restricted(with_night(nights, D[0], max_stay=2), D[0], D[3]) == ("max_stay", D[0].isoformat())
    assert restricted(with_night(nights, D[0], max_stay=3), D[0], D[3]) is None
    # A later night's stay limits bind arrivals on that night only.
    assert restricted(with_night(nights, D[1], min_stay=7, max_stay=1), D[0], D[3]) is None


@pytest.mark.parametrize("length, min_stay, max_stay, closed, broken", [
    (3, 0, 0, False, None),  # 0: no limit
    (3, 3, 3, False, None),
    (2, 3, 0, False, "min_stay"),
    (4, 0, 3, False, "max_stay"),
    (2, 3, 1, True, "closed_to_arrival"),  # closed first, whatever the length
])
def test_the_arrival_rules_search_and_holds_share(length, min_stay, max_stay, closed, broken):
    assert arrival_refusal(length, min_stay, max_stay, closed) == broken


def test_closed_to_departure_is_the_departure_nights():
    nights = open_nights(*D[0:4])
    assert restricted(with_night(nights, D[3], closed_to_departure=True), D[0], D[3]) == (
        "closed_to_departure", D[3].isoformat())
    assert restricted(with_night(nights, D[2], closed_to_departure=True), D[0], D[3]) is None


def test_the_first_broken_rule_is_the_one_given():
    nights = with_night(open_nights(*D[0:4]), D[0], closed_to_arrival=True, min_stay=9)
    nights = with_night(nights, D[3], closed_to_departure=True)
    assert restricted(with_night(nights, D[2], stop_sell=True), D[0], D[3]) == ("stop_sell", D[2].isoformat())
    assert restricted(nights, D[0], D[3]) == ("closed_to_arrival", D[0].isoformat())
    assert restricted(with_night(nights, D[0], min_stay=9), D[0], D[3]) == ("min_stay", D[0].isoformat())


def test_the_first_short_night_of_a_stay():
    nights = open_nights(*D[0:4])
    nights[D[1]] = replace(nights[D[1]], held=4)  # 1 left
    nights[D[2]] = replace(nights[D[2]], available=0)  # none left
    assert first_short_night(nights, D[0], D[3], 1) == nights[D[2]]
    assert first_short_night(nights, D[0], D[3], 2) == nights[D[1]]
    assert first_short_night(nights, D[0], D[2], 1) is None


def test_sold_out_says_what_is_left():
    error = sold_out(D[1], 1, 3)
    assert (error.code, error.reason, error.metadata) == (
        Code.FAILED_PRECONDITION, "SOLD_OUT", {"night": D[1].isoformat(), "rooms_left": "1"})
    assert error.message == f"{D[1].isoformat()} has 1 rooms left, 3 wanted"


RESERVATION = PartnerReservation("BK-1/2:a_b.c", 1, D[1], D[3], 2, 3, "Ada Lovelace", "EUR", 25000)


def reservation_problems(r: PartnerReservation, cancelled: bool = False, prefix: str = "") -> list[str]:
    return [field for field, _ in problems(lambda v: check_reservation(v, r, cancelled, TODAY, prefix))]


def test_a_good_reservation_passes():
    assert reservation_problems(RESERVATION) == []
    assert reservation_problems(replace(RESERVATION, rooms=MAX_RESERVATION_ROOMS, guests=4 * MAX_RESERVATION_ROOMS,
                                        guest_name="", amount_minor=0)) == []


@pytest.mark.parametrize("change, field", [
    (dict(partner_reservation_id=""), "partner_reservation_id"),
    (dict(partner_reservation_id="-starts-with-a-dash"), "partner_reservation_id"),
    (dict(partner_reservation_id="x" * 101), "partner_reservation_id"),
    (dict(revision=0), "revision"),
    (dict(check_out=D[1]), "check_out"),
    (dict(check_in=TODAY - timedelta(days=3)), "check_in"),
    (dict(rooms=0), "rooms"),
    (dict(rooms=MAX_RESERVATION_ROOMS + 1), "rooms"),
    (dict(guests=0), "guests"),
    (dict(guests=4 * MAX_RESERVATION_ROOMS + 1), "guests"),
    (dict(guest_name="x" * 201), "guest_name"),
    (dict(currency_code=None), "total_amount.currency_code"),
    (dict(currency_code="eur"), "total_amount.currency_code"),
    (dict(amount_minor=-1), "total_amount.amount_minor"),
])
def test_a_bad_reservation_names_the_field_under_the_callers_prefix(change, field):
    assert reservation_problems(replace(RESERVATION, **change)) == [field]
    assert reservation_problems(replace(RESERVATION, **change), prefix="reservation.") == ["reservation." + field]


def test_a_cancellation_may_come_after_the_stay_began_a_sale_may_not():
    # With the day of slack every stay has: a check-in 61 days back is still taken, 62 is not.
    began = TODAY - timedelta(days=LATE_CANCELLATION_DAYS + 1)
    stay = replace(RESERVATION, check_in=began, check_out=began + timedelta(days=3))
    assert reservation_problems(stay, cancelled=True) == []
    assert reservation_problems(stay) == ["check_in"]
    too_late = replace(stay, check_in=began - timedelta(days=1))
    assert reservation_problems(too_late, cancelled=True) == ["check_in"]


def test_dates_that_could_not_be_read_are_named_in_order_with_the_rest():
    unread = replace(RESERVATION, check_in=None, revision=0, rooms=0,
                     unread_dates=(FieldViolation("check_in", "required"),))
    assert problems(lambda v: check_reservation(v, unread, False, TODAY, "reservation.")) == [
        ("reservation.revision", "at least 1"), ("reservation.check_in", "required"), ("reservation.rooms", "1 to 50")]
