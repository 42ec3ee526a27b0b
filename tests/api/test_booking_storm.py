"""The last rooms under a storm: 200 concurrent CreateBooking + ConfirmBooking for 5 rooms, on a direct
hotel and on a channel-managed one whose other channels (the sandbox's competitors) sell the same rooms.

Never more rooms sold than exist — at the sandbox (every channel), in our mirror, in our bookings — and
every loser hears FAILED_PRECONDITION SOLD_OUT. Each storm runs embedded (SQLite, in-process locks and
queue) and production-like (PostgreSQL, Redis locks and cache, RabbitMQ); see tests/e2e/booking_rig.py.
The production-like runs check every invariant first, then the losers' answers, which are a known bug.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import grpc
import pytest
from hotelagg.booking.v1 import booking_pb2 as bk

from servers.storage.tables import bookings
from tests.api.helpers import days_ahead, failure
from tests.e2e.booking_rig import (
    HOTEL_CODE,
    booking_stack,
    channel_hotel,
    confirm,
    create,
    direct_hotel,
    our_bookings,
)

STORM = 200
ROOMS = 5
TIMEOUT = 60  # per call: the storm's answers must come from the service, never from a deadline
SOLD_OUT = ("create", "FAILED_PRECONDITION", "SOLD_OUT")

EMBEDDED = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PRODUCTION = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


class LoserNotSoldOut(AssertionError):
    """A storm's loser heard something else than SOLD_OUT (the invariants held)."""


async def _storm(rig, hotel_id: str) -> tuple[list[bk.Booking], Counter, float]:
    """Every guest creates then confirms; the confirmed bookings, failures by (step, code, reason), seconds."""

    async def guest(i: int):
        try:
            held = (await rig.bookings.CreateBooking(create(hotel_id, user=f"storm-{i}"), timeout=TIMEOUT)).booking
        except grpc.aio.AioRpcError as error:
            return "create", error
        try:
            return "ok", (await rig.bookings.ConfirmBooking(confirm(held.booking_id), timeout=TIMEOUT)).booking
        except grpc.aio.AioRpcError as error:
            return "confirm", error

    began = time.monotonic()
    results = await asyncio.gather(*(guest(i) for i in range(STORM)))
    took = time.monotonic() - began
    won = [r for step, r in results if step == "ok"]
    lost = Counter((step, r.code().name, failure(r).reason) for step, r in results if step != "ok")
    return won, lost, took


async def _watching(rig, hotel_id: str, nights: int, storm) -> tuple[tuple, list]:
    """Runs the storm while reading GetAvailability over and over: its outcome, and every night seen."""
    seen: list[tuple[int, int, int]] = []
    stop = asyncio.Event()

    async def watch() -> None:
        while not stop.is_set():
            seen.extend(await rig.nights(hotel_id, 1, nights))
            await asyncio.sleep(0.02)

    watcher = asyncio.create_task(watch())
    try:
        return await storm, seen
    finally:
        stop.set()
        await watcher


def _check_losers(won: list, lost: Counter) -> None:
    assert sum(lost.values()) == STORM - len(won)
    if set(lost) != {SOLD_OUT}:
        raise LoserNotSoldOut(f"losers answered {dict(lost)}")


async def _direct_storm(db, stack) -> None:
    async with booking_stack(db, stack) as rig:
        await direct_hotel(rig, rooms=ROOMS)
        (won, lost, took), seen = await _watching(rig, "direct-hotel", 3, _storm(rig, "direct-hotel"))
        print(f"\ndirect storm ({'production' if stack else 'embedded'}): {len(won)} confirmed, "
              f"losers {dict(lost)}, {took:.2f}s")
        assert len(won) == ROOMS and all(b.status == bk.BOOKING_STATUS_CONFIRMED for b in won)
        assert min(min(n) for n in seen) >= 0, "GetAvailability went negative"
        assert (await rig.nights("direct-hotel", 2, 1)) == [(0, 0, 0)]
        assert await rig.live_holds() == 0
        assert await rig.count(bookings, bookings.c.status.in_(("pending", "held"))) == 0
        assert await rig.side.payments() == {"captured": ROOMS}
        _check_losers(won, lost)


async def _channel_storm(db, stack) -> None:
    nights = 10  # competitors book 1-3 nights among these; ours all want the second
    async with booking_stack(db, stack, breaker_fail_max=50) as rig:
        side = rig.side
        await channel_hotel(rig, rooms=ROOMS, nights=nights)
        await side.competitors(8.0, cancel_ratio=0.3)  # they sell (and cancel some) all along
        try:
            (won, lost, took), seen = await _watching(rig, "cm-book-hotel", nights, _storm(rig, "cm-book-hotel"))
        finally:
            await side.competitors(0.0)
        await asyncio.sleep(0.1)  # a competitor tick in flight when the rate dropped
        await rig.settled()

        state, storm_night = side.cm_state, days_ahead(2)
        room_type = state.hotels[HOTEL_CODE].room_types["STD"]
        live = [r for r in state.reservations.values() if r.status in ("held", "confirmed")]
        theirs = [r for r in live if r.request.channel != "hotelagg" and storm_night in r.request.nights]
        print(f"\nchannel storm ({'production' if stack else 'embedded'}): on the night ours {len(won)}, "
              f"theirs {len(theirs)} of {ROOMS}; losers {dict(lost)}, {took:.2f}s; "
              f"sandbox reservations {(await side.cm_admin('/admin/stats'))['reservations']}")
        assert len(won) <= ROOMS and all(b.status == bk.BOOKING_STATUS_CONFIRMED for b in won)
        # The sandbox: on every night, the rooms all channels hold or sold never exceed the total.
        for day, n in room_type.nights.items():
            taken = sum(r.request.rooms for r in live if day in r.request.nights)
            assert taken <= n.total and n.available == n.total - taken >= 0, (day, taken, n)
        ours_there = [r for r in state.reservations.values() if r.request.channel == "hotelagg"]
        assert not [r for r in ours_there if r.status == "held"], "a loser's reservation is still held"
        assert sorted(b.channel_manager_reservation_id for b in won) == \
            sorted(r.reservation_id for r in ours_there if r.status == "confirmed")
        # Our mirror: never negative while it ran; once settled, the sandbox's numbers, nothing held.
        assert min(min(n) for n in seen) >= 0, "GetAvailability went negative"
        truth = [room_type.nights[days_ahead(1 + i)].available for i in range(nights)]
        assert await rig.nights("cm-book-hotel", 1, nights) == [(a, 0, a) for a in truth]
        on_night = [b for b in await our_bookings(db, "confirmed") if b.check_in <= storm_night < b.check_out]
        assert len(on_night) == len(won) and len(won) + len(theirs) <= ROOMS
        assert await rig.live_holds() == 0 and await rig.held_rooms() == 0
        assert await rig.count(bookings, bookings.c.status.in_(("pending", "held"))) == 0
        payments = await side.payments()
        assert payments.get("captured", 0) == len(won) and payments.get("authorized", 0) == 0
        _check_losers(won, lost)


@EMBEDDED
async def test_direct_hotel_storm_embedded(db, stack):
    await _direct_storm(db, stack)


@PRODUCTION
async def test_direct_hotel_storm_production(db, stack):
    await _direct_storm(db, stack)


@EMBEDDED
async def test_channel_hotel_storm_with_competitors_embedded(db, stack):
    await _channel_storm(db, stack)


@PRODUCTION
async def test_channel_hotel_storm_with_competitors_production(db, stack):
    await _channel_storm(db, stack)
