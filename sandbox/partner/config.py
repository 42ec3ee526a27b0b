"""How one sandbox partner is set up: the CLI flags, and what tests pass to `start`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .faults import FaultSettings
from .notifier import RetryPolicy

DEFAULT_API_KEY = "sandbox-partner-key"


@dataclass
class Config:
    protocol: str = "json_rest"  # or "ota_xml": one protocol per process
    partner_id: str = "sandbox-partner"  # our partner id, in the OTA webhook path
    api_key: str = DEFAULT_API_KEY  # the key hotelagg gave this partner, sent with every notification
    hotelagg_target: str = "127.0.0.1:50051"  # gRPC, json_rest notifications
    hotelagg_webhook_url: str = "http://127.0.0.1:8080"  # webhook receiver, ota_xml notifications
    requests_per_minute: int = 60  # per property; 0: no limit
    properties: dict[str, frozenset[str]] | None = None  # None: any property and room code is accepted
    faults: FaultSettings = field(default_factory=FaultSettings)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    notify_timeout: float = 10.0  # seconds per notification attempt
    sell_rate: float = 0.0  # background sales per second
    random_seed: int | None = None  # fixes fault and seller draws, for reproducible runs
    clock: Callable[[], float] = time.monotonic  # the rate-limit window's clock; tests pass a fake one
    keep_history: bool = False  # GET /admin/history: when each night's fields changed (benchmarks)
    sweep_interval: float = 60.0  # how often idempotency keys past their retention are forgotten
