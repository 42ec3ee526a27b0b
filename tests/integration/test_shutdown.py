"""A SIGTERM'd server is gone within its grace period plus a margin, whatever is still unwinding behind
it (a job or queue stuck cancelling on the database was seen to hold `make run` up for over a minute)."""

from __future__ import annotations

import asyncio
import time

from servers.runtime.server import STOP_MARGIN_SECONDS, create_server, stop_within

GRACE = 0.5


async def test_a_shutdown_whose_parts_stop_in_time_is_clean():
    running = await create_server([], port=0)
    stopped = []

    async def part() -> None:
        stopped.append("part")

    running.on_stop.append(part)
    assert await stop_within(running, GRACE) is True
    assert stopped == ["part"] and running.stopping == ""


async def test_a_part_that_never_stops_is_left_behind_after_the_margin(caplog):
    running = await create_server([], port=0)
    never = asyncio.Event()

    async def stuck_part() -> None:
        await never.wait()

    running.on_stop.append(stuck_part)
    began = time.monotonic()
    assert await stop_within(running, GRACE) is False
    took = time.monotonic() - began
    assert GRACE + STOP_MARGIN_SECONDS - 0.1 <= took < GRACE + STOP_MARGIN_SECONDS + 1.0
    [overran] = [r for r in caplog.records if r.message.startswith("shutdown overran")]
    assert overran.stopping.endswith("stuck_part")
    never.set()
