"""API fault injection both sandboxes offer: latency, injected errors and outages, steered by
`GET/POST /admin/faults`.

Faults strike before the handler runs: a 503 here means the request did nothing, so a retry under
the same Idempotency-Key is a first attempt. The one exception is a *stall* (`"stall": {"route":
"POST /v1/payments/{payment_id}/capture", "when": "before" | "after", "ms": N}`), which hangs one route
so a test can kill its caller at a chosen step: `before` the work (a caller that gives up or dies
leaves nothing done: the request never arrived), or `after` it (done, and the answer lost).
"""

from __future__ import annotations

import abc
import asyncio
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

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
        # A stall is shown only while one is set (see Stall): the faults read as before otherwise.
        return {name: value for name, value in asdict(self).items() if not (name == "stall" and value is None)}


STALL_WHEN = ("before", "after")
MAX_STALL_MS = 120_000


@dataclass
class Stall:
    """One route that hangs `ms`: `route` is the method and the route as the router spells it."""

    route: str
    when: str
    ms: int
    caught: int = 0  # requests it has held so far (read back through GET /admin/faults)
    dropped: int = 0  # of those, held `before` and left undone because their caller had gone

    def matches(self, request: web.Request) -> bool:
        resource = request.match_info.route.resource
        return resource is not None and f"{request.method} {resource.canonical}" == self.route


def parse_stall(value: Any, bad_request: Callable[[str, str], Exception]) -> Stall | None:
    """`null` lifts the stall; `bad_request(field, message)` is the sandbox's own refusal."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"route", "when", "ms"}:
        raise bad_request("stall", 'must be null or {"route", "when", "ms"}')
    route, when, ms = value["route"], value["when"], value["ms"]
    if not isinstance(route, str) or len(route.split(" ")) != 2:
        raise bad_request("stall.route", 'must be "METHOD /route/{as}/registered"')
    if when not in STALL_WHEN:
        raise bad_request("stall.when", "must be before or after")
    if isinstance(ms, bool) or not isinstance(ms, int) or not 0 <= ms <= MAX_STALL_MS:
        raise bad_request("stall.ms", f"must be an integer in [0, {MAX_STALL_MS}]")
    return Stall(route, when, ms)


def _gone(request: web.Request) -> bool:
    """The caller hung up (or died): a request it stopped waiting for before it was handled never happened."""
    return request.transport is None or request.transport.is_closing()


async def _stalled(stall: Stall, request: web.Request, handler) -> web.StreamResponse:
    if stall.when == "before":
        stall.caught += 1
        await asyncio.sleep(stall.ms / 1000)
        if _gone(request):
            stall.dropped += 1
            return web.Response(status=499)  # nobody reads it; the work was never done
        return await handler(request)
    response = await handler(request)
    stall.caught += 1
    await asyncio.sleep(stall.ms / 1000)
    return response


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
        stall = getattr(faults, "stall", None)
        if stall is not None and stall.matches(request):
            return await _stalled(stall, request, handler)
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
