"""Fault injection: what a flaky gateway does to its API (latency, errors, outages).

Faults (see sandbox/common/faults.py) hit every `/v1/` route, never `/health` or `/admin/*`, so a
test can always steer the sandbox.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..common import faults as common
from .model import bad_request
from .validation import reject_unknown


@dataclass
class FaultSettings(common.BaseFaultSettings):
    stall: common.Stall | None = None

    def validated(self, body: dict) -> dict[str, object]:
        reject_unknown(body, self.__dataclass_fields__)
        return {name: _check(name, body[name]) for name in self.__dataclass_fields__ if name in body}


def _check(name: str, value: object) -> object:
    if name == "stall":
        return common.parse_stall(value, bad_request)
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


def fault_middleware(faults: FaultSettings, rng: random.Random):
    return common.fault_middleware(faults, rng, exempt=exempt, server="the payment gateway")
