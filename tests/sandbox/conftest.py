"""Fixtures for the sandbox channel manager: the real server on port 0, and a webhook receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from sandbox.channel_manager import Config, start
from tests.sandbox.helpers import CM, Receiver


@pytest_asyncio.fixture
async def cm() -> AsyncIterator[CM]:
    """A fresh channel manager per test: no state, faults or competitors leak between tests."""
    runner, port = await start(port=0, config=Config(expiry_interval=0.1), shutdown_timeout=1.0)
    client = CM(runner, port)
    await client.open()
    yield client
    await client.close()
    await runner.cleanup()


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rx = Receiver()
    await rx.start()
    yield rx
    await rx.stop()
