"""Sandbox payment gateway: a runnable card gateway in test mode speaking PROTOCOL.md."""

from .app import create_app, start
from .cards import CARDS
from .config import DEFAULT_API_KEY, Config
from .faults import FaultSettings

__all__ = ["CARDS", "DEFAULT_API_KEY", "Config", "FaultSettings", "create_app", "start"]
