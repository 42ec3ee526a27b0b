"""Sandbox-only routes (no API key, no faults): steer faults, read stats."""

from __future__ import annotations

from aiohttp import web

from .plumbing import CONFIG, IDEMPOTENCY, LEDGER, REQUESTS, answer
from .validation import parse_json


async def get_faults(request: web.Request) -> web.Response:
    return answer(request.app[CONFIG].faults.to_json())


async def set_faults(request: web.Request) -> web.Response:
    faults = request.app[CONFIG].faults
    faults.update(parse_json(await request.read()))
    return answer(faults.to_json())


async def stats(request: web.Request) -> web.Response:
    app = request.app
    return answer({**app[LEDGER].stats(), "requests": request_counts(app[REQUESTS]),
                   "idempotency_keys": len(app[IDEMPOTENCY])})


def request_counts(counts) -> dict:
    def group(prefix: str) -> dict:
        return {name[len(prefix):]: n for name, n in sorted(counts.items()) if name.startswith(prefix)}

    return {"total": counts["total"], "by_route": group("route:"), "by_status": group("status:")}


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin/faults", get_faults)
    app.router.add_post("/admin/faults", set_faults)
    app.router.add_get("/admin/stats", stats)
