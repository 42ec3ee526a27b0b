"""The sandbox partner under test, and small fakes of hotelagg for it to notify: a grpc.aio
PartnerService and an aiohttp OTA webhook receiver, both scripted to fail as asked."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

import aiohttp
import grpc
from aiohttp import web
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status
from hotelagg.partner.v1 import partner_pb2, partner_pb2_grpc

from sandbox.partner import Config, start
from sandbox.partner.notifier import RetryPolicy
from sandbox.partner.plumbing import STATE, PartnerState

NS = "http://www.opentravel.org/OTA/2003/05"
START = dt.date(2030, 1, 1)  # far from today, so no test depends on the calendar
FAST_RETRY = RetryPolicy(first_delay=0.02, max_delay=0.1, max_asked=0.3)


async def port_from_log(stderr: asyncio.StreamReader) -> int:
    """The port a sandbox started with --port 0 logs once it listens."""
    while line := await asyncio.wait_for(stderr.readline(), 15):
        if match := re.search(rb"listening on http://[\d.]+:(\d+)", line):
            return int(match.group(1))
    raise AssertionError("the partner exited before logging its port")


def day(offset: int) -> str:
    return (START + dt.timedelta(days=offset)).isoformat()


class FakeClock:
    """The rate limiter's clock, moved by hand so a test never waits out a 60 s window."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Partner:
    def __init__(self, runner: web.AppRunner, port: int) -> None:
        self.runner = runner
        self.base = f"http://127.0.0.1:{port}"
        self.http: aiohttp.ClientSession | None = None

    @property
    def state(self) -> PartnerState:
        return self.runner.app[STATE]

    async def close(self) -> None:
        await self.http.close()
        await self.runner.cleanup()

    async def call(self, method: str, path: str, *, body: object = None, data: bytes | None = None,
                   headers: dict | None = None, **params) -> tuple[int, object, dict]:
        """(status, JSON or XML root or None, headers)."""
        kwargs = {"data": data} if data is not None else {"json": body}
        async with self.http.request(method, path, params=params or None, headers=headers, **kwargs) as r:
            raw = await r.read()
            if not raw:
                parsed = None
            elif r.content_type == "application/xml":
                parsed = ET.fromstring(raw)
            else:
                parsed = json.loads(raw)
            return r.status, parsed, dict(r.headers)

    async def get(self, path: str, **params) -> tuple[int, dict]:
        status, body, _ = await self.call("GET", path, **params)
        return status, body

    async def post(self, path: str, body: object = None) -> tuple[int, dict]:
        status, body, _ = await self.call("POST", path, body=body)
        return status, body

    async def ari(self, property_code: str, rooms: list[dict], key: str | None = "k1",
                  headers: dict | None = None) -> tuple[int, dict, dict]:
        headers = {**({"Idempotency-Key": key} if key is not None else {}), **(headers or {})}
        return await self.call("POST", f"/v1/properties/{property_code}/ari", body={"rooms": rooms},
                               headers=headers)

    async def ota(self, message: str, xml: str, content_type: str = "application/xml") -> tuple[int, ET.Element, dict]:
        return await self.call("POST", f"/ota/{message}", data=xml.encode(),
                               headers={"Content-Type": content_type})

    async def inventory(self) -> dict:
        status, body = await self.get("/admin/inventory")
        assert status == 200, body
        return body["properties"]

    async def stats(self) -> dict:
        status, body = await self.get("/admin/stats")
        assert status == 200, body
        return body

    async def reservation(self, reservation_id: str) -> dict:
        status, body = await self.get(f"/admin/reservations/{reservation_id}")
        assert status == 200, body
        return body


async def start_partner(**config) -> Partner:
    config.setdefault("retry", FAST_RETRY)
    runner, port = await start(port=0, config=Config(**config), shutdown_timeout=0.5)
    partner = Partner(runner, port)
    partner.http = aiohttp.ClientSession(partner.base)
    return partner


def night(offset: int, available: int = 3, price: int | None = 12000, **restrictions) -> dict:
    return {"date": day(offset), "available": available, "price_minor": price, "min_stay": 0, "max_stay": 0,
            "closed_to_arrival": False, "closed_to_departure": False, "stop_sell": False, **restrictions}


def room(code: str, *nights: dict, currency: str = "EUR") -> dict:
    return {"room_code": code, "currency": currency, "nights": list(nights)}


def ota_rq(message: str, container: str, hotel: str, inner: str, echo: str | None = "K1:x") -> str:
    token = f' EchoToken="{echo}"' if echo is not None else ""
    return (f'<{message} xmlns="{NS}"{token} TimeStamp="2029-12-01T10:00:00Z" Version="1.0">'
            f'<{container} HotelCode="{hotel}">{inner}</{container}></{message}>')


def avail_rq(hotel: str, messages: str, echo: str | None = "K1:avail") -> str:
    return ota_rq("OTA_HotelAvailNotifRQ", "AvailStatusMessages", hotel, messages, echo)


def rates_rq(hotel: str, messages: str, echo: str | None = "K1:rates") -> str:
    return ota_rq("OTA_HotelRateAmountNotifRQ", "RateAmountMessages", hotel, messages, echo)


def avail_message(start: int, end: int, room_code: str = "DBL", limit: str = "3", inner: str = "") -> str:
    return (f'<AvailStatusMessage BookingLimit="{limit}"><StatusApplicationControl Start="{day(start)}" '
            f'End="{day(end)}" InvTypeCode="{room_code}"/>{inner}</AvailStatusMessage>')


def rate_message(start: int, end: int, amount: str = "12000", room_code: str = "DBL",
                 decimals: str = "2", currency: str = "EUR") -> str:
    return (f'<RateAmountMessage><StatusApplicationControl Start="{day(start)}" End="{day(end)}" '
            f'InvTypeCode="{room_code}" RatePlanCode="BAR"/><Rates><Rate><BaseByGuestAmts>'
            f'<BaseByGuestAmt AmountAfterTax="{amount}" DecimalPlaces="{decimals}" CurrencyCode="{currency}"/>'
            f'</BaseByGuestAmts></Rate></Rates></RateAmountMessage>')


def ota_outcome(root: ET.Element) -> tuple[bool, list[str], list[str]]:
    """(Success?, warning codes, error codes) of an OTA answer."""
    return (root.find(f"{{{NS}}}Success") is not None,
            [w.get("Code") for w in root.iter(f"{{{NS}}}Warning")],
            [e.get("Code") for e in root.iter(f"{{{NS}}}Error")])


def stay(**overrides) -> dict:
    return {"property_code": "P1", "room_code": "DBL", "check_in": day(0), "check_out": day(2), "rooms": 1,
            "guests": 2, "guest_name": "Ada Lovelace", "total_minor": 24000, "currency": "EUR", **overrides}


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.02)


def rpc_error(code: int, reason: str, message: str, retry_after: float | None = None) -> grpc.Status:
    """A status as hotelagg sends it: google.rpc.Status with ErrorInfo, and RetryInfo if asked."""
    details = [error_details_pb2.ErrorInfo(reason=reason, domain="hotelagg.partner.v1")]
    if retry_after is not None:
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(int(retry_after * 1e9))
        details.append(error_details_pb2.RetryInfo(retry_delay=delay))
    packed = []
    for detail in details:
        packed.append(any_pb2.Any())
        packed[-1].Pack(detail)
    return rpc_status.to_status(status_pb2.Status(code=code, message=message, details=packed))


@dataclass
class FakePartnerService(partner_pb2_grpc.PartnerServiceServicer):
    """NotifyReservation only; `failures` are aborted with, one per call, before answering."""

    failures: list[grpc.Status] = field(default_factory=list)
    over_capacity: bool = False
    calls: list[tuple[partner_pb2.NotifyReservationRequest, dict, float]] = field(default_factory=list)
    target: str = ""
    _server: grpc.aio.Server | None = None

    async def NotifyReservation(self, request, context):
        self.calls.append((request, dict(context.invocation_metadata()), time.monotonic()))
        if self.failures:
            await context.abort_with_status(self.failures.pop(0))
        r = request.reservation
        return partner_pb2.NotifyReservationResponse(
            booking_id=f"B-{r.partner_reservation_id}", over_capacity=self.over_capacity, revision=r.revision)

    async def start(self) -> None:
        self._server = grpc.aio.server()
        partner_pb2_grpc.add_PartnerServiceServicer_to_server(self, self._server)
        self.target = f"127.0.0.1:{self._server.add_insecure_port('127.0.0.1:0')}"
        await self._server.start()

    async def stop(self) -> None:
        await self._server.stop(0)


@dataclass
class OtaAnswer:
    status: int = 200
    error_code: str = ""
    retry_after: str | None = None


@dataclass
class FakeOtaWebhook:
    """hotelagg's OTA_HotelResNotifRQ receiver; `answers` are given in turn, then Success."""

    answers: list[OtaAnswer] = field(default_factory=list)
    over_capacity: bool = False
    received: list[tuple[ET.Element, dict, str, float]] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/partners/{partner_id}/ota/OTA_HotelResNotifRQ", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        root = ET.fromstring(await request.read())
        self.received.append((root, dict(request.headers), request.match_info["partner_id"], time.monotonic()))
        answer = self.answers.pop(0) if self.answers else OtaAnswer()
        headers = {"Retry-After": answer.retry_after} if answer.retry_after else None
        return web.Response(status=answer.status, body=self._rs(root.get("EchoToken"), answer),
                            content_type="application/xml", headers=headers)

    def _rs(self, echo_token: str, answer: OtaAnswer) -> bytes:
        if answer.error_code:
            inner = f'<Errors><Error Type="3" Code="{answer.error_code}" ShortText="refused"/></Errors>'
        else:
            warning = ('<Warnings><Warning Type="3" Code="OVER_CAPACITY" ShortText="over"/></Warnings>'
                       if self.over_capacity else "")
            inner = ('<Success/><HotelReservations><HotelReservation><ResGlobalInfo><HotelReservationIDs>'
                     '<HotelReservationID ResID_Type="10" ResID_Value="B-OTA-1"/></HotelReservationIDs>'
                     f'</ResGlobalInfo></HotelReservation></HotelReservations>{warning}')
        return (f'<OTA_HotelResNotifRS xmlns="{NS}" EchoToken="{echo_token}" Version="1.0">{inner}'
                '</OTA_HotelResNotifRS>').encode()


UNAVAILABLE = code_pb2.UNAVAILABLE
INVALID_ARGUMENT = code_pb2.INVALID_ARGUMENT
