"""A thin HTTP client for the sandbox channel manager, and a webhook receiver to point it at."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import time
from collections import Counter
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from sandbox.channel_manager.plumbing import STATE
from sandbox.channel_manager.state import State

API_KEY = "sandbox-key"
START = dt.date(2030, 1, 1)  # far from today, so no test depends on the calendar


def day(offset: int) -> str:
    return (START + dt.timedelta(days=offset)).isoformat()


class CM:
    def __init__(self, runner: web.AppRunner, port: int) -> None:
        self.runner = runner
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.http: aiohttp.ClientSession | None = None

    @property
    def state(self) -> State:
        return self.runner.app[STATE]

    async def open(self) -> None:
        self.http = aiohttp.ClientSession(self.base, headers={"X-Api-Key": API_KEY})

    async def close(self) -> None:
        await self.http.close()

    async def call(self, method: str, path: str, body: object = None, key: str | None = None,
                   headers: dict | None = None, **params) -> tuple[int, dict | None]:
        headers = dict(headers or {})
        if key is not None:
            headers["Idempotency-Key"] = key
        async with self.http.request(method, path, json=body, params=params or None, headers=headers) as r:
            text = await r.text()
            return r.status, (json.loads(text) if text else None)

    async def get(self, path: str, **params) -> tuple[int, dict]:
        return await self.call("GET", path, **params)

    async def post(self, path: str, body: object = None, key: str | None = None) -> tuple[int, dict]:
        return await self.call("POST", path, body, key)

    async def add_hotel(self, code: str = "T-1", totals: dict[str, int] | None = None,
                        nights: int = 10, price: int = 10000) -> dict:
        totals = totals or {"STD": 5}
        status, body = await self.post("/admin/hotels", {
            "hotel_code": code, "name": f"Hotel {code}", "currency": "EUR", "start": day(0),
            "nights": nights,
            "room_types": [{"code": c, "name": c, "total": t, "price_minor": price} for c, t in totals.items()],
        })
        assert status == 201, body
        return body

    async def reserve(self, check_in: int = 0, check_out: int = 2, rooms: int = 1, hotel: str = "T-1",
                      room_type: str = "STD", key: str | None = None, **extra) -> tuple[int, dict]:
        body = {"hotel_code": hotel, "room_type_code": room_type, "check_in": day(check_in),
                "check_out": day(check_out), "rooms": rooms, "channel": "hotelagg", **extra}
        return await self.post("/reservations", body, key)

    async def available(self, hotel: str = "T-1", room_type: str = "STD", start: int = 0, end: int = 10) -> list[int]:
        status, body = await self.get(f"/hotels/{hotel}/ari", start=day(start), end=day(end), room_type=room_type)
        assert status == 200, body
        return [n["available"] for n in body["room_types"][0]["nights"]]

    async def changes(self, hotel: str = "T-1", since: int = 0, limit: int = 1000) -> dict:
        status, body = await self.get(f"/hotels/{hotel}/changes", since=since, limit=limit)
        assert status == 200, body
        return body

    async def subscribe(self, url: str, secret: str = "s3cret") -> str:
        status, body = await self.post("/subscriptions", {"url": url, "secret": secret})
        assert status == 201, body
        return body["subscription_id"]


@dataclass
class Received:
    event: dict
    raw: bytes
    headers: dict
    at: float


@dataclass
class Receiver:
    """Collects webhook POSTs; `fail_first` answers 500 to the first N attempts of each event."""

    fail_first: int = 0
    received: list[Received] = field(default_factory=list)
    attempts: Counter = field(default_factory=Counter)
    url: str = ""
    _runner: web.AppRunner | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hook"

    async def stop(self) -> None:
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        event_id = request.headers["X-CM-Event-Id"]
        self.attempts[event_id] += 1
        if self.attempts[event_id] <= self.fail_first:
            return web.Response(status=500)
        self.received.append(Received(json.loads(raw), raw, dict(request.headers), time.monotonic()))
        self._arrived.set()
        return web.Response(status=204)

    def ids(self) -> Counter:
        return Counter(r.event["event_id"] for r in self.received)

    async def wait_for(self, count: int, timeout: float = 5.0) -> None:
        """Until `count` deliveries (not distinct events) have been acknowledged."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{len(self.received)} of {count} webhooks arrived")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                pass


def verify(secret: str, header: str, raw: bytes, tolerance: float = 300) -> bool:
    """What a receiver does with X-CM-Signature (ARCHITECTURE §5 rule 6): HMAC and freshness."""
    parts = dict(p.split("=", 1) for p in header.split(","))
    timestamp = int(parts["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - timestamp) <= tolerance
