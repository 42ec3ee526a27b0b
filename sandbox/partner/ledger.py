"""What the partner did with each ARI request: counters for /admin/stats, a log for /admin/requests."""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass

# outcome → its counter in /admin/stats
COUNTERS = {"applied": "applied", "replay": "replays", "rate_limited": "rate_limited",
            "refused": "rejected", "faulted": "faulted"}
KEEP_REQUESTS = 1000


@dataclass(frozen=True)
class LoggedRequest:
    time: float
    message: str  # "ari" (json_rest), or the OTA message name
    outcome: str  # a COUNTERS key
    status: int
    property_code: str | None = None  # None when it could not be read (malformed, or faulted OTA)
    key: str | None = None
    nights: int = 0
    reason: str | None = None  # the error code of a refusal or the fault that struck

    def to_json(self) -> dict:
        return asdict(self)


class Ledger:
    def __init__(self, clock: Callable[[], float] = time.time, keep: int = KEEP_REQUESTS) -> None:
        self._clock = clock
        self._log: deque[LoggedRequest] = deque(maxlen=keep)
        self._counts: Counter[str] = Counter()
        self._by_property: dict[str, Counter[str]] = {}

    def record(self, message: str, outcome: str, status: int, **details) -> LoggedRequest:
        entry = LoggedRequest(self._clock(), message, outcome, status, **details)
        self._log.append(entry)
        self._counts["requests"] += 1
        self._counts[COUNTERS[outcome]] += 1
        if entry.property_code is not None:
            per_property = self._by_property.setdefault(entry.property_code, Counter())
            per_property["requests"] += 1
            per_property["applied"] += outcome == "applied"
        return entry

    def stats(self) -> dict:
        return {
            "requests": self._counts["requests"],
            **{name: self._counts[name] for name in COUNTERS.values()},
            "by_property": {p: {"requests": c["requests"], "applied": c["applied"]}
                            for p, c in sorted(self._by_property.items())},
        }

    def recent(self, limit: int) -> list[dict]:
        """The last `limit` requests, oldest first."""
        return [entry.to_json() for entry in list(self._log)[-limit:]] if limit else []

    def clear(self) -> None:
        self._log.clear()
        self._counts.clear()
        self._by_property.clear()
