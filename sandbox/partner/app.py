"""The sandbox partner's HTTP server (PROTOCOL.md), and how to run it in-process.

`create_app` builds the application; `start` serves it (port 0 picks a free port, for tests).
"""

from __future__ import annotations

import asyncio
import logging
import random

from aiohttp import web

from ..common.http import answer
from ..common.runner import start_app, sweep_forever
from . import admin, receive
from .config import Config
from .faults import fault_middleware
from .model import PROTOCOLS
from .notifier import Notifier
from .notify_grpc import GrpcSender
from .notify_ota import OtaSender
from .plumbing import CONFIG, NOTIFIER, STATE, PartnerState, json_errors
from .seller import Seller

log = logging.getLogger("sandbox.partner")

MAX_BODY = 32 * 1024 * 1024  # a year of nights for many rooms is well over aiohttp's 1 MiB default


async def health(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    return answer({"status": "ok", "protocol": config.protocol, "partner_id": config.partner_id})


def sender_for(config: Config) -> GrpcSender | OtaSender:
    if config.protocol == "json_rest":
        return GrpcSender(config.hotelagg_target, config.api_key, config.notify_timeout)
    return OtaSender(config.hotelagg_webhook_url, config.partner_id, config.api_key, config.notify_timeout)


async def _background(app: web.Application):
    """Tasks that live exactly as long as the served app (aiohttp cleanup context)."""
    state, config = app[STATE], app[CONFIG]
    seller = Seller(state, app[NOTIFIER], config.sell_rate, random.Random(config.random_seed))
    tasks = [asyncio.create_task(sweep_forever(config.sweep_interval, state.keys.prune, log, "key sweep"),
                                 name="partner-keys"),
             asyncio.create_task(seller.run(), name="partner-seller")]
    yield
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await app[NOTIFIER].close()


def create_app(config: Config | None = None) -> web.Application:
    config = config or Config()
    if config.protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, not {config.protocol!r}")
    rng = random.Random(config.random_seed)
    state = PartnerState(config)

    def on_fault(request: web.Request, fault: str, status: int) -> None:
        state.ledger.record(request.match_info.get("message", "ari"), "faulted", status,
                            property_code=request.match_info.get("property_code"), reason=fault)

    app = web.Application(client_max_size=MAX_BODY, middlewares=[
        json_errors, fault_middleware(config.faults, random.Random(rng.random()), on_fault)])
    app[CONFIG], app[STATE] = config, state
    app[NOTIFIER] = Notifier(sender_for(config), config.retry, random.Random(rng.random()))
    app.cleanup_ctx.append(_background)
    app.router.add_get("/health", health)
    receive.add_routes(app, config.protocol)
    admin.add_routes(app)
    return app


async def start(host: str = "127.0.0.1", port: int = 0, config: Config | None = None,
                shutdown_timeout: float = 5.0) -> tuple[web.AppRunner, int]:
    """Serve on host:port and return the runner (its `.app` holds STATE, NOTIFIER...) and the bound port.
    Stop with `await runner.cleanup()`, which also ends the background tasks."""
    config = config or Config()
    return await start_app(create_app(config), host, port, shutdown_timeout, log,
                           f"sandbox partner {config.partner_id} ({config.protocol})")
