"""Sandbox-only routes (no API key, no faults): steer faults, read stats."""

from __future__ import annotations

from aiohttp import web

from ..common.faults import add_fault_routes
from .plumbing import CONFIG, IDEMPOTENCY, LEDGER, REQUESTS, answer
from .validation import parse_json


async def stats(request: web.Request) -> web.Response:
    app = request.app
    return answer({**app[LEDGER].stats(), "requests": request_counts(app[REQUESTS]),
                   "idempotency_keys": len(app[IDEMPOTENCY])})


def request_counts(counts) -> dict:
    def group(prefix: str) -> dict:
        return {name[len(prefix):]: n for name, n in sorted(counts.items()) if name.startswith(prefix)}

    return {"total": counts["total"], "by_route": group("route:"), "by_status": group("status:")}


def add_routes(app: web.Application) -> None:
    add_fault_routes(app, CONFIG, parse_json)
    app.router.add_get("/admin/stats", stats)
