"""How one sandbox payment gateway is set up: the CLI flags, and what tests pass to `start`."""

from __future__ import annotations

from dataclasses import dataclass, field

from .faults import FaultSettings
from .idempotency import KEEP_SECONDS
from .ledger import SEVEN_DAYS

DEFAULT_API_KEY = "sandbox-payments-key"


@dataclass
class Config:
    api_key: str = DEFAULT_API_KEY
    faults: FaultSettings = field(default_factory=FaultSettings)
    authorization_ttl: float = SEVEN_DAYS  # seconds an uncaptured authorization lives
    hang_seconds: float = 30.0  # tok_timeout: longer than any client timeout, by design
    idempotency_keep: float = KEEP_SECONDS
    sweep_interval: float = 60.0  # how often stale idempotency keys are forgotten
    random_seed: int | None = None  # fixes fault draws, for reproducible runs
