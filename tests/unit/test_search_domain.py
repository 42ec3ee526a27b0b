"""Search's own rules (servers/search/domain.py), as a guest sees them: which room types a stay is offered
in, at what price and with how many rooms left, how fresh it says it is, in which order, and how far."""

import pytest

from servers.cache.base import CachedNight
from servers.search.domain import (
    CACHED,
    LIVE,
    STALE,
    HotelInfo,
    NightView,
    Option,
    RoomTypeInfo,
    after,
    distance_km,
    sellable_option,
)

DBL = RoomTypeInfo("DBL", "Double", 2)
HOTEL = HotelInfo("paris-grand", "Grand Paris", "Paris", 48.85, 2.35, "EUR", None, (DBL,))
NOW = 1_800_000_000.0


def night(available: int = 5, price: int | None = 100, updated: float = NOW - 60, source: str = CACHED,
          min_stay: int = 0, max_stay: int = 0, cta: bool = False, ctd: bool = False, stop: bool = False) -> NightView:
    return NightView(CachedNight(available, price, updated, 1, (min_stay, max_stay, cta, ctd, stop)), source)


def offer(nights, departure=None, rooms: int = 1) -> Option | None:
    return sellable_option(HOTEL, DBL, nights, departure, rooms, NOW, 1.5)


def test_an_open_stay_is_offered_at_the_sum_of_its_nights_for_every_room():
    option = offer([night(price=100), night(price=120), night(price=90)], rooms=2)
    assert option is not None
    assert (option.nightly_prices, option.total_minor, option.distance_km) == ((100, 120, 90), 2 * 310, 1.5)
    assert (option.hotel, option.room_type) == (HOTEL, DBL)


def test_rooms_left_is_the_fewest_of_any_night():
    assert offer([night(available=4), night(available=2), night(available=7)], rooms=2).rooms_left == 2


def test_a_night_not_loaded_unpriced_or_short_of_rooms_leaves_the_room_type_out():
    assert offer([night(), None]) is None
    assert offer([night(), night(price=None)]) is None
    assert offer([night(available=3), night(available=1)], rooms=2) is None
    assert offer([night(available=0)]) is None


def test_stop_sell_on_any_night_leaves_it_out():
    assert offer([night(), night(stop=True)]) is None


def test_arrival_restrictions_are_the_first_nights():
    assert offer([night(cta=True), night()]) is None
    assert offer([night(), night(cta=True)]) is not None
    assert offer([night(min_stay=3), night()]) is None
    assert offer([night(min_stay=2), night()]) is not None
    assert offer([night(max_stay=1), night()]) is None
    assert offer([night(max_stay=2), night()]) is not None
    assert offer([night(), night(min_stay=5, max_stay=1)]) is not None


def test_closed_to_departure_is_the_departure_nights_and_an_unknown_departure_is_fine():
    assert offer([night()], departure=night(ctd=True)) is None
    assert offer([night(ctd=True)], departure=night()) is not None
    # The departure night is not sold: unpriced, full or stop-sold it does not matter.
    assert offer([night()], departure=night(available=0, price=None, stop=True)) is not None
    assert offer([night()], departure=None) is not None


@pytest.mark.parametrize("sources, freshness", [
    ((CACHED, CACHED), CACHED),
    ((LIVE, LIVE), LIVE),
    ((CACHED, LIVE), LIVE),  # partly read now
    ((LIVE, STALE), STALE),  # any night only as last known makes the whole option stale
    ((CACHED, STALE), STALE),
])
def test_freshness_is_the_stalest_source(sources, freshness):
    assert offer([night(source=s) for s in sources]).freshness == freshness


def test_the_age_counts_from_the_oldest_night():
    assert offer([night(updated=NOW - 5), night(updated=NOW - 90), night(updated=NOW - 30)]).oldest_update == NOW - 90


def option(total: int, hotel_name: str, hotel_id: str, code: str) -> Option:
    hotel = HotelInfo(hotel_id, hotel_name, "Paris", 48.85, 2.35, "EUR", None, (DBL,))
    return Option(hotel, RoomTypeInfo(code, code, 2), (total,), total, 1, CACHED, NOW, 0.0)


def test_options_are_ordered_by_total_then_hotel_name_id_and_room_type():
    options = [option(200, "Alpha", "a-1", "DBL"), option(100, "Zeta", "z-1", "SGL"),
               option(200, "Alpha", "a-1", "ANY"), option(200, "Alpha", "a-0", "TWN"),
               option(150, "Beta", "b-1", "DBL")]
    ordered = sorted(options, key=Option.sort_key)
    assert [(o.total_minor, o.hotel.hotel_id, o.room_type.code) for o in ordered] == [
        (100, "z-1", "SGL"), (150, "b-1", "DBL"), (200, "a-0", "TWN"), (200, "a-1", "ANY"), (200, "a-1", "DBL")]
    assert tuple(type(part) for part in ordered[0].sort_key()) == Option.SORT_KEY_TYPES


def test_a_page_goes_on_after_the_last_option_shown():
    ordered = sorted([option(100, "A", "a", "DBL"), option(100, "A", "a", "SGL"), option(120, "A", "a", "DBL")],
                     key=Option.sort_key)
    last_shown = list(ordered[0].sort_key())
    assert [after(o, last_shown) for o in ordered] == [False, True, True]
    assert all(after(o, None) for o in ordered)  # the first page


def test_distance_is_the_great_circle_in_km():
    paris, london = (48.8566, 2.3522), (51.5074, -0.1278)
    assert distance_km(*paris, *london) == pytest.approx(343.5, abs=1)
    assert distance_km(*london, *paris) == pytest.approx(distance_km(*paris, *london))
    assert distance_km(*paris, *paris) == 0
    # Across the antimeridian two points 0.2 degrees apart on the equator are about 22 km apart.
    assert distance_km(0, 179.9, 0, -179.9) == pytest.approx(22.2, abs=0.1)
