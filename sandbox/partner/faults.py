"""Fault injection on the ARI routes: what a flaky partner does to the requests hotelagg sends it.

Faults strike before the handler runs, so a faulted request did nothing and the same key again is a
first attempt. `/health` and `/admin/*` are never faulted, so a test can always steer the partner.
Order: latency, then outage, force_429, error_rate, timeout_rate (the first that strikes answers).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from ..common import faults as common
from ..common.http import answer
from .validation import get_bool, get_int, get_number, reject_unknown

MAX_TIMEOUT_SECONDS = 600


@dataclass
class FaultSettings(common.BaseFaultSettings):
    timeout_rate: float = 0.0  # hang timeout_seconds, then answer 504
    timeout_seconds: float = 30.0
    force_429: bool = False  # answer every ARI request 429 with Retry-After: retry_after_seconds
    retry_after_seconds: int = 1

    def validated(self, body: dict) -> dict[str, object]:
        reject_unknown(body, self.__dataclass_fields__)
        changes: dict[str, object] = {}
        for name, hi in (("latency_ms", 60_000), ("retry_after_seconds", 3600)):
            if name in body:
                changes[name] = get_int(body, name, lo=1 if name == "retry_after_seconds" else 0, hi=hi)
        for name in ("outage", "force_429"):
            if name in body:
                changes[name] = get_bool(body, name)
        for name in ("error_rate", "timeout_rate"):
            if name in body:
                changes[name] = get_number(body, name, lo=0.0, hi=1.0)
        if "timeout_seconds" in body:
            changes["timeout_seconds"] = get_number(body, "timeout_seconds", lo=0.0, hi=MAX_TIMEOUT_SECONDS)
        return changes


def exempt(path: str) -> bool:
    return path == "/health" or path == "/admin" or path.startswith("/admin/")


def strike(faults: FaultSettings, rng: random.Random) -> str | None:
    """The fault that hits this request, if any."""
    if faults.outage:
        return "outage"
    if faults.force_429:
        return "force_429"
    if faults.error_rate and rng.random() < faults.error_rate:
        return "error_rate"
    if faults.timeout_rate and rng.random() < faults.timeout_rate:
        return "timeout_rate"
    return None


def fault_answer(fault: str, faults: FaultSettings, rng: random.Random) -> web.Response:
    if fault == "force_429":
        return _refusal(429, "RATE_LIMITED", "too many requests (sandbox forced 429)", fault,
                        faults.retry_after_seconds)
    if fault == "timeout_rate":
        return _refusal(504, "TIMEOUT", "the partner took too long (sandbox injected timeout)", fault)
    if fault == "error_rate" and rng.random() < 0.5:
        # Half 500 and half 503: a client must take both as transient.
        return _refusal(500, "INTERNAL", "the partner failed (sandbox injected error)", fault)
    return _refusal(503, "UNAVAILABLE", f"the partner is unavailable (sandbox {fault})", fault, 1)


def _refusal(status: int, code: str, message: str, fault: str, retry_after: int | None = None) -> web.Response:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return answer({"error": {"code": code, "message": message, "fault": fault}}, status, headers)


def fault_middleware(faults: FaultSettings, rng: random.Random,
                     on_fault: Callable[[web.Request, str, int], None]):
    """`on_fault(request, fault, status)` is told of every faulted request (the stats count them)."""

    @web.middleware
    async def apply_faults(request: web.Request, handler):
        if exempt(request.path):
            return await handler(request)
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        fault = strike(faults, rng)
        if fault is None:
            return await handler(request)
        if fault == "timeout_rate":
            await asyncio.sleep(faults.timeout_seconds)
        response = fault_answer(fault, faults, rng)
        on_fault(request, fault, response.status)
        return response

    return apply_faults
