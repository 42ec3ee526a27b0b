"""Booking reaching InventoryService over two replicas (issue 10): its holds spread round robin over both, a
replica whose health says NOT_SERVING gets none, and once one replica is stopped the next bookings still
succeed (the call that found it gone is retried on the other: UNAVAILABLE only, every call idempotent)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import pytest
from grpc_health.v1 import health_pb2
from hotelagg.booking.v1 import booking_pb2 as bk

from clients.hotelagg.channels import INVENTORY_SERVICE
from servers import bootstrap
from servers.runtime.config import Settings
from servers.runtime.server import RunningServer
from tests.api.partner_helpers import eventually
from tests.e2e.booking_rig import booking_stack, confirm, create, direct_hotel

HOTEL = "balanced-hotel"


@pytest.fixture
def database_url(postgres_url: str) -> str:
    """Replicas share one database (and Redis, RabbitMQ): PostgreSQL, the production-like stack."""
    return postgres_url


@asynccontextmanager
async def _inventory_replicas(db, stack: dict, holds: Counter) -> AsyncIterator[list[RunningServer]]:
    """Two inventory-only servers on the database; `holds[i]` counts the holds replica i was asked for."""
    async with AsyncExitStack() as stop:
        replicas = []
        for index in range(2):
            running = await bootstrap.start(Settings(database_url=db.url, port=0, webhook_port=0, **stack),
                                            services=("inventory",))
            stop.push_async_callback(_vanish, running)
            batcher = running.system.hold_batcher
            assert batcher is not None
            batcher.hold = _counted(batcher.hold, holds, index)  # type: ignore[method-assign]
            replicas.append(running)
        yield replicas


async def _vanish(running: RunningServer) -> None:
    """Stops the replica at once (no grace: calls in flight are cut), once."""
    if running.port not in _GONE:
        _GONE.add(running.port)
        await running.stop(None)


_GONE: set[int] = set()


def _counted(hold, holds: Counter, index: int):
    async def counting(*args, **kwargs):
        holds[index] += 1
        return await hold(*args, **kwargs)
    return counting


async def _book(rig, first: int) -> bk.Booking:
    booking = (await rig.bookings.CreateBooking(create(HOTEL, first=first), timeout=15)).booking
    assert booking.status == bk.BOOKING_STATUS_HELD
    return booking


async def test_holds_spread_over_the_replicas_skip_a_draining_one_and_survive_a_stopped_one(db, stack):
    holds: Counter = Counter()
    async with _inventory_replicas(db, stack, holds) as (first, second):
        target = f"127.0.0.1:{first.port},127.0.0.1:{second.port}"
        async with booking_stack(db, stack, inventory_target=target) as rig:
            await direct_hotel(rig, HOTEL, rooms=40, nights=8)

            # Round robin: a few bookings reach both (the second replica may become ready a moment later).
            for _ in range(12):
                await _book(rig, 2)
                if holds[0] and holds[1]:
                    break
            assert holds[0] > 0 and holds[1] > 0, holds

            # Health-aware: a replica saying NOT_SERVING for the inventory service leaves the rotation.
            await first.health.set(INVENTORY_SERVICE, health_pb2.HealthCheckResponse.NOT_SERVING)
            before = holds[0]
            for _ in range(4):
                await _book(rig, 3)
            assert holds[0] == before, holds

            await first.health.set(INVENTORY_SERVICE, health_pb2.HealthCheckResponse.SERVING)

            async def back_in_rotation() -> bool:
                await _book(rig, 4)
                return holds[0] > before
            await eventually(back_in_rotation)

            # A replica vanishing with calls in flight: those it cut (UNAVAILABLE, "Cancelling all calls")
            # are retried on the other, and the bookings after it succeed there; a confirm (CommitHold) too.
            in_flight = [asyncio.ensure_future(_book(rig, 5)) for _ in range(8)]
            await asyncio.sleep(0.01)
            await _vanish(first)
            made = await asyncio.gather(*in_flight)
            served = holds[1]
            made += [await _book(rig, 6) for _ in range(3)]
            assert holds[1] == served + 3, holds
            confirmed = (await rig.bookings.ConfirmBooking(confirm(made[0].booking_id), timeout=15)).booking
            assert confirmed.status == bk.BOOKING_STATUS_CONFIRMED
