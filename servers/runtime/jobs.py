"""Background jobs inside a serving process (the embedded default) or a worker process."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("hotelagg.jobs")


async def every(interval_seconds: float, name: str, job: Callable[[], Awaitable[object]]) -> None:
    """Runs job, then waits interval_seconds, forever; a failed run is logged and the next one goes ahead."""
    while True:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a job must outlive one bad run
            log.exception("job failed", extra={"job": name})
        await asyncio.sleep(interval_seconds)


class BackgroundJobs:
    def __init__(self) -> None:
        self._tasks: list[asyncio.Task] = []

    def start(self, interval_seconds: float, name: str, job: Callable[[], Awaitable[object]]) -> None:
        self._tasks.append(asyncio.create_task(every(interval_seconds, name, job), name=name))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
