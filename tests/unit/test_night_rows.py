"""Nights as rows on the bulk path: what a request's snapshot becomes, and what a merge hands the cache
and WatchInventory — the same values the per-night objects would give."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hotelagg.common.v1 import common_pb2
from hotelagg.inventory.v1 import inventory_pb2 as pb

from clients.channel_managers import Night as ChannelNight
from clients.channel_managers import Restrictions as ChannelRestrictions
from clients.channel_managers import Snapshot
from servers.cache.base import cache_row
from servers.hotel.nights import Night, Restrictions
from servers.inventory.api.channel_events import BadNights, check_nights, from_proto
from servers.inventory.flows.changes import cached_night
from servers.inventory.store.night_rows import MergedNights, channel_nights, channel_rows
from servers.runtime.errors import ApiError, Code, Violations

DAY = date(2026, 6, 1)
RECEIVED = datetime(2026, 5, 1, 9, 30, tzinfo=timezone.utc)  # when the updates came, if they do not say


def _pb_night(day: date, available: int = 3, price: int | None = 12_000, **restrictions) -> pb.NightSnapshot:
    night = pb.NightSnapshot(date=common_pb2.Date(year=day.year, month=day.month, day=day.day), total_rooms=5,
                             available_rooms=available,
                             restrictions=pb.Restrictions(**restrictions) if restrictions else None)
    if price is not None:
        night.price.CopyFrom(common_pb2.Money(currency_code="EUR", amount_minor=price))
    return night


def _update(*nights: pb.NightSnapshot) -> pb.ChannelUpdate:
    return pb.ChannelUpdate(event_id="e-1", sequence=4,
                            snapshot=pb.InventorySnapshot(room_type_code="STD", nights=nights))


def test_a_requests_snapshot_is_the_nights_it_names():
    v = Violations()
    event = from_proto(v, "", _update(_pb_night(DAY), _pb_night(DAY + timedelta(days=1), available=0, min_stay=2,
                                                                   stop_sell=True)), "updates[0]", now=RECEIVED)
    assert not v.items
    expected = (ChannelNight(DAY, 5, 3, 12_000),
                ChannelNight(DAY + timedelta(days=1), 5, 0, 12_000, ChannelRestrictions(min_stay=2, stop_sell=True)))
    assert event.change == Snapshot("STD", expected)
    assert tuple(event.change.nights) == expected and len(event.change.nights) == 2
    assert event.change.nights[1].restrictions.stop_sell


def _bad_date(month: int, day: int) -> pb.NightSnapshot:
    return pb.NightSnapshot(date=common_pb2.Date(year=2026, month=month, day=day), total_rooms=5, available_rooms=1,
                            price=common_pb2.Money(currency_code="EUR", amount_minor=1))


def test_nights_are_read_when_first_needed_and_bad_ones_stop_the_work():
    v = Violations()
    event = from_proto(v, "", _update(_pb_night(DAY), _bad_date(2, 30), _pb_night(DAY, available=9)), "updates[0]",
                       now=RECEIVED)
    assert not v.items  # only the envelope is read up front
    with pytest.raises(BadNights):
        list(event.change.nights)
    with pytest.raises(BadNights):
        channel_rows(event.change.nights)


def test_check_nights_names_every_bad_night_of_every_event():
    v = Violations()
    events = [from_proto(v, "", _update(_pb_night(DAY), _bad_date(2, 30), _pb_night(DAY, available=9),
                                        _pb_night(DAY, price=None), _pb_night(DAY, price=-1)), "updates[0]",
                         now=RECEIVED),
              from_proto(v, "", _update(_pb_night(DAY)), "updates[1]", now=RECEIVED),
              None,
              from_proto(v, "", _update(_bad_date(13, 1)), "updates[3]", now=RECEIVED)]
    list(events[1].change.nights)  # read already: not read again, nothing to say
    with pytest.raises(ApiError) as caught:
        check_nights(events)
    assert caught.value.code == Code.INVALID_ARGUMENT
    assert [f.field for f in caught.value.field_violations] == [
        "updates[0].snapshot.nights[1].date", "updates[0].snapshot.nights[2].available_rooms",
        "updates[0].snapshot.nights[3].price", "updates[0].snapshot.nights[4].price",
        "updates[3].snapshot.nights[0].date"]
    check_nights(events[1:3])  # good ones pass


def test_a_date_seen_before_does_not_let_an_invalid_one_through():
    v = Violations()
    forty = _update(*(_pb_night(DAY + timedelta(days=d)) for d in range(40)))
    list(from_proto(v, "", forty, "updates[0]", now=RECEIVED).change.nights)
    events = [from_proto(v, "", _update(_bad_date(month, day)), f"u{i}", now=RECEIVED)
              for i, (month, day) in enumerate(((13, 1), (0, 1), (2, 29), (6, 31), (6, 0)))]
    with pytest.raises(ApiError) as caught:
        check_nights(events)
    assert [f.field for f in caught.value.field_violations] == [f"u{i}.snapshot.nights[0].date" for i in range(5)]


def test_rows_of_objects_and_of_requests_are_alike():
    nights = (ChannelNight(DAY, 5, 3, 100, ChannelRestrictions(1, 2, True, False, True)),)
    rows = channel_rows(nights)
    assert rows == [(DAY, 5, 3, 100, 1, 2, True, False, True)]
    assert channel_rows(channel_nights(rows)) is rows
    assert channel_nights(rows) == nights


def _merged(rows, stamp=1_700_000_000.0) -> MergedNights:
    merged = MergedNights()
    merged.add(rows, stamp)
    return merged


def test_merged_nights_give_the_cache_what_cached_night_would():
    rows = [(7, DAY + timedelta(days=2), 5, 1, 3, None, 0, 0, False, False, False, 4),
            (7, DAY, 5, 4, 1, 9_000, 2, 0, True, False, False, 2),
            (7, DAY + timedelta(days=1), 5, 0, 0, 8_000, 0, 0, False, False, True, 1)]
    merged = _merged(rows)
    nights = list(merged)
    assert [n.night for n in nights] == [DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)]  # in night order
    assert nights[0] == Night(DAY, 5, 4, 1, 9_000, Restrictions(2, 0, True, False, False), 2)
    by_night = {row[0]: row for row in merged.cache_rows}
    for night in nights:
        assert by_night[night.night] == cache_row(night.night, cached_night(night, 1_700_000_000.0))
    assert by_night[DAY + timedelta(days=2)][1] == 0  # more held than available: nothing to sell, not -2


def test_merged_nights_of_several_chunks_add_up():
    merged = _merged([(7, DAY + timedelta(days=1), 5, 5, 0, 1, 0, 0, False, False, False, 1)])
    merged.add([(7, DAY, 5, 5, 0, 1, 0, 0, False, False, False, 1)], 1.0)
    assert [n.night for n in merged] == [DAY, DAY + timedelta(days=1)]
    assert len(merged) == len(merged.cache_rows) == 2


def test_an_update_that_does_not_say_when_it_occurred_occurred_when_it_came():
    event = from_proto(Violations(), "", _update(_pb_night(DAY)), "updates[0]", now=RECEIVED)
    assert event.occurred_at == RECEIVED
