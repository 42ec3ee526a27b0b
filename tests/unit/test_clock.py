from datetime import datetime, timedelta, timezone

import pytest

from servers.runtime.clock import SYSTEM_CLOCK, ManualClock


def test_system_clock_tells_aware_utc_time():
    now = SYSTEM_CLOCK.now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert abs((datetime.now(timezone.utc) - now).total_seconds()) < 5


def test_manual_clock_moves_only_when_told():
    clock = ManualClock(datetime(2031, 5, 1, tzinfo=timezone.utc))
    assert clock.now() == clock.now() == datetime(2031, 5, 1, tzinfo=timezone.utc)
    assert clock.advance(timedelta(minutes=15)) == datetime(2031, 5, 1, 0, 15, tzinfo=timezone.utc)
    assert clock.now() == datetime(2031, 5, 1, 0, 15, tzinfo=timezone.utc)


def test_manual_clock_refuses_naive_times():
    with pytest.raises(ValueError):
        ManualClock(datetime(2031, 5, 1))
