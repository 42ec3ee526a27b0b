"""Work that must not stop half-way because its caller stopped waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

# Strong references: the event loop keeps only weak ones to tasks, and these outlive their callers.
_running: set[asyncio.Task] = set()


async def run_to_the_end(work: Coroutine[Any, Any, T]) -> T:
    """Awaits `work` in a task of its own. A client whose deadline passes (the RPC is cancelled) no
    longer cuts a booking short between two outside calls, where nothing would undo the first: the
    work ends as it would have, writes its outcome to the booking, and the client's retry reads it."""
    task = asyncio.ensure_future(work)
    _running.add(task)
    task.add_done_callback(_forget)
    return await asyncio.shield(task)


def _forget(task: asyncio.Task) -> None:
    _running.discard(task)
    if not task.cancelled():
        task.exception()  # seen here when the caller left: the outcome is in the booking, not lost in a warning
