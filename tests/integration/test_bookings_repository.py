"""What every Bookings repository promises (servers/booking/bookings.py), asked of the SQL one on both
backends and of the unit tests' FakeBookings alike: the fake is only worth its tests while it keeps
the same rules as the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta, timezone

import pytest
import pytest_asyncio

from servers.booking import domain
from servers.booking.store import SqlBookings
from servers.runtime.errors import ApiError
from servers.storage.database import Database
from tests.conftest import _empty_tables
from tests.fakes.bookings import FakeBookings
from tests.integration.rows import add_room_type

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
HOTEL = "test-hotel"


@pytest_asyncio.fixture(params=["sqlite", "postgres", "fake"])
async def bookings(request) -> AsyncIterator:
    if request.param == "fake":
        yield FakeBookings()
        return
    db = Database(request.getfixturevalue(f"{request.param}_url"))
    await _empty_tables(db)
    await add_room_type(db, HOTEL)
    yield SqlBookings(db)
    await db.dispose()


def values(request_id: str = "req-1", **overrides) -> dict:
    row = dict(request_id=request_id, request_hash="h1", user_id="guest-1", hotel_id=HOTEL, room_type_code="STD",
               check_in=date(2026, 7, 1), check_out=date(2026, 7, 3), rooms=1, guests=1, lead_guest=None,
               currency_code="EUR", total_minor=0, channel=domain.OUR_CHANNEL, step_in_flight=domain.HOLD_STEP,
               payment_token="tok")
    row.update(overrides)
    return row


async def refused(call) -> str:
    with pytest.raises(ApiError) as caught:
        await call
    return caught.value.reason


async def test_a_request_id_is_claimed_once_and_a_failed_booking_gives_it_up(bookings):
    first, created = await bookings.claim(values(), NOW)
    assert created and (first.status, first.version, first.room_type_code) == (domain.PENDING, 1, "STD")
    again, created = await bookings.claim(values(), NOW + timedelta(seconds=1))
    assert not created and again.id == first.id

    await bookings.move(first, domain.FAILED, NOW, request_id=None)
    retried, created = await bookings.claim(values(), NOW)
    assert created and retried.id != first.id


async def test_a_write_is_guarded_by_the_version_read_and_a_move_by_the_state_machine(bookings):
    booking, _ = await bookings.claim(values(), NOW)
    changed = await bookings.change(booking, NOW + timedelta(seconds=5), hold_id=None, total_minor=500)
    assert (changed.version, changed.total_minor, changed.updated_at) == (2, 500, NOW + timedelta(seconds=5))
    assert changed.room_type_code == "STD"
    assert await refused(bookings.change(booking, NOW, total_minor=1)) == "CONCURRENT_UPDATE"
    assert await refused(bookings.move(changed, domain.CONFIRMED, NOW)) == "ILLEGAL_TRANSITION"
    assert (await bookings.read(booking.id)).total_minor == 500
    assert await refused(bookings.read("00000000-0000-0000-0000-000000000000")) == "BOOKING_NOT_FOUND"


async def test_a_back_off_hides_a_booking_from_the_jobs_until_its_wait_is_over_and_a_change_clears_it(bookings):
    booking, _ = await bookings.claim(values(), NOW)
    later = NOW + timedelta(minutes=5)
    assert [b.id for b in await bookings.stuck(domain.PENDING, later, later)] == [booking.id]

    await bookings.back_off(booking, later)
    backing_off = await bookings.read(booking.id)
    assert backing_off.failed_attempts == 1 and backing_off.retry_at == later + timedelta(seconds=10)
    assert backing_off.version == booking.version and backing_off.updated_at == booking.updated_at
    assert await bookings.stuck(domain.PENDING, later, later + timedelta(seconds=9)) == []
    assert len(await bookings.stuck(domain.PENDING, later, later + timedelta(seconds=10))) == 1

    await bookings.back_off(backing_off, later)
    assert (await bookings.read(booking.id)).retry_at == later + timedelta(seconds=20)  # doubled
    changed = await bookings.change(await bookings.read(booking.id), NOW + timedelta(seconds=1))
    assert changed.retry_at is None


async def test_the_jobs_lists_take_what_each_job_is_for(bookings):
    expired, _ = await bookings.claim(values("a"), NOW)
    expired = await bookings.move(expired, domain.HELD, NOW, expires_at=NOW + timedelta(minutes=1),
                                  step_in_flight=None)
    confirming, _ = await bookings.claim(values("b"), NOW)
    confirming = await bookings.move(confirming, domain.HELD, NOW, expires_at=NOW + timedelta(hours=1),
                                     step_in_flight=domain.CAPTURE_STEP)
    idle, _ = await bookings.claim(values("c"), NOW)
    await bookings.move(idle, domain.HELD, NOW, expires_at=NOW + timedelta(hours=1), step_in_flight=None)

    later = NOW + timedelta(minutes=2)
    assert [b.id for b in await bookings.expired_holds(later)] == [expired.id]
    assert [b.id for b in await bookings.confirms_under_way(later, later)] == [confirming.id]
    assert await bookings.stuck(domain.PENDING, later, later) == []


async def test_a_page_is_newest_first_and_goes_on_after_its_key(bookings):
    made = []
    for i in range(3):
        booking, _ = await bookings.claim(values(f"r{i}"), NOW + timedelta(minutes=i))
        made.append(booking)
    first = await bookings.page(user_id="guest-1", hotel_id="", statuses=[], after=None, limit=2)
    assert [b.id for b in first] == [made[2].id, made[1].id]
    rest = await bookings.page(user_id="guest-1", hotel_id="", statuses=[],
                               after=(first[-1].created_at, first[-1].id), limit=2)
    assert [b.id for b in rest] == [made[0].id]
    assert await bookings.page(user_id="", hotel_id=HOTEL, statuses=[domain.HELD], after=None, limit=5) == []
