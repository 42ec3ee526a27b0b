"""HttpChannelManagerClient against a small aiohttp channel manager on port 0, plus webhook signatures."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from clients.breaker import AsyncCircuitBreaker
from clients.channel_managers import (
    ChannelManagerClient,
    ChannelManagerError,
    ChannelManagerUnavailable,
    Delta,
    HoldExpired,
    HttpChannelManagerClient,
    MalformedAnswer,
    NotFound,
    ReservationStatus,
    Restricted,
    Snapshot,
    SoldOut,
    parse_event,
    sign,
    verify_signature,
)

API_KEY = "sandbox-key"
HOTEL = "CM-PAR-1"
FAIL_MAX = 3
SOLD_OUT_NIGHT = "2026-12-03"
CLOSED_TO_ARRIVAL = "2026-12-05"
SECRET = "whsec-test"
NOW = 1_795_000_000


def night(date: str, available: int = 7) -> dict:
    restrictions = {"min_stay": 2, "max_stay": 0, "closed_to_arrival": date == CLOSED_TO_ARRIVAL,
                    "closed_to_departure": False, "stop_sell": False}
    return {"date": date, "total": 10, "available": available, "price_minor": 15600, "restrictions": restrictions}


def event(sequence: int, kind: str) -> dict:
    base = {"event_id": f"ev-{sequence}", "hotel_code": HOTEL, "sequence": sequence,
            "occurred_at": "2026-11-25T16:00:00Z", "type": kind}
    if kind == "delta":
        base["delta"] = {"room_type_code": "STD", "date": "2026-12-01", "available_change": -1,
                         "channel": "expedia", "reservation_id": f"r-{sequence}"}
    else:
        base["snapshot"] = {"room_type_code": "DLX", "nights": [night("2026-12-01", 3)]}
    return base


class FakeChannelManager:
    """The bits of PROTOCOL.md the client needs; `failing_with` and `delay` play an outage."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.failing_with: int | None = None
        self.delay = 0.0
        self.drops = 0  # requests whose connection is cut before any answer
        self.answers_by_key: dict[str, tuple[dict, int]] = {}
        self.events = [event(1, "delta"), event(2, "snapshot"), event(3, "delta")]
        self.ari_unreadable = False  # answers the ARI without its room types

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.faults])
        app.router.add_get("/hotels/{hotel}/ari", self.ari)
        app.router.add_get("/hotels/{hotel}/changes", self.changes)
        app.router.add_post("/reservations", self.reserve)
        app.router.add_post("/reservations/{rid}/{action}", self.settle)
        return app

    @web.middleware
    async def faults(self, request: web.Request, handler) -> web.StreamResponse:
        self.requests.append(f"{request.method} {request.path_qs}")
        if request.headers.get("X-Api-Key") != API_KEY:
            return web.json_response({"error": "unauthorized"}, status=401)
        await asyncio.sleep(self.delay)
        if self.drops:
            self.drops -= 1
            request.transport.close()
        if self.failing_with:
            return web.json_response({"error": "unavailable"}, status=self.failing_with)
        return await handler(request)

    async def ari(self, request: web.Request) -> web.Response:
        if request.match_info["hotel"] != HOTEL:
            return web.json_response({"error": "unknown_hotel"}, status=404)
        if self.ari_unreadable:
            return web.json_response({"hotel_code": HOTEL, "currency": "EUR", "sequence": 3})
        start = dt.date.fromisoformat(request.query["start"])
        end = dt.date.fromisoformat(request.query["end"])
        dates = [(start + dt.timedelta(days=i)).isoformat() for i in range((end - start).days)]
        codes = [request.query.get("room_type")] if "room_type" in request.query else ["STD", "DLX"]
        room_types = [{"code": code, "nights": [night(date) for date in dates]} for code in codes]
        return web.json_response({"hotel_code": HOTEL, "currency": "EUR", "sequence": 3, "room_types": room_types})

    async def changes(self, request: web.Request) -> web.Response:
        since, limit = int(request.query["since"]), int(request.query["limit"])
        newer = [item for item in self.events if item["sequence"] > since][:limit]
        return web.json_response({"events": newer, "latest": len(self.events)})

    async def reserve(self, request: web.Request) -> web.Response:
        key = request.headers["Idempotency-Key"]
        if key not in self.answers_by_key:
            self.answers_by_key[key] = self.hold(await request.json(), f"r-{len(self.answers_by_key) + 1}")
        body, status = self.answers_by_key[key]
        return web.json_response(body, status=status)

    def hold(self, stay: dict, reservation_id: str) -> tuple[dict, int]:
        if stay["check_in"] == CLOSED_TO_ARRIVAL:
            return {"error": "restricted", "date": CLOSED_TO_ARRIVAL, "restriction": "closed_to_arrival"}, 409
        if stay["check_in"] <= SOLD_OUT_NIGHT < stay["check_out"]:
            return {"error": "sold_out", "date": SOLD_OUT_NIGHT}, 409
        return {"reservation_id": reservation_id, "status": "held", "expires_at": "2026-11-25T16:15:00Z", **stay}, 201

    async def settle(self, request: web.Request) -> web.Response:
        rid, action = request.match_info["rid"], request.match_info["action"]
        if rid == "r-expired" and action == "confirm":
            return web.json_response({"error": "hold_expired"}, status=409)
        if not rid.startswith("r-"):
            return web.json_response({"error": "not_found"}, status=404)
        status = {"confirm": "confirmed", "cancel": "cancelled"}[action]
        return web.json_response({"reservation_id": rid, "status": status})


@pytest.fixture
async def fake_cm() -> AsyncIterator[tuple[FakeChannelManager, str]]:
    fake = FakeChannelManager()
    # A short shutdown: a handler still sleeping through a played timeout is not worth waiting for.
    runner = web.AppRunner(fake.app(), shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield fake, f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


@pytest.fixture
async def cm(fake_cm) -> AsyncIterator[HttpChannelManagerClient]:
    breaker = AsyncCircuitBreaker("cm-test", fail_max=FAIL_MAX, reset_timeout=30)
    client = HttpChannelManagerClient(fake_cm[1], API_KEY, breaker, timeout=5)
    yield client
    await client.aclose()


async def test_availability_is_typed_ari(cm: HttpChannelManagerClient) -> None:
    ari = await cm.availability(HOTEL, dt.date(2026, 12, 1), dt.date(2026, 12, 6))
    assert isinstance(cm, ChannelManagerClient)
    assert (ari.hotel_code, ari.currency, ari.sequence) == (HOTEL, "EUR", 3)
    assert [room_type.code for room_type in ari.room_types] == ["STD", "DLX"]
    nights = ari.room_type("STD").nights
    assert [n.date for n in nights] == [dt.date(2026, 12, d) for d in range(1, 6)]
    assert (nights[0].total, nights[0].available, nights[0].price_minor) == (10, 7, 15600)
    assert nights[4].restrictions.closed_to_arrival and nights[0].restrictions.min_stay == 2
    only_dlx = await cm.availability(HOTEL, dt.date(2026, 12, 1), dt.date(2026, 12, 2), room_type="DLX")
    assert [room_type.code for room_type in only_dlx.room_types] == ["DLX"]


async def test_changes_are_typed_events(cm: HttpChannelManagerClient) -> None:
    batch = await cm.changes(HOTEL, since=1, limit=500)
    assert batch.latest == 3 and [e.sequence for e in batch.events] == [2, 3]
    snapshot, delta = batch.events[0].change, batch.events[1].change
    assert isinstance(snapshot, Snapshot) and snapshot.nights[0].available == 3
    assert delta == Delta("STD", dt.date(2026, 12, 1), -1, "expedia", "r-3")
    assert batch.events[1].occurred_at == dt.datetime(2026, 11, 25, 16, tzinfo=dt.timezone.utc)
    assert len((await cm.changes(HOTEL, since=0, limit=1)).events) == 1


async def test_reserve_confirm_cancel(cm: HttpChannelManagerClient, fake_cm) -> None:
    stay = (HOTEL, "STD", dt.date(2026, 12, 1), dt.date(2026, 12, 3), 2, 900)
    held = await cm.reserve(*stay, idempotency_key="booking-1")
    assert (held.status, held.rooms, held.check_out) == (ReservationStatus.HELD, 2, dt.date(2026, 12, 3))
    assert held.expires_at == dt.datetime(2026, 11, 25, 16, 15, tzinfo=dt.timezone.utc)
    assert (await cm.reserve(*stay, idempotency_key="booking-1")).reservation_id == held.reservation_id
    confirmed = await cm.confirm(held.reservation_id, idempotency_key="confirm-1")
    assert confirmed.status is ReservationStatus.CONFIRMED
    assert (await cm.cancel(held.reservation_id, "cancel-1")).status is ReservationStatus.CANCELLED


async def test_sold_out_is_an_answer_that_never_trips_the_breaker(cm: HttpChannelManagerClient) -> None:
    for attempt in range(FAIL_MAX * 2):
        with pytest.raises(SoldOut) as sold_out:
            await cm.reserve(HOTEL, "STD", dt.date(2026, 12, 2), dt.date(2026, 12, 4), 1, 900, f"k-{attempt}")
        assert sold_out.value.date == dt.date(2026, 12, 3)
    assert (cm.breaker.state, cm.breaker.fail_counter) == ("closed", 0)


async def test_other_refusals_are_typed_and_do_not_count(cm: HttpChannelManagerClient, fake_cm) -> None:
    with pytest.raises(Restricted) as restricted:
        await cm.reserve(HOTEL, "STD", dt.date(2026, 12, 5), dt.date(2026, 12, 7), 1, 900, "k-cta")
    assert (restricted.value.date, restricted.value.restriction) == (dt.date(2026, 12, 5), "closed_to_arrival")
    with pytest.raises(HoldExpired):
        await cm.confirm("r-expired", "k-late")
    with pytest.raises(NotFound) as unknown:
        await cm.availability("CM-NOWHERE", dt.date(2026, 12, 1), dt.date(2026, 12, 2))
    assert unknown.value.code == "unknown_hotel"
    locked_out = HttpChannelManagerClient(fake_cm[1], "wrong-key", cm.breaker)
    with pytest.raises(ChannelManagerError) as unauthorized:
        await locked_out.changes(HOTEL, since=0)
    await locked_out.aclose()
    assert (unauthorized.value.code, unauthorized.value.status) == ("unauthorized", 401)
    assert (cm.breaker.state, cm.breaker.fail_counter) == ("closed", 0)


async def test_503s_open_the_breaker_then_calls_fail_fast(cm: HttpChannelManagerClient, fake_cm) -> None:
    fake, _ = fake_cm
    fake.failing_with = 503
    for _ in range(FAIL_MAX):
        with pytest.raises(ChannelManagerUnavailable) as down:
            await cm.confirm("r-1", "confirm-1")
        assert not down.value.breaker_open
    assert cm.breaker.is_open
    for _ in range(5):
        with pytest.raises(ChannelManagerUnavailable) as refused:
            await cm.availability(HOTEL, dt.date(2026, 12, 1), dt.date(2026, 12, 2))
        assert refused.value.breaker_open and 29 < refused.value.retry_after <= 30
    assert len(fake.requests) == FAIL_MAX, "an open breaker must not reach the channel manager"


async def test_the_breaker_closes_again_once_the_channel_manager_recovers(fake_cm) -> None:
    fake, base_url = fake_cm
    now = [0.0]
    breaker = AsyncCircuitBreaker(fail_max=1, reset_timeout=30, clock=lambda: now[0])
    async with HttpChannelManagerClient(base_url, API_KEY, breaker) as client:
        fake.failing_with = 502
        with pytest.raises(ChannelManagerUnavailable):
            await client.changes(HOTEL, since=0)
        fake.failing_with = None
        now[0] += 30
        assert breaker.state == "half-open"
        assert (await client.changes(HOTEL, since=0)).latest == 3
        assert breaker.state == "closed"


async def test_a_cut_connection_is_resent_for_a_get_never_for_a_post(cm: HttpChannelManagerClient, fake_cm) -> None:
    fake, _ = fake_cm
    fake.drops = 1
    assert (await cm.changes(HOTEL, since=0)).latest == 3
    assert len(fake.requests) == 2
    fake.drops = 1
    with pytest.raises(ChannelManagerUnavailable):
        await cm.confirm("r-1", "confirm-1")
    assert len(fake.requests) == 3, "a confirm is only repeated by its caller, with its Idempotency-Key"


async def test_timeouts_count_as_failures(fake_cm) -> None:
    fake, base_url = fake_cm
    fake.delay = 0.5
    breaker = AsyncCircuitBreaker(fail_max=FAIL_MAX)
    async with HttpChannelManagerClient(base_url, API_KEY, breaker, timeout=0.1) as impatient:
        for _ in range(FAIL_MAX):
            with pytest.raises(ChannelManagerUnavailable, match="timed out"):
                await impatient.changes(HOTEL, since=0)
    assert breaker.is_open


async def test_connection_refused_counts() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    breaker = AsyncCircuitBreaker(fail_max=1)
    nobody_home = HttpChannelManagerClient(f"http://127.0.0.1:{port}", API_KEY, breaker)
    with pytest.raises(ChannelManagerUnavailable):
        await nobody_home.changes(HOTEL, since=0)
    await nobody_home.aclose()
    assert breaker.is_open


async def test_an_unreadable_success_is_a_breakdown(cm: HttpChannelManagerClient, fake_cm) -> None:
    fake_cm[0].ari_unreadable = True
    with pytest.raises(ChannelManagerUnavailable, match="unreadable"):
        await cm.availability(HOTEL, dt.date(2026, 12, 1), dt.date(2026, 12, 3))
    assert cm.breaker.fail_counter == 1


async def test_an_unreadable_event_ends_its_batch_without_breaking_the_feed(cm: HttpChannelManagerClient,
                                                                           fake_cm) -> None:
    """One bad event is that hotel's problem (the poller reloads it), not a channel manager breakdown."""
    fake_cm[0].events = [event(1, "delta"), {"event_id": "ev-2", "sequence": 2, "type": "delta"}, event(3, "delta")]
    batch = await cm.changes(HOTEL, since=0)
    assert [e.sequence for e in batch.events] == [1]
    assert "missing 'delta'" in batch.unreadable
    assert cm.breaker.fail_counter == 0


# -------------------------------------------------------------------------------------- webhooks


def test_parse_event_rejects_malformed_bodies() -> None:
    assert isinstance(parse_event(event(7, "snapshot")).change, Snapshot)
    for broken in ({**event(1, "delta"), "type": "refund"}, {**event(1, "delta"), "sequence": True},
                   {k: v for k, v in event(1, "delta").items() if k != "delta"},
                   {**event(1, "delta"), "occurred_at": "2026-11-25T16:00:00"}):
        with pytest.raises(MalformedAnswer):
            parse_event(broken)


def test_signature_round_trip_and_tampering() -> None:
    body = json.dumps(event(1, "delta")).encode()
    header = sign(SECRET, body, NOW)
    assert verify_signature(SECRET, header, body, now=NOW)
    assert not verify_signature(SECRET, header, body.replace(b"-1", b"+9"), now=NOW)
    assert not verify_signature("another-secret", header, body, now=NOW)
    rotated = f"{header},v1={sign('old-secret', body, NOW).split('v1=')[1]}"
    assert verify_signature("old-secret", rotated, body, now=NOW)


def test_signature_timestamp_tolerance() -> None:
    body = b'{"event_id": "ev-1"}'
    assert verify_signature(SECRET, sign(SECRET, body, NOW - 300), body, now=NOW)
    assert not verify_signature(SECRET, sign(SECRET, body, NOW - 301), body, now=NOW), "stale: a replay"
    assert not verify_signature(SECRET, sign(SECRET, body, NOW + 301), body, now=NOW), "from the future"
    assert verify_signature(SECRET, sign(SECRET, body, NOW - 3600), body, now=NOW, tolerance=3600)


@pytest.mark.parametrize(
    "header",
    [None, "", "garbage", "t=,v1=", f"v1={'a' * 64}", f"t={NOW}", f"t=12x,v1={'a' * 64}",
     f"t=-{NOW},v1={'a' * 64}", f"t={NOW},v1={'g' * 64}", f"t={NOW},v1={'a' * 63}",
     f"t={NOW},t={NOW},v1={'a' * 64}", f"t={NOW};v1={'a' * 64}", f"t={'9' * 5000},v1={'a' * 64}"],
)
def test_malformed_signature_headers_are_rejected(header: str | None) -> None:
    assert not verify_signature(SECRET, header, b"{}", now=NOW)


@given(secret=st.text(min_size=1), body=st.binary(), t=st.integers(min_value=0, max_value=2**40))
def test_any_signed_body_verifies(secret: str, body: bytes, t: int) -> None:
    assert verify_signature(secret, sign(secret, body, t), body, now=t)
    assert not verify_signature(secret, sign(secret, body, t), body + b" ", now=t)
