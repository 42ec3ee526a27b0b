"""The sandbox channel manager's HTTP API (PROTOCOL.md), and how to run it in-process.

`create_app` builds the application; `start` serves it (port 0 picks a free port, for tests).
"""

from __future__ import annotations

import asyncio
import logging
import random

from aiohttp import web

from ..common.runner import start_app, sweep_forever
from . import admin
from .competitors import Competitors
from .config import Config
from .demo import seed_demo
from .faults import fault_middleware
from .model import CMError
from .plumbing import (
    COMPETITORS,
    CONFIG,
    PUSHER,
    STATE,
    answer,
    auth_middleware,
    idempotent,
    json_errors,
)
from .state import State
from .validation import (
    parse_ari_query,
    parse_changes_query,
    parse_json,
    parse_reserve,
    parse_subscription,
)
from .webhooks import Pusher

log = logging.getLogger("sandbox.channel_manager")


async def health(request: web.Request) -> web.Response:
    return answer({"status": "ok"})


async def list_hotels(request: web.Request) -> web.Response:
    return answer({"hotels": [h.to_json() for h in request.app[STATE].hotels.values()]})


async def get_ari(request: web.Request) -> web.Response:
    start, end, room_type = parse_ari_query(request.query)
    return answer(request.app[STATE].ari(request.match_info["hotel_code"], start, end, room_type))


async def get_changes(request: web.Request) -> web.Response:
    since, limit = parse_changes_query(request.query)
    return answer(request.app[STATE].changes(request.match_info["hotel_code"], since, limit))


async def reserve(request: web.Request) -> web.Response:
    state = request.app[STATE]

    def produce(raw: bytes) -> tuple[int, dict]:
        return 201, state.reserve(parse_reserve(parse_json(raw))).to_json()

    return idempotent(request, await request.read(), produce)


async def confirm(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return idempotent(request, b"", lambda _: (200, state.confirm(request.match_info["id"]).to_json()))


async def cancel(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return idempotent(request, b"", lambda _: (200, state.cancel(request.match_info["id"]).to_json()))


async def get_reservation(request: web.Request) -> web.Response:
    return answer(request.app[STATE].reservation(request.match_info["id"]).to_json())


async def subscribe(request: web.Request) -> web.Response:
    url, secret = parse_subscription(parse_json(await request.read()))
    return answer({"subscription_id": request.app[PUSHER].subscribe(url, secret)}, 201)


async def unsubscribe(request: web.Request) -> web.Response:
    subscription_id = request.match_info["id"]
    if not await request.app[PUSHER].unsubscribe(subscription_id):
        raise CMError("unknown_subscription", f"no subscription {subscription_id}",
                      subscription_id=subscription_id)
    return web.Response(status=204)


async def expire_holds(state: State, interval: float) -> None:
    """Lapsed holds are also expired on access; this loop makes their rooms (and the +deltas)
    come back even when nobody asks, and forgets idempotency keys past their retention."""

    def sweep() -> None:
        state.expire_due()
        state.idempotency.prune()

    await sweep_forever(interval, sweep, log, "expiry sweep")


async def _background(app: web.Application):
    """Tasks that live exactly as long as the served app (aiohttp cleanup context)."""
    await app[PUSHER].start()
    tasks = [
        asyncio.create_task(expire_holds(app[STATE], app[CONFIG].expiry_interval), name="cm-expiry"),
        asyncio.create_task(app[COMPETITORS].run(), name="cm-competitors"),
    ]
    yield
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await app[PUSHER].close()


def create_app(config: Config | None = None) -> web.Application:
    config = config or Config()
    rng = random.Random(config.random_seed)
    state = State()
    pusher = Pusher(config.faults, config.webhooks, random.Random(rng.random()))
    state.listeners.append(pusher.publish)
    if config.seed_demo:
        seed_demo(state)
    app = web.Application(middlewares=[
        json_errors, fault_middleware(config.faults, random.Random(rng.random())),
        auth_middleware(),
    ])
    app[CONFIG], app[STATE], app[PUSHER] = config, state, pusher
    app[COMPETITORS] = Competitors(state, config.competitors, random.Random(rng.random()))
    app.cleanup_ctx.append(_background)
    _add_routes(app)
    admin.add_routes(app)
    return app


def _add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/health", health)
    r.add_get("/hotels", list_hotels)
    r.add_get("/hotels/{hotel_code}/ari", get_ari)
    r.add_get("/hotels/{hotel_code}/changes", get_changes)
    r.add_post("/reservations", reserve)
    r.add_post("/reservations/{id}/confirm", confirm)
    r.add_post("/reservations/{id}/cancel", cancel)
    r.add_get("/reservations/{id}", get_reservation)
    r.add_post("/subscriptions", subscribe)
    r.add_delete("/subscriptions/{id}", unsubscribe)


async def start(host: str = "127.0.0.1", port: int = 0, config: Config | None = None,
                shutdown_timeout: float = 5.0) -> tuple[web.AppRunner, int]:
    """Serve on host:port and return the runner (its `.app` holds STATE, PUSHER...) and the bound port.
    Stop with `await runner.cleanup()`, which also ends the background tasks."""
    return await start_app(create_app(config), host, port, shutdown_timeout, log, "sandbox channel manager")
