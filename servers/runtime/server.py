"""The gRPC server factory (health, reflection, interceptors), separate from serving it."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from grpc import aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from servers.runtime.credentials import Credentials
from servers.runtime.interceptors import ApiInterceptor

log = logging.getLogger("hotelagg.server")

# How long the parts behind the gRPC server may take to stop once its grace period is over.
STOP_MARGIN_SECONDS = 1.0


@dataclass(frozen=True)
class ServiceRegistration:
    """One gRPC service to serve: its full name, the generated add_*_to_server, the servicer."""

    full_name: str
    add_to_server: Callable[[Any, aio.Server], None]
    servicer: Any
    # Method name → what its caller needs (runtime/credentials.py: SERVICE or STAFF); others are public.
    guarded: dict[str, str] = field(default_factory=dict)


S = TypeVar("S")


@dataclass
class RunningServer(Generic[S]):
    server: aio.Server
    port: int
    health: health.aio.HealthServicer
    service_names: list[str]
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # What the process built around the server (servers/bootstrap.py's System), for tests and the operator.
    system: S | None = None

    async def stop(self, grace: float | None) -> None:
        # Tell load balancers first, then let calls in flight finish within the grace period.
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)
        for hook in self.on_stop:
            self.stopping = getattr(hook, "__qualname__", repr(hook))
            await hook()
        self.stopping = ""

    stopping: str = ""  # the part being stopped now (what a shutdown that overran was waiting for)


@dataclass(frozen=True)
class BoundServer:
    """A server listening on its port with no service yet: what is built next may need to know the port
    (a client of the inventory service that is this very server)."""

    server: aio.Server
    host: str
    port: int
    health: health.aio.HealthServicer


def guarded_methods(registrations: Sequence[ServiceRegistration]) -> dict[str, str]:
    return {f"/{r.full_name}/{method}": rule for r in registrations for method, rule in r.guarded.items()}


def bind_server(host: str = "127.0.0.1", port: int = 0, credentials: Credentials | None = None,
                guarded: Mapping[str, str] | None = None) -> BoundServer:
    """The server with its interceptors and health check, bound to host:port (0: a free port); not started."""
    server = aio.server(
        interceptors=[ApiInterceptor(credentials, dict(guarded or {}))],
        options=[("grpc.so_reuseport", 1), ("grpc.max_receive_message_length", 64 * 1024 * 1024)],
    )
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"cannot listen on {host}:{port}")
    return BoundServer(server, host, bound, health_servicer)


async def start_serving(bound: BoundServer, registrations: Sequence[ServiceRegistration]) -> list[str]:
    """Adds the services (and reflection over them) and starts; returns the services' full names."""
    names = []
    for registration in registrations:
        registration.add_to_server(registration.servicer, bound.server)
        names.append(registration.full_name)
    reflection.enable_server_reflection(
        [*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME],
        bound.server,
    )
    await bound.server.start()
    for name in [*names, ""]:
        await bound.health.set(name, health_pb2.HealthCheckResponse.SERVING)
    log.info("serving", extra={"address": f"{bound.host}:{bound.port}", "services": names})
    return names


async def create_server(
    registrations: Sequence[ServiceRegistration], host: str = "127.0.0.1", port: int = 0,
    credentials: Credentials | None = None,
) -> RunningServer[None]:
    """Builds and starts a server; port 0 picks a free port (tests)."""
    bound = bind_server(host, port, credentials, guarded_methods(registrations))
    names = await start_serving(bound, registrations)
    return RunningServer(bound.server, bound.port, bound.health, names)


async def wait_for_signal() -> None:
    """Returns on SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def serve_until_signalled(running: RunningServer, grace: float) -> bool:
    """Runs until SIGTERM or SIGINT, then shuts down gracefully; False when the shutdown overran.

    The gRPC server gets the grace period for calls in flight, the parts behind it (jobs, queues,
    pools) STOP_MARGIN_SECONDS more. Work still unwinding then is left to die with the process
    (exit_now): every step is recorded before it is taken, so whatever a kill -9 leaves, the next
    process finishes; an orchestrator would kill a server that outlives its grace anyway.
    """
    await wait_for_signal()
    log.info("shutting down", extra={"grace_seconds": grace})
    return await stop_within(running, grace)


async def stop_within(running: RunningServer, grace: float) -> bool:
    """Stops the server, waiting at most grace + STOP_MARGIN_SECONDS; False when that was not enough."""
    stopping = asyncio.ensure_future(running.stop(grace))
    done, _ = await asyncio.wait({stopping}, timeout=grace + STOP_MARGIN_SECONDS)
    if stopping in done:
        stopping.result()
        return True
    log.warning("shutdown overran its grace period; exiting with work still unwinding",
                extra={"grace_seconds": grace, "stopping": running.stopping, "unwinding": _unwinding()})
    return False


def _unwinding() -> list[str]:
    """Where each task still running is stuck (its innermost frame): what an operator needs to find why."""
    where = []
    for task in asyncio.all_tasks():
        if task is asyncio.current_task():
            continue
        frames = task.get_stack()
        frame = frames[-1] if frames else None
        if frame is None:
            where.append(f"{task.get_name()}: ?")
            continue
        module = "/".join(frame.f_code.co_filename.rsplit("/", 2)[-2:])
        where.append(f"{task.get_name()}: {module}:{frame.f_lineno} {frame.f_code.co_name}")
    return sorted(where)


def exit_now(code: int = 0) -> None:
    """Leaves at once, without waiting for tasks still unwinding (what asyncio.run would do on return)."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
