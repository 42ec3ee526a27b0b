"""How one sandbox channel manager is set up: the CLI flags, and what tests pass to `start`."""

from __future__ import annotations

from dataclasses import dataclass, field

from .competitors import CompetitorSettings
from .faults import FaultSettings
from .webhooks import WebhookSettings

DEFAULT_API_KEY = "sandbox-key"


@dataclass
class Config:
    api_key: str = DEFAULT_API_KEY
    faults: FaultSettings = field(default_factory=FaultSettings)
    competitors: CompetitorSettings = field(default_factory=CompetitorSettings)
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    seed_demo: bool = False
    expiry_interval: float = 0.25  # how late, at most, a lapsed hold is swept and its deltas sent
    random_seed: int | None = None  # fixes fault and competitor draws, for reproducible runs
