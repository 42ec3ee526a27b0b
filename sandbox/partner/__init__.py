"""Sandbox partner aggregators: a runnable OTA stand-in speaking json_rest or ota_xml (PROTOCOL.md)."""

from .app import create_app, start
from .config import Config

__all__ = ["Config", "create_app", "start"]
