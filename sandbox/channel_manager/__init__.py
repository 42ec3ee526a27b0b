"""Sandbox channel manager: a runnable SiteMinder-like stand-in speaking PROTOCOL.md."""

from .app import create_app, start
from .config import Config

__all__ = ["Config", "create_app", "start"]
