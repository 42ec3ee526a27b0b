"""Fault injection: what a flaky gateway does to its API (latency, errors, outages).

Faults hit every `/v1/` route, never `/health` or `/admin/*`, so a test can always steer the sandbox.
They strike before the handler runs: a 503 here means nothing happened, and a retry under the same
Idempotency-Key is a first attempt.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import asdict, dataclass

from aiohttp import web

from .model import bad_request
from .validation import reject_unknown


@dataclass
class FaultSettings:
    latency_ms: int = 0
    error_rate: float = 0.0
    outage: bool = False

    def update(self, body: dict) -> None:
        """Any subset of the fields; all validated before any is applied."""
        reject_unknown(body, self.__dataclass_fields__)
        changes = {name: _check(name, body[name]) for name in self.__dataclass_fields__ if name in body}
        for name, value in changes.items():
            setattr(self, name, value)

    def to_json(self) -> dict:
        return asdict(self)


def _check(name: str, value: object) -> object:
    if name == "outage":
        if not isinstance(value, bool):
            raise bad_request(name, "must be true or false")
        return value
    if name == "latency_ms":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 60_000:
            raise bad_request(name, "must be an integer in [0, 60000]")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise bad_request(name, "must be a number in [0, 1]")  # NaN fails the range test too
    return float(value)


def exempt(path: str) -> bool:
    return not path.startswith("/v1/")


def unavailable(fault: str, message: str) -> web.Response:
    body = {"error": "unavailable", "message": message, "fault": fault}
    # Retry-After lets a client back off as it would from a real gateway.
    return web.json_response(body, status=503, headers={"Retry-After": "1"})


def fault_middleware(faults: FaultSettings, rng: random.Random):
    @web.middleware
    async def apply_faults(request: web.Request, handler):
        if exempt(request.path):
            return await handler(request)
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.outage:
            return unavailable("outage", "the payment gateway is down (sandbox outage)")
        if faults.error_rate and rng.random() < faults.error_rate:
            return unavailable("error_rate", "the payment gateway failed (sandbox injected error)")
        return await handler(request)

    return apply_faults
