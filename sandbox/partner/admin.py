"""Sandbox-only routes (never faulted): read what the partner stored and did, steer faults, reset."""

from __future__ import annotations

from aiohttp import web

from ..common.faults import add_fault_routes
from ..common.http import answer
from . import admin_reservations
from .ledger import KEEP_REQUESTS
from .model import invalid
from .plumbing import CONFIG, NOTIFIER, STATE
from .validation import parse_json

DEFAULT_REQUESTS = 100


async def inventory(request: web.Request) -> web.Response:
    return answer(request.app[STATE].inventory.to_json())


async def stats(request: web.Request) -> web.Response:
    return answer(request.app[STATE].ledger.stats())


async def requests(request: web.Request) -> web.Response:
    text = request.query.get("limit", str(DEFAULT_REQUESTS))
    if not text.isdigit() or not 0 < int(text) <= KEEP_REQUESTS:
        raise invalid("limit", f"must be a whole number in [1, {KEEP_REQUESTS}]")
    return answer({"requests": request.app[STATE].ledger.recent(int(text))})


async def history(request: web.Request) -> web.Response:
    return answer(request.app[STATE].inventory.history_json())


async def reset(request: web.Request) -> web.Response:
    """Forgets nights, keys, rate windows, stats, the log and reservations (their retries stop);
    faults stay as they are."""
    await request.app[NOTIFIER].stop_all()
    request.app[STATE].reset()
    return answer({"reset": True})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin/inventory", inventory)
    app.router.add_get("/admin/stats", stats)
    app.router.add_get("/admin/requests", requests)
    app.router.add_get("/admin/history", history)
    app.router.add_post("/admin/reset", reset)
    add_fault_routes(app, CONFIG, parse_json)
    admin_reservations.add_routes(app)
