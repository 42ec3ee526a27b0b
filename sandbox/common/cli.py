"""Command-line helpers for `python -m sandbox.<name>`: argument types, the flags every sandbox
takes, and serving until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable

from aiohttp import web


def rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not in [0, 1]")
    return value


def non_negative(kind):
    def parse(text: str):
        value = kind(text)
        if value < 0:
            raise argparse.ArgumentTypeError(f"{text} is negative")
        return value

    return parse


def add_server_args(p: argparse.ArgumentParser, *, port: int, api_key: str) -> None:
    """Where to listen, the key to require, and the API faults to start with."""
    p.add_argument("--port", type=int, default=port, help=f"0 picks a free port (default {port})")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--api-key", default=api_key)
    p.add_argument("--latency-ms", type=non_negative(int), default=0)
    p.add_argument("--error-rate", type=rate, default=0.0)


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


async def serve_until_stopped(start: Callable[[], Awaitable[tuple[web.AppRunner, int]]],
                              log: logging.Logger) -> None:
    """Calls `start` (which logs the port) once the signal handlers are in place, so a SIGTERM
    sent as soon as the port shows is never missed; then serves until one arrives."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runner, _port = await start()
    await stop.wait()
    log.info("shutting down")
    await runner.cleanup()
    log.info("stopped")
