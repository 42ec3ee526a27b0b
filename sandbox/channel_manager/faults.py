"""Fault injection: what a flaky channel manager does to its API and its webhooks.

API faults (see sandbox/common/faults.py) hit every route but `/health` and `/admin/*`, so a test
can always steer the sandbox and a supervisor can always see it is up. The webhook rates are read
by the pusher (webhooks.py).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..common import faults as common
from .model import bad_request
from .validation import get_bool, get_int, get_number, reject_unknown

RATES = ("error_rate", "webhook_drop_rate", "webhook_duplicate_rate", "webhook_reorder_rate")


@dataclass
class FaultSettings(common.BaseFaultSettings):
    webhook_drop_rate: float = 0.0
    webhook_duplicate_rate: float = 0.0
    webhook_reorder_rate: float = 0.0
    stall: common.Stall | None = None

    def validated(self, body: dict) -> dict[str, object]:
        reject_unknown(body, self.__dataclass_fields__)
        changes: dict[str, object] = {}
        if "latency_ms" in body:
            changes["latency_ms"] = get_int(body, "latency_ms", lo=0, hi=60_000)
        if "outage" in body:
            changes["outage"] = get_bool(body, "outage")
        if "stall" in body:
            changes["stall"] = common.parse_stall(body["stall"], bad_request)
        for name in RATES:
            if name in body:
                changes[name] = get_number(body, name, lo=0.0, hi=1.0)
        return changes


def exempt(path: str) -> bool:
    return path == "/health" or path.startswith("/admin/") or path == "/admin"


def fault_middleware(faults: FaultSettings, rng: random.Random):
    return common.fault_middleware(faults, rng, exempt=exempt, server="the channel manager")
