"""A thin HTTP client for the sandbox payment gateway, shared by the test_payment_gateway* files.

It holds no tests: it lives here, and not in a conftest, because these files are all this change owns.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from sandbox.payment_gateway import DEFAULT_API_KEY, Config, start
from sandbox.payment_gateway.ledger import Ledger
from sandbox.payment_gateway.plumbing import LEDGER

AUTH = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}


def new_key() -> str:
    return f"k-{uuid.uuid4().hex}"


@dataclass
class Answer:
    status: int
    body: dict | None
    raw: bytes
    headers: dict


class Gateway:
    def __init__(self, runner: web.AppRunner, port: int, http: aiohttp.ClientSession) -> None:
        self.runner = runner
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.http = http

    @property
    def ledger(self) -> Ledger:
        return self.runner.app[LEDGER]

    async def call(self, method: str, path: str, body: object = None, key: str | None = None,
                   headers: dict | None = None, auth: bool = True, raw: bytes | None = None) -> Answer:
        sent = {**(AUTH if auth else {}), **(headers or {})}
        if key is not None:
            sent["Idempotency-Key"] = key
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        async with self.http.request(method, self.base + path, data=data, headers=sent) as r:
            content = await r.read()
            return Answer(r.status, json.loads(content) if content else None, content, dict(r.headers))

    async def authorize(self, token: str = "tok_visa", amount: int = 10_000, currency: str = "EUR",
                        key: str | None = None, **extra) -> Answer:
        body = {"token": token, "amount_minor": amount, "currency": currency, **extra}
        return await self.call("POST", "/v1/payments", body, key or new_key())

    async def act(self, payment_id: str, action: str, amount: int | None = None, key: str | None = None) -> Answer:
        """capture, void or refund; amount None sends no amount (the whole of it)."""
        body = None if amount is None else {"amount_minor": amount}
        return await self.call("POST", f"/v1/payments/{payment_id}/{action}", body, key or new_key())

    async def get(self, payment_id: str) -> Answer:
        return await self.call("GET", f"/v1/payments/{payment_id}")

    async def authorized(self, amount: int = 10_000, token: str = "tok_visa") -> str:
        answer = await self.authorize(token, amount)
        assert answer.status == 201, answer.body
        return answer.body["payment_id"]

    async def stats(self) -> dict:
        return (await self.call("GET", "/admin/stats", auth=False)).body

    async def faults(self, **faults) -> Answer:
        return await self.call("POST", "/admin/faults", faults, auth=False)


@asynccontextmanager
async def serving(config: Config | None = None) -> AsyncIterator[Gateway]:
    """A fresh gateway on a free port; a short shutdown so a hanging tok_timeout never holds a test."""
    runner, port = await start(port=0, config=config, shutdown_timeout=0.2)
    try:
        async with aiohttp.ClientSession() as http:
            yield Gateway(runner, port, http)
    finally:
        await runner.cleanup()
