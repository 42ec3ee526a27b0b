"""ApplyChannelUpdates and the webhook receiver: dedupe, sequence order, gaps, signatures."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import aiohttp
import grpc
import pytest_asyncio
from hotelagg.inventory.v1 import inventory_pb2 as inv

from clients.channel_managers import sign
from servers import bootstrap
from servers.runtime.config import Settings
from tests.api.helpers import days_ahead, fails, inventory_stub, pb_date, request_id

HOTEL, CODE, SECRET = "cm-hotel", "CM-1", "webhook-secret-for-tests"


@pytest_asyncio.fixture
async def cm_server(db):
    settings = Settings(
        database_url=db.url, port=0, webhook_port=0, poll_interval_seconds=3600,
        channel_managers={"sandbox": {"base_url": "http://127.0.0.1:9", "api_key": "k", "webhook_secret": SECRET}},
    )
    running = await bootstrap.start(settings)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        stub = inventory_stub(channel)
        await stub.CreateHotel(inv.CreateHotelRequest(request_id=request_id(), hotel_id=HOTEL, hotel=inv.Hotel(
            name="Mirrored", city="Rome", country_code="IT", latitude=41.9, longitude=12.5, time_zone="Europe/Rome",
            currency_code="EUR", channel_manager={"channel_manager_id": "sandbox", "base_url": "http://127.0.0.1:9",
                                                  "hotel_code": CODE})))
        await stub.CreateRoomType(inv.CreateRoomTypeRequest(
            request_id=request_id(), hotel_id=HOTEL,
            room_type=inv.RoomType(code="STD", name="Standard", max_occupancy=2, total_rooms=10)))
        yield running, stub
    await running.stop(grace=None)


def _snapshot(seq: int, available: int = 10, days=(1, 2, 3), event_id: str | None = None) -> inv.ChannelUpdate:
    nights = [inv.NightSnapshot(date=pb_date(days_ahead(d)), total_rooms=10, available_rooms=available,
                                price={"currency_code": "EUR", "amount_minor": 12000}) for d in days]
    return inv.ChannelUpdate(event_id=event_id or uuid.uuid4().hex, sequence=seq,
                             snapshot=inv.InventorySnapshot(room_type_code="STD", nights=nights))


def _delta(seq: int, change: int = -1, day: int = 1, event_id: str | None = None) -> inv.ChannelUpdate:
    return inv.ChannelUpdate(event_id=event_id or uuid.uuid4().hex, sequence=seq, delta=inv.InventoryDelta(
        room_type_code="STD", date=pb_date(days_ahead(day)), available_change=change))


async def _apply(stub, *updates) -> inv.ApplyChannelUpdatesResponse:
    return await stub.ApplyChannelUpdates(inv.ApplyChannelUpdatesRequest(
        request_id=request_id(), hotel_id=HOTEL, updates=list(updates)))


async def _available(stub) -> list[int]:
    reply = await stub.GetAvailability(inv.GetAvailabilityRequest(
        hotel_id=HOTEL, room_type_code="STD", start_date=pb_date(days_ahead(1)), end_date=pb_date(days_ahead(4))))
    return [n.available_rooms for n in reply.room_types[0].nights]


async def test_snapshot_then_deltas_in_order(cm_server):
    _, stub = cm_server
    first = await _apply(stub, _snapshot(1), _delta(2), _delta(3, day=2, change=-3))
    assert (first.applied_count, first.last_sequence, first.gap_detected) == (3, 3, False)
    assert await _available(stub) == [9, 7, 10]


async def test_before_the_first_load_a_delta_for_a_night_not_mirrored_waits_with_all_after_it(cm_server):
    """Nothing to move yet: applied, it would pass the cursor and be lost under the load (first_load.py)."""
    _, stub = cm_server
    early = await _apply(stub, _delta(1), _snapshot(2, available=8))
    assert (early.applied_count, early.last_sequence) == (0, 0)
    assert await _available(stub) == []


async def test_duplicates_are_skipped(cm_server):
    _, stub = cm_server
    snapshot, delta = _snapshot(1), _delta(2)
    await _apply(stub, snapshot, delta)
    again = await _apply(stub, delta, snapshot)
    assert (again.applied_count, again.duplicate_count) == (0, 2)
    assert await _available(stub) == [9, 10, 10]


async def test_reordered_events_wait_for_the_gap_to_fill(cm_server):
    running, stub = cm_server
    await _apply(stub, _snapshot(1))
    early = await _apply(stub, _delta(3, day=2))
    assert (early.applied_count, early.gap_detected, early.last_sequence) == (0, True, 1)
    assert await _available(stub) == [10, 10, 10]
    late = await _apply(stub, _delta(2))
    assert (late.applied_count, late.last_sequence, late.gap_detected) == (2, 3, False)
    assert await _available(stub) == [9, 9, 10]


async def test_an_older_event_with_a_new_id_is_stale(cm_server):
    _, stub = cm_server
    await _apply(stub, _snapshot(1), _snapshot(2, available=4))
    stale = await _apply(stub, _snapshot(1, available=10))
    assert (stale.applied_count, stale.stale_count) == (0, 1)
    assert await _available(stub) == [4, 4, 4]


async def test_our_own_channel_deltas_do_not_count_twice(cm_server):
    running, stub = cm_server
    await _apply(stub, _snapshot(1))
    from servers.inventory.flows.sync import OUR_CHANNEL
    body = {"event_id": uuid.uuid4().hex, "hotel_code": CODE, "sequence": 2, "occurred_at": "2026-11-25T16:00:00Z",
            "type": "delta", "delta": {"room_type_code": "STD", "date": days_ahead(1).isoformat(),
                                       "available_change": -1, "channel": OUR_CHANNEL, "reservation_id": "r-1"}}
    status, _ = await _post(running, body)
    assert status == 200
    assert await _available(stub) == [10, 10, 10]


async def test_direct_hotels_refuse_channel_updates(cm_server):
    _, stub = cm_server
    await stub.CreateHotel(inv.CreateHotelRequest(request_id=request_id(), hotel_id="direct-one", hotel=inv.Hotel(
        name="Direct", city="Rome", country_code="IT", latitude=41.9, longitude=12.5, time_zone="Europe/Rome",
        currency_code="EUR")))
    failure = await fails(stub.ApplyChannelUpdates(inv.ApplyChannelUpdatesRequest(
        request_id=request_id(), hotel_id="direct-one", updates=[_delta(1)])))
    assert (failure.code, failure.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "NOT_CHANNEL_MANAGED")


async def test_bad_updates_name_the_field_and_change_nothing(cm_server):
    _, stub = cm_server
    await _apply(stub, _snapshot(1))
    bad = [inv.ChannelUpdate(event_id="x", sequence=0, delta=inv.InventoryDelta(
        room_type_code="STD", date=pb_date(days_ahead(1)), available_change=-1)),
        inv.ChannelUpdate(event_id="y", sequence=3)]
    failure = await fails(stub.ApplyChannelUpdates(inv.ApplyChannelUpdatesRequest(
        request_id=request_id(), hotel_id=HOTEL, updates=bad)))
    assert failure.code == grpc.StatusCode.INVALID_ARGUMENT
    assert {"updates[0].sequence", "updates[1].change"} <= set(failure.fields)
    assert await _available(stub) == [10, 10, 10]


async def test_a_big_snapshot_batch_lands_is_watched_in_order_and_written_through(cm_server, monkeypatch):
    """Many nights, in several pipelined merges on PostgreSQL (row by row on SQLite): the same outcome."""
    from servers.inventory.store import bulk

    monkeypatch.setattr(bulk, "CHUNK_NIGHTS", 40)
    running, stub = cm_server
    await _apply(stub, _snapshot(1, available=2, days=range(1, 31)))
    stream = stub.WatchInventory(inv.WatchInventoryRequest(hotel_ids=[HOTEL]))
    await asyncio.sleep(0.1)
    newer = [_snapshot(seq, available=seq % 10, days=range(60, 0, -1)) for seq in range(2, 6)]
    reply = await _apply(stub, *newer, _snapshot(6, available=9, days=range(61, 71)))
    assert (reply.applied_count, reply.last_sequence) == (5, 6)
    change = await asyncio.wait_for(stream.read(), 5)
    stream.cancel()
    days = [(n.date.year, n.date.month, n.date.day) for n in change.nights]
    assert days == sorted(days) and len(set(days)) == 70  # in night order (SQLite tells each snapshot's)
    last = {(n.date.year, n.date.month, n.date.day): n.available_rooms for n in change.nights}
    assert sorted(last.values()) == [5] * 60 + [9] * 10
    assert await _available(stub) == [5, 5, 5]
    cached = await running.system.cache.get_nights([(HOTEL, days_ahead(d), "STD") for d in (1, 30, 31, 70)])
    assert [(c.available, c.price) for c in cached] == [(5, 12000)] * 3 + [(9, 12000)]
    assert cached[0].version > cached[2].version >= 1  # night 1 was loaded before, night 31 is new


def _bad_night(update: inv.ChannelUpdate, index: int = 0) -> inv.ChannelUpdate:
    update.snapshot.nights[index].available_rooms = 99  # more than total_rooms
    return update


async def test_a_bad_night_deep_in_a_batch_is_named_and_nothing_is_kept(cm_server, monkeypatch):
    """Nights are read while earlier chunks merge; a bad one still rolls everything back and is named."""
    from servers.inventory.store import bulk

    monkeypatch.setattr(bulk, "CHUNK_NIGHTS", 3)
    _, stub = cm_server
    await _apply(stub, _snapshot(1, available=4))
    updates = [_snapshot(2, available=1), _snapshot(3, available=2), _bad_night(_snapshot(4), 2),
               _snapshot(5, available=3), _bad_night(_snapshot(6))]
    key = request_id()
    failure = await fails(stub.ApplyChannelUpdates(inv.ApplyChannelUpdatesRequest(
        request_id=key, hotel_id=HOTEL, updates=updates)))
    assert failure.code == grpc.StatusCode.INVALID_ARGUMENT
    assert failure.fields == ["updates[2].snapshot.nights[2].available_rooms",
                              "updates[4].snapshot.nights[0].available_rooms"]
    assert await _available(stub) == [4, 4, 4]
    fixed = await stub.ApplyChannelUpdates(inv.ApplyChannelUpdatesRequest(  # the key was not used up
        request_id=key, hotel_id=HOTEL, updates=[_snapshot(2, available=1)]))
    assert (fixed.applied_count, fixed.last_sequence) == (1, 2)


async def test_bad_nights_are_told_before_anything_else(cm_server):
    _, stub = cm_server
    applied = _snapshot(1)
    await _apply(stub, applied)
    duplicate = inv.ChannelUpdate()
    duplicate.CopyFrom(applied)
    cases = {"unknown hotel": inv.ApplyChannelUpdatesRequest(request_id=request_id(), hotel_id="nowhere-hotel",
                                                             updates=[_bad_night(_snapshot(2))]),
             "a duplicate": inv.ApplyChannelUpdatesRequest(request_id=request_id(), hotel_id=HOTEL,
                                                           updates=[_bad_night(duplicate)]),
             "after a gap": inv.ApplyChannelUpdatesRequest(request_id=request_id(), hotel_id=HOTEL,
                                                           updates=[_bad_night(_snapshot(9))]),
             "stale": inv.ApplyChannelUpdatesRequest(request_id=request_id(), hotel_id=HOTEL,
                                                     updates=[_snapshot(2), _bad_night(_snapshot(1))])}
    for case, request in cases.items():
        failure = await fails(stub.ApplyChannelUpdates(request))
        assert failure.code == grpc.StatusCode.INVALID_ARGUMENT, case
        assert failure.fields[-1].endswith("snapshot.nights[0].available_rooms"), case
    assert await _available(stub) == [10, 10, 10]
    reply = await _apply(stub, _snapshot(2, available=6))
    assert (reply.applied_count, reply.gap_detected) == (1, False)  # the one after the gap was not kept


async def _post(running, body: dict, secret: str = SECRET, t: float | None = None) -> tuple[int, dict]:
    raw = json.dumps(body).encode()
    headers = {"X-CM-Signature": sign(secret, raw, int(t or time.time())), "Content-Type": "application/json"}
    url = f"http://127.0.0.1:{running.system.webhook_port}/webhooks/channel-managers/sandbox"
    async with aiohttp.ClientSession() as session, session.post(url, data=raw, headers=headers) as reply:
        return reply.status, await reply.json()


def _webhook_delta(seq: int, change: int = -2) -> dict:
    return {"event_id": uuid.uuid4().hex, "hotel_code": CODE, "sequence": seq, "occurred_at": "2026-11-25T16:00:00Z",
            "type": "delta", "delta": {"room_type_code": "STD", "date": days_ahead(1).isoformat(),
                                       "available_change": change, "channel": "expedia", "reservation_id": "x-1"}}


async def test_signed_webhook_is_applied(cm_server):
    running, stub = cm_server
    await _apply(stub, _snapshot(1))
    status, answer = await _post(running, _webhook_delta(2))
    assert (status, answer["status"], answer["last_sequence"]) == (200, "applied", 2)
    assert await _available(stub) == [8, 10, 10]


async def test_forged_or_stale_webhooks_are_refused_and_change_nothing(cm_server):
    running, stub = cm_server
    await _apply(stub, _snapshot(1))
    forged, _ = await _post(running, _webhook_delta(2), secret="someone-else-entirely")
    stale, _ = await _post(running, _webhook_delta(2), t=time.time() - 3600)
    assert (forged, stale) == (401, 401)
    assert await _available(stub) == [10, 10, 10]


# Hostile senders (issue 14, item 16): each is refused with a clear status and changes nothing.

async def _raw_request(running, headers: dict[str, str], body: bytes = b"") -> int:
    """Sends the request line, headers and (part of) a body, then reads the answer's status without
    sending more: an answer that waited for the rest of the body would never come (bounded below)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", running.system.webhook_port)
    try:
        lines = ["POST /webhooks/channel-managers/sandbox HTTP/1.1", "Host: 127.0.0.1",
                 *(f"{k}: {v}" for k, v in headers.items()), "", ""]
        writer.write("\r\n".join(lines).encode() + body)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 30)
        return int(status_line.split()[1])
    finally:
        writer.close()


async def test_a_signature_time_of_thousands_of_digits_is_refused(cm_server):
    running, stub = cm_server
    await _apply(stub, _snapshot(1))
    raw = json.dumps(_webhook_delta(2)).encode()
    header = f"t={'9' * 5000},v1={'0' * 64}"
    url = f"http://127.0.0.1:{running.system.webhook_port}/webhooks/channel-managers/sandbox"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=raw, headers={"X-CM-Signature": header}) as reply:
            assert (reply.status, (await reply.json())["error"]) == (401, "bad_signature")
    assert await _available(stub) == [10, 10, 10]


async def test_an_unsigned_body_is_refused_before_it_is_read(cm_server):
    running, stub = cm_server
    status = await _raw_request(running, {"Content-Type": "application/json", "Content-Length": "1000000"})
    assert status == 401


async def test_a_body_larger_than_an_event_is_refused_before_it_is_read(cm_server):
    running, stub = cm_server
    header = sign(SECRET, b"", int(time.time()))  # well-formed and in time; the body never comes
    status = await _raw_request(running, {"X-CM-Signature": header, "Content-Length": str(600 * 1024)})
    assert status == 413


async def test_a_body_that_trickles_in_is_given_up_on(cm_server, monkeypatch):
    from servers.inventory.api import webhooks

    monkeypatch.setattr(webhooks, "BODY_READ_TIMEOUT_SECONDS", 0.5)
    running, stub = cm_server
    await _apply(stub, _snapshot(1))
    raw = json.dumps(_webhook_delta(2)).encode()
    header = sign(SECRET, raw, int(time.time()))
    status = await _raw_request(running, {"X-CM-Signature": header, "Content-Length": str(len(raw))}, raw[:10])
    assert status == 408
    assert await _available(stub) == [10, 10, 10]


async def test_channel_updates_no_column_or_clock_can_hold_are_invalid(cm_server, db):
    """occur_time past any calendar, negative stay limits: INVALID_ARGUMENT naming them (issue 14, item 16)."""
    from google.protobuf.timestamp_pb2 import Timestamp

    _, stub = cm_server
    await _apply(stub, _snapshot(1))
    cases = {}
    for seconds in (2**62, -2**62):
        update = _delta(2)
        update.occur_time.CopyFrom(Timestamp(seconds=seconds))
        cases[f"occur_time {seconds}"] = (update, "updates[0].occur_time")
    for limit in ("min_stay", "max_stay"):
        update = _snapshot(2)
        setattr(update.snapshot.nights[1].restrictions, limit, -1)
        cases[f"negative {limit}"] = (update, f"updates[0].snapshot.nights[1].restrictions.{limit}")
    for case, (update, field) in cases.items():
        failure = await fails(_apply(stub, update))
        assert (failure.code, failure.reason, failure.fields) == (
            grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD", [field]), case
    assert await _available(stub) == [10, 10, 10]
    reply = await _apply(stub, _delta(2))
    assert (reply.applied_count, reply.last_sequence) == (1, 2)  # nothing of the refused ones was kept


async def test_a_signed_body_nested_past_any_parser_is_a_bad_event(cm_server):
    running, stub = cm_server
    await _apply(stub, _snapshot(1))
    raw = b"[" * 100_000 + b"]" * 100_000
    url = f"http://127.0.0.1:{running.system.webhook_port}/webhooks/channel-managers/sandbox"
    headers = {"X-CM-Signature": sign(SECRET, raw, int(time.time())), "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session, session.post(url, data=raw, headers=headers) as reply:
        assert (reply.status, (await reply.json())["error"]) == (400, "bad_event")
    assert await _available(stub) == [10, 10, 10]
