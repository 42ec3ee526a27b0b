"""Running a sandbox app in-process: serving it on a port, and its periodic sweeps."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiohttp import web


async def start_app(app: web.Application, host: str, port: int, shutdown_timeout: float,
                    log: logging.Logger, name: str) -> tuple[web.AppRunner, int]:
    """Serves `app` and returns its runner and bound port. The log line is what a supervisor (and
    the CLI tests) read the port from when port 0 picked a free one."""
    runner = web.AppRunner(app, shutdown_timeout=shutdown_timeout, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    log.info("%s listening on http://%s:%d", name, host, bound)
    return runner, bound


async def sweep_forever(interval: float, sweep: Callable[[], object], log: logging.Logger, what: str) -> None:
    """Runs `sweep` every `interval` seconds until cancelled."""
    while True:
        await asyncio.sleep(interval)
        try:
            sweep()
        except Exception:  # noqa: BLE001 - the sweeper must outlive a bug in one sweep
            log.exception("%s failed", what)
