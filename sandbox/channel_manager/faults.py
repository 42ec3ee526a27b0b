"""Fault injection: what a flaky channel manager does to its API and its webhooks.

API faults hit every route but `/health` and `/admin/*`, so a test can always steer the sandbox
and a supervisor can always see it is up. They strike before the handler runs: a 503 here means
the request did nothing (a retry with the same Idempotency-Key is then a first attempt).
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import asdict, dataclass

from aiohttp import web

from .validation import get_bool, get_int, get_number, reject_unknown

RATES = ("error_rate", "webhook_drop_rate", "webhook_duplicate_rate", "webhook_reorder_rate")


@dataclass
class FaultSettings:
    latency_ms: int = 0
    error_rate: float = 0.0
    outage: bool = False
    webhook_drop_rate: float = 0.0
    webhook_duplicate_rate: float = 0.0
    webhook_reorder_rate: float = 0.0

    def update(self, body: dict) -> None:
        """Any subset of the fields; all validated before any is applied."""
        reject_unknown(body, self.__dataclass_fields__)
        changes: dict[str, object] = {}
        if "latency_ms" in body:
            changes["latency_ms"] = get_int(body, "latency_ms", lo=0, hi=60_000)
        if "outage" in body:
            changes["outage"] = get_bool(body, "outage")
        for name in RATES:
            if name in body:
                changes[name] = get_number(body, name, lo=0.0, hi=1.0)
        for name, value in changes.items():
            setattr(self, name, value)

    def to_json(self) -> dict:
        return asdict(self)


def exempt(path: str) -> bool:
    return path == "/health" or path.startswith("/admin/") or path == "/admin"


def unavailable(fault: str, message: str) -> web.Response:
    body = {"error": "unavailable", "message": message, "fault": fault}
    # Retry-After lets a client back off as it would from a real channel manager.
    return web.json_response(body, status=503, headers={"Retry-After": "1"}, dumps=json.dumps)


def fault_middleware(faults: FaultSettings, rng: random.Random):
    @web.middleware
    async def apply_faults(request: web.Request, handler):
        if exempt(request.path):
            return await handler(request)
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.outage:
            return unavailable("outage", "the channel manager is down (sandbox outage)")
        if faults.error_rate and rng.random() < faults.error_rate:
            return unavailable("error_rate", "the channel manager failed (sandbox injected error)")
        return await handler(request)

    return apply_faults
