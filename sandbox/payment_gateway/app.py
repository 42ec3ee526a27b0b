"""The sandbox payment gateway's HTTP API (PROTOCOL.md), and how to run it in-process.

`create_app` builds the application; `start` serves it (port 0 picks a free port, for tests).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter

from aiohttp import web

from ..common.runner import start_app, sweep_forever
from . import admin
from .config import Config
from .faults import fault_middleware
from .idempotency import IdempotencyStore
from .ledger import Ledger
from .model import PaymentError
from .plumbing import (
    CONFIG,
    IDEMPOTENCY,
    LEDGER,
    REQUESTS,
    answer,
    auth_middleware,
    count_requests,
    idempotent,
    json_errors,
)
from .validation import parse_amount_only, parse_authorize, parse_empty

log = logging.getLogger("sandbox.payment_gateway")


async def health(request: web.Request) -> web.Response:
    return answer({"status": "ok"})


async def authorize(request: web.Request) -> web.Response:
    app = request.app

    async def produce(body: dict) -> tuple[int, dict]:
        authorization = parse_authorize(body)
        if authorization.card.hangs:
            # The card network never answers in time: the client gives up first, nothing is created.
            await asyncio.sleep(app[CONFIG].hang_seconds)
            raise PaymentError("gateway_timeout", "the card network did not answer (tok_timeout)")
        return 201, app[LEDGER].authorize(authorization).to_json()

    return await idempotent(request, produce)


async def capture(request: web.Request) -> web.Response:
    ledger, payment_id = request.app[LEDGER], request.match_info["payment_id"]

    async def produce(body: dict) -> tuple[int, dict]:
        return 200, ledger.capture(payment_id, parse_amount_only(body)).to_json()

    return await idempotent(request, produce)


async def void(request: web.Request) -> web.Response:
    ledger, payment_id = request.app[LEDGER], request.match_info["payment_id"]

    async def produce(body: dict) -> tuple[int, dict]:
        parse_empty(body)
        return 200, ledger.void(payment_id).to_json()

    return await idempotent(request, produce)


async def refund(request: web.Request) -> web.Response:
    ledger, payment_id = request.app[LEDGER], request.match_info["payment_id"]

    async def produce(body: dict) -> tuple[int, dict]:
        return 200, ledger.refund(payment_id, parse_amount_only(body)).to_json()

    return await idempotent(request, produce)


async def get_payment(request: web.Request) -> web.Response:
    return answer(request.app[LEDGER].payment(request.match_info["payment_id"]).to_json())


async def forget_stale_keys(store: IdempotencyStore, interval: float) -> None:
    """Keys are kept 24 h (PROTOCOL.md); without this a long-running sandbox only ever grows."""
    await sweep_forever(interval, store.prune, log, "idempotency sweep")


async def _background(app: web.Application):
    """Tasks that live exactly as long as the served app (aiohttp cleanup context)."""
    task = asyncio.create_task(forget_stale_keys(app[IDEMPOTENCY], app[CONFIG].sweep_interval),
                               name="payments-key-sweep")
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def create_app(config: Config | None = None) -> web.Application:
    config = config or Config()
    ledger = Ledger(authorization_ttl=config.authorization_ttl)
    app = web.Application(middlewares=[
        count_requests, json_errors,
        fault_middleware(config.faults, random.Random(config.random_seed)),
        auth_middleware(config.api_key),
    ])
    app[CONFIG], app[LEDGER], app[REQUESTS] = config, ledger, Counter()
    app[IDEMPOTENCY] = IdempotencyStore(ledger.clock, config.idempotency_keep)
    app.cleanup_ctx.append(_background)
    _add_routes(app)
    admin.add_routes(app)
    return app


def _add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/health", health)
    r.add_post("/v1/payments", authorize)
    r.add_post("/v1/payments/{payment_id}/capture", capture)
    r.add_post("/v1/payments/{payment_id}/void", void)
    r.add_post("/v1/payments/{payment_id}/refund", refund)
    r.add_get("/v1/payments/{payment_id}", get_payment)


async def start(host: str = "127.0.0.1", port: int = 0, config: Config | None = None,
                shutdown_timeout: float = 5.0) -> tuple[web.AppRunner, int]:
    """Serve on host:port and return the runner (its `.app` holds LEDGER, CONFIG...) and the bound port.
    Stop with `await runner.cleanup()`; a tok_timeout request still hanging is cut after shutdown_timeout."""
    return await start_app(create_app(config), host, port, shutdown_timeout, log, "sandbox payment gateway")
