"""Booking reaching InventoryService over two replicas (issue 10): its holds spread round robin over both, a
replica whose health says NOT_SERVING gets none, and once one replica is stopped the next bookings still
succeed (the call that found it gone is retried on the other: UNAVAILABLE only, every call idempotent)."""

from __future__ import annotations

import asyncio
import os
import signal
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
from tests.e2e.process import ServerProcess, clean_env, free_port

HOTEL = "balanced-hotel"


@pytest.fixture
def database_url(postgres_url: str) -> str:
    """Replicas share one database (and Redis, RabbitMQ): PostgreSQL, the production-like stack."""
    return postgres_url


@asynccontextmanager
async def _inventory_replicas(db, stack: dict, holds: Counter, count: int = 2
                              ) -> AsyncIterator[list[RunningServer]]:
    """`count` inventory-only servers on the database; `holds[i]` counts the holds replica i was asked for."""
    async with AsyncExitStack() as stop:
        replicas = []
        for index in range(count):
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
    if not any(gone is running for gone in _GONE):
        _GONE.append(running)
        await running.stop(None)


_GONE: list[RunningServer] = []


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

            async def drained() -> bool:  # the channel hears it on its health watch, a moment later
                # Four in a row with none on the first: one alone may go to the second by its turn in the round.
                was = holds[0]
                for _ in range(4):
                    await _book(rig, 3)
                return holds[0] == was
            await eventually(drained)
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


async def test_bookings_survive_an_inventory_replica_killed_with_sigkill(db, stack, tmp_path):
    """The other replica is a process of its own: SIGKILL leaves no goodbye (no GOAWAY, no NOT_SERVING),
    only sockets the kernel resets; what was in flight there is retried on the survivor."""
    holds: Counter = Counter()
    env = clean_env(database_url=db.url, **{name: str(value) for name, value in stack.items()})
    port = free_port()
    with ServerProcess(["serve", "--service", "inventory", "--port", str(port)], tmp_path, port, env) as doomed:
        await asyncio.to_thread(doomed.wait_serving)
        async with _inventory_replicas(db, stack, holds, count=1) as (survivor,):
            target = f"127.0.0.1:{port},127.0.0.1:{survivor.port}"
            async with booking_stack(db, stack, inventory_target=target) as rig:
                await direct_hotel(rig, HOTEL, rooms=40, nights=8)
                for made in range(1, 13):  # until the process has served some (it may be ready later)
                    await _book(rig, 2)
                    if holds[0] < made:
                        break
                assert holds[0] < made, "every hold went to the survivor"
                in_flight = [asyncio.ensure_future(_book(rig, 3)) for _ in range(8)]
                await asyncio.sleep(0.01)
                os.killpg(doomed.process.pid, signal.SIGKILL)
                await asyncio.gather(*in_flight)
                served = holds[0]
                for _ in range(3):
                    await _book(rig, 4)
                assert holds[0] == served + 3, holds
