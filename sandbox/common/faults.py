"""API fault injection both sandboxes offer: latency, injected errors and outages, steered by
`GET/POST /admin/faults`.

Faults strike before the handler runs: a 503 here means the request did nothing, so a retry under
the same Idempotency-Key is a first attempt.
"""

from __future__ import annotations

import abc
import asyncio
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass

from aiohttp import web

from .http import answer


@dataclass
class BaseFaultSettings(abc.ABC):
    """The API faults; a sandbox subclasses it to add its own and to check bodies its own way."""

    latency_ms: int = 0
    error_rate: float = 0.0
    outage: bool = False

    def update(self, body: dict) -> None:
        """Any subset of the fields; all validated before any is applied."""
        for name, value in self.validated(body).items():
            setattr(self, name, value)

    @abc.abstractmethod
    def validated(self, body: dict) -> dict[str, object]:
        """The fields `body` sets, checked; raises the sandbox's own bad_request."""

    def to_json(self) -> dict:
        return asdict(self)


def unavailable(fault: str, message: str) -> web.Response:
    body = {"error": "unavailable", "message": message, "fault": fault}
    # Retry-After lets a client back off as it would from a real server.
    return web.json_response(body, status=503, headers={"Retry-After": "1"})


def fault_middleware(faults: BaseFaultSettings, rng: random.Random, *,
                     exempt: Callable[[str], bool], server: str):
    """`exempt` paths are never faulted; `server` names the sandbox in messages ("the payment gateway")."""

    @web.middleware
    async def apply_faults(request: web.Request, handler):
        if exempt(request.path):
            return await handler(request)
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.outage:
            return unavailable("outage", f"{server} is down (sandbox outage)")
        if faults.error_rate and rng.random() < faults.error_rate:
            return unavailable("error_rate", f"{server} failed (sandbox injected error)")
        return await handler(request)

    return apply_faults


def add_fault_routes(app: web.Application, config_key: web.AppKey, parse_json: Callable[[bytes], dict]) -> None:
    """`GET/POST /admin/faults` on `app[config_key].faults`; `parse_json` is the sandbox's own."""

    async def get_faults(request: web.Request) -> web.Response:
        return answer(request.app[config_key].faults.to_json())

    async def set_faults(request: web.Request) -> web.Response:
        faults = request.app[config_key].faults
        faults.update(parse_json(await request.read()))
        return answer(faults.to_json())

    app.router.add_get("/admin/faults", get_faults)
    app.router.add_post("/admin/faults", set_faults)
