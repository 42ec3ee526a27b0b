"""Bookings end to end: the sandbox channel manager and payment gateway in this process, our server over `db`.

`booking_stack(db, stack)` starts both sandboxes on port 0 and our app (every service, its jobs) wired to
them; `stack` (the fixture below) is {} on SQLite — the embedded default: in-process cache, locks and
outbox queue — and, on PostgreSQL, Redis (this test's key prefix) and RabbitMQ (this session's vhost,
a prefix of this test's own): the production-like run. `channel_hotel` creates a mirrored hotel on both
sides, subscribes our webhook receiver and loads it; `direct_hotel` makes a hotel with no channel
manager. The rig reads every side: our API and tables, the sandbox's reservations and ARI, the gateway's
payments. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import aiohttp
import grpc
from google.rpc import error_details_pb2, status_pb2
from hotelagg.booking.v1 import booking_pb2 as bk
from hotelagg.booking.v1 import booking_pb2_grpc
from hotelagg.inventory.v1 import inventory_pb2 as inv
from sqlalchemy import func, select, update

from sandbox.channel_manager import Config as CMConfig
from sandbox.channel_manager import start as start_cm
from sandbox.channel_manager.plumbing import STATE
from sandbox.payment_gateway import Config as GatewayConfig
from sandbox.payment_gateway import start as start_gateway
from servers import bootstrap
from servers.cache.locks import MemoryLocks, RedisLocks
from servers.messaging import EmbeddedBus, RabbitBus
from servers.runtime.config import Settings
from servers.storage.tables import bookings, holds, inventory
from tests.api.helpers import days_ahead, hotel_message, inventory_stub, make_hotel, pb_date, request_id

CM_ID = "sandbox"
CM_KEY = "booking-e2e-key"
SECRET = "booking-e2e-webhook-secret-0123"
HOTEL_CODE = "BOOK-CM-1"
GATEWAY_KEY = "sandbox-payments-key"




@dataclass
class Sandboxes:
    cm_runner: object
    cm_port: int
    gateway_runner: object
    gateway_port: int
    http: aiohttp.ClientSession

    @property
    def cm_url(self) -> str:
        return f"http://127.0.0.1:{self.cm_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def cm_state(self):
        return self.cm_runner.app[STATE]

    def cm_setting(self) -> dict:
        return {CM_ID: {"base_url": self.cm_url, "api_key": CM_KEY, "webhook_secret": SECRET}}

    async def cm(self, method: str, path: str, body: object = None, **params) -> tuple[int, dict | None]:
        async with self.http.request(method, self.cm_url + path, json=body, params=params or None,
                                     headers={"X-Api-Key": CM_KEY}) as reply:
            text = await reply.text()
            return reply.status, (json.loads(text) if text else None)

    async def cm_admin(self, path: str, body: object = None) -> dict:
        status, answer = await self.cm("POST" if body is not None else "GET", path, body)
        assert 200 <= status < 300, (path, status, answer)
        return answer

    async def faults(self, **faults) -> dict:
        """The channel manager's faults: set those given, answer all (none given: just read them)."""
        return await self.cm_admin("/admin/faults", faults if faults else None)

    async def gateway_faults(self, **faults) -> dict:
        async with self.http.post(f"{self.gateway_url}/admin/faults", json=faults) as reply:
            assert reply.status == 200, await reply.text()
            return await reply.json()

    async def stall(self, route: str, when: str, ms: int = 60_000) -> None:
        """Hangs one route of the sandbox that serves it (`POST /reservations...` the channel manager,
        `POST /v1/payments...` the gateway): `before` its work or `after` it (PROTOCOL.md, stall)."""
        await self._steer(route)(stall={"route": route, "when": when, "ms": ms})

    async def lift_stall(self, route: str) -> None:
        await self._steer(route)(stall=None)

    async def stalled(self, route: str) -> int:
        """How many requests the route's stall has caught so far."""
        faults = await self._steer(route)()
        return (faults.get("stall") or {}).get("caught", 0)

    def _steer(self, route: str):
        return self.gateway_faults if route.split(" ")[1].startswith("/v1/payments") else self.faults

    async def competitors(self, rate_per_second: float, cancel_ratio: float = 0.2) -> dict:
        return await self.cm_admin("/admin/competitors", {"rate_per_second": rate_per_second,
                                                          "cancel_ratio": cancel_ratio, "hotel_codes": [HOTEL_CODE]})

    async def our_reservations(self) -> dict[str, int]:
        """The sandbox's reservations on our channel, by status."""
        return (await self.cm_admin("/admin/stats"))["reservations"].get("hotelagg", {})

    def forget_reservation(self, reservation_id: str) -> None:
        """The channel manager loses the reservation (purged, or lost in a restart): 404 from now on."""
        self.cm_state.forget(reservation_id)

    def reservation_status(self, reservation_id: str) -> str:
        """Read in-process (its API may be down on purpose); expired on access, as the API does."""
        return self.cm_state.reservation(reservation_id).status

    async def gateway_stats(self) -> dict:
        async with self.http.get(f"{self.gateway_url}/admin/stats") as reply:
            return await reply.json()

    async def payments(self) -> dict[str, int]:
        """The gateway's payments by status, statuses with none left out."""
        return {status: n for status, n in (await self.gateway_stats())["payments"].items() if n}

    async def payment(self, payment_id: str) -> dict:
        async with self.http.get(f"{self.gateway_url}/v1/payments/{payment_id}",
                                 headers={"Authorization": f"Bearer {GATEWAY_KEY}"}) as reply:
            assert reply.status == 200, await reply.text()
            return await reply.json()


@asynccontextmanager
async def sandboxes() -> AsyncIterator[Sandboxes]:
    cm_runner, cm_port = await start_cm(port=0, config=CMConfig(api_key=CM_KEY, random_seed=7), shutdown_timeout=1.0)
    gateway_runner, gateway_port = await start_gateway(port=0, config=GatewayConfig(), shutdown_timeout=1.0)
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
    try:
        yield Sandboxes(cm_runner, cm_port, gateway_runner, gateway_port, http)
    finally:
        await http.close()
        await gateway_runner.cleanup()
        await cm_runner.cleanup()


@dataclass
class Rig:
    side: Sandboxes
    running: object
    channel: grpc.aio.Channel

    @property
    def bookings(self) -> booking_pb2_grpc.BookingServiceStub:
        return booking_pb2_grpc.BookingServiceStub(self.channel)

    @property
    def inventory(self):
        return inventory_stub(self.channel)

    @property
    def deps(self):
        return self.running.system.booking

    @property
    def db(self):
        return self.running.system.db

    @property
    def breaker(self):
        return self.running.system.clients[CM_ID].breaker

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.running.system.webhook_port}/webhooks/channel-managers/{CM_ID}"

    async def settled(self, timeout: float = 10.0) -> None:
        """Every webhook the sandbox sent acknowledged, then one poll: the mirror has caught up."""
        deadline = time.monotonic() + timeout
        while True:
            hooks = (await self.side.cm_admin("/admin/stats"))["webhooks"]
            if hooks["pending"] == 0 and hooks["sent"] == hooks["acknowledged"] + hooks["failed_attempts"]:
                break
            assert time.monotonic() < deadline, f"webhooks did not settle: {hooks}"
            await asyncio.sleep(0.05)
        await asyncio.wait_for(self.running.system.poller.poll_all(), timeout)

    async def nights(self, hotel_id: str, first: int, count: int) -> list[tuple[int, int, int]]:
        """(available, held, sellable) per night, as GetAvailability answers."""
        reply = await self.inventory.GetAvailability(inv.GetAvailabilityRequest(
            hotel_id=hotel_id, room_type_code="STD", start_date=pb_date(days_ahead(first)),
            end_date=pb_date(days_ahead(first + count))), timeout=10)
        return [(n.available_rooms, n.held_rooms, n.sellable_rooms) for n in reply.room_types[0].nights]

    async def count(self, table, *where) -> int:
        async with self.db.reading() as conn:
            return (await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one()

    async def live_holds(self) -> int:
        return await self.count(holds, holds.c.status == "held")

    async def held_rooms(self) -> int:
        async with self.db.reading() as conn:
            return (await conn.execute(select(func.coalesce(func.sum(inventory.c.held), 0)))).scalar_one()

    async def booking(self, booking_id: str) -> bk.Booking:
        return (await self.bookings.GetBooking(bk.GetBookingRequest(booking_id=booking_id), timeout=10)).booking

    async def until_status(self, booking_id: str, status: int, timeout: float) -> bk.Booking:
        deadline = time.monotonic() + timeout
        while (booking := await self.booking(booking_id)).status != status:
            assert time.monotonic() < deadline, f"not {bk.BookingStatus.Name(status)} in {timeout}s: {booking}"
            await asyncio.sleep(0.1)
        return booking


@asynccontextmanager
async def booking_stack(db, stack: dict, **settings) -> AsyncIterator[Rig]:
    async with sandboxes() as side:
        values = dict(database_url=db.url, port=0, webhook_port=0, payment_gateway_url=side.gateway_url,
                      payment_api_key=GATEWAY_KEY, payment_timeout_seconds=3, channel_managers=side.cm_setting(),
                      channel_manager_timeout_seconds=2, poll_interval_seconds=3600,
                      reconcile_interval_seconds=3600, booking_expiry_interval_seconds=3600, **stack)
        values.update(settings)
        running = await bootstrap.start(Settings(**values))
        try:
            deps = running.system.booking
            production = bool(values.get("redis_url"))  # the run this is, not a fallback
            assert isinstance(deps.bus, RabbitBus if values.get("amqp_url") else EmbeddedBus), deps.bus
            assert isinstance(deps.locks, RedisLocks if production else MemoryLocks), deps.locks
            async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
                yield Rig(side, running, channel)
        finally:
            await running.stop(grace=None)


async def channel_hotel(rig, hotel_id: str = "cm-book-hotel", rooms: int = 5, nights: int = 10,
                        price: int = 10000, **policy) -> None:
    """A hotel mirrored from the sandbox: STD, `rooms` rooms, `nights` nights from tomorrow, loaded here."""
    side = rig.side
    await rig.inventory.CreateHotel(inv.CreateHotelRequest(request_id=request_id(), hotel_id=hotel_id,
        hotel=hotel_message(channel_manager=inv.ChannelManagerLink(
            channel_manager_id=CM_ID, base_url=side.cm_url, hotel_code=HOTEL_CODE), **policy)), timeout=10)
    await rig.inventory.CreateRoomType(inv.CreateRoomTypeRequest(request_id=request_id(), hotel_id=hotel_id,
        room_type=inv.RoomType(code="STD", name="Standard", max_occupancy=2, total_rooms=rooms)), timeout=10)
    await side.cm_admin("/admin/hotels", {
        "hotel_code": HOTEL_CODE, "name": "Booking E2E", "currency": "EUR", "start": days_ahead(1).isoformat(),
        "nights": nights, "room_types": [{"code": "STD", "name": "Standard", "total": rooms, "price_minor": price}]})
    status, body = await side.cm("POST", "/subscriptions", {"url": rig.webhook_url, "secret": SECRET})
    assert status == 201, body
    await rig.settled()
    assert [n[0] for n in await rig.nights(hotel_id, 1, nights)] == [rooms] * nights, "the hotel did not load"


async def direct_hotel(rig, hotel_id: str = "direct-hotel", rooms: int = 5, nights: int = 10,
                       price: int = 10000, **policy) -> None:
    await make_hotel(rig.inventory, hotel_id, rooms=rooms, **policy)
    await rig.inventory.UpdateInventory(inv.UpdateInventoryRequest(
        request_id=request_id(), hotel_id=hotel_id, room_type_code="STD", start_date=pb_date(days_ahead(1)),
        end_date=pb_date(days_ahead(1 + nights)), price={"currency_code": "EUR", "amount_minor": price}), timeout=10)


def create(hotel_id: str, first: int = 2, nights: int = 1, rooms: int = 1, token: str = "tok_visa",
           user: str = "guest-1", **extra) -> bk.CreateBookingRequest:
    return bk.CreateBookingRequest(
        request_id=request_id(), user_id=user, hotel_id=hotel_id, room_type_code="STD",
        check_in=pb_date(days_ahead(first)), check_out=pb_date(days_ahead(first + nights)), rooms=rooms,
        guests=rooms, payment_token=token, lead_guest=bk.Guest(given_name="Ada", family_name="Lovelace"), **extra)


def confirm(booking_id: str) -> bk.ConfirmBookingRequest:
    return bk.ConfirmBookingRequest(request_id=request_id(), booking_id=booking_id)


def retry_delay(error: grpc.aio.AioRpcError) -> float | None:
    """The RetryInfo delay an error carries, in seconds; None without one."""
    raw = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
    for detail in status_pb2.Status.FromString(raw).details if raw else ():
        if detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            info = error_details_pb2.RetryInfo()
            detail.Unpack(info)
            return info.retry_delay.ToTimedelta().total_seconds()
    return None


async def our_bookings(db, status: str | None = None) -> list:
    query = select(bookings)
    if status:
        query = query.where(bookings.c.status == status)
    async with db.reading() as conn:
        return list((await conn.execute(query)).all())


AUTHORIZE = "POST /v1/payments"
CAPTURE = "POST /v1/payments/{payment_id}/capture"
RESERVE = "POST /reservations"
CM_CONFIRM = "POST /reservations/{id}/confirm"
CM_CANCEL = "POST /reservations/{id}/cancel"
REFUND = "POST /v1/payments/{payment_id}/refund"
VOID = "POST /v1/payments/{payment_id}/void"


async def until(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> float:
    began = time.monotonic()
    while not await check():
        assert time.monotonic() - began < timeout, f"{what}: not within {timeout}s"
        await asyncio.sleep(0.05)
    return time.monotonic() - began


async def hold_ends(db, booking_id: str, left: timedelta = timedelta(seconds=-1)) -> None:
    """Time passes until the booking's hold has `left` to run (negative: it ended that long ago), here and
    in the booking, as if its ttl had passed."""
    end = datetime.now(timezone.utc) + left
    async with db.unit_of_work() as uow:
        hold_id = (await uow.connection.execute(
            update(bookings).where(bookings.c.id == booking_id).values(expires_at=end)
            .returning(bookings.c.hold_id))).scalar_one()
        await uow.connection.execute(update(holds).where(holds.c.id == hold_id).values(expires_at=end))
        await uow.commit()
