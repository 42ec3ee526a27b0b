"""What every benchmark needs: a throwaway PostgreSQL database, a served hotelagg process, percentiles."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy import create_engine, text

from servers.storage.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
POSTGRES_ADMIN_URL = os.environ.get("HOTELAGG_BENCH_POSTGRES_URL",
                                    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A migrated database of its own, dropped afterwards."""
    name = f"hotelagg_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@contextlib.asynccontextmanager
async def served(env: dict[str, str], services: tuple[str, ...] = ("inventory",)) -> AsyncIterator[str]:
    """`python -m servers serve` in a process of its own; yields its gRPC address."""
    port = free_port()
    args = [sys.executable, "-m", "servers", "serve", "--port", str(port)]
    for service in services:
        args += ["--service", service]
    # The development mode whatever the stores: a benchmark runs on one machine with the default secrets.
    full_env = {**os.environ, "HOTELAGG_ENVIRONMENT": "development", "HOTELAGG_LOG_LEVEL": "WARNING",
                "HOTELAGG_WEBHOOK_PORT": str(free_port()), **env}
    # A file, not a pipe: a server that logs much would block on a pipe nobody reads.
    log = tempfile.TemporaryFile()
    # Popen only starts the server, it waits for nothing; the benchmark drives it with the plain API.
    process = subprocess.Popen(args, cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL, stderr=log)  # noqa: ASYNC220
    address = f"127.0.0.1:{port}"
    try:
        await wait_serving(address, process, log)
        yield address
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        _report_log(log)


def _report_log(log) -> None:
    """What the server logged (WARNING and up), summed up on our stderr, so a benchmark shows it."""
    log.seek(0)
    lines = log.read().decode(errors="replace").splitlines()
    log.close()
    if lines:
        print(f"server logged {len(lines)} lines; the last ones:", *lines[-5:], sep="\n  ", file=sys.stderr)


async def wait_serving(address: str, process: subprocess.Popen | None = None, log=None, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    async with grpc.aio.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                if log is not None:
                    log.seek(0)
                raise RuntimeError(f"server exited: {(log or process.stderr).read().decode()[-2000:]}")
            try:
                reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(f"{address} did not start serving")


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def record(name: str, result: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {"benchmark": name, "machine": machine(), "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              **result}
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


def source_revision() -> str:
    """The commit measured, and whether the product's code had uncommitted changes (others edit it too)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "servers", "clients", "sandbox"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}{' + uncommitted changes' if dirty else ''}"


@contextlib.asynccontextmanager
async def sandbox_process(module: str, *args: str, port: int | None = None) -> AsyncIterator[str]:
    """`python -m <module> --port P ARGS` (a sandbox) in a process of its own; yields its base URL.
    `port`: one chosen beforehand (when its URL must be known before it starts); default, a free one."""
    import aiohttp

    port = port or free_port()
    log = tempfile.TemporaryFile()
    # Popen only starts the sandbox, it waits for nothing (see served()).
    process = subprocess.Popen([sys.executable, "-m", module, "--port", str(port), *args],  # noqa: ASYNC220
                               cwd=ROOT, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"{module} exited: {log.read().decode()[-2000:]}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(url + "/health") as reply:
                        if reply.status == 200:
                            break
                await asyncio.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def sandbox_channel_manager(api_key: str = "sandbox-key"):
    """The sandbox channel manager in a process of its own; yields its base URL."""
    return sandbox_process("sandbox.channel_manager", "--api-key", api_key)


def served_pid(address: str) -> int | None:
    """The process of `served` listening at `address` (found by its command line), for CPU figures."""
    port = address.rsplit(":", 1)[1].encode()
    for entry in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            args = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            if b"servers" in args and b"serve" in args and port in args:
                return int(entry)
    return None


def cpu_seconds(pid: int | None = None) -> tuple[float, float, float]:
    """(host busy, host total, process `pid`) CPU seconds so far (Linux /proc); differences give shares."""
    tick = os.sysconf("SC_CLK_TCK")
    host = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    own = 0
    if pid is not None:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            own = int(fields[11]) + int(fields[12])  # utime, stime
    return (sum(host) - host[3] - host[4]) / tick, sum(host) / tick, own / tick


REDIS_URL = os.environ.get("HOTELAGG_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
AMQP_URL = os.environ.get("HOTELAGG_BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


def stack_env(url: str, tag: str) -> dict[str, str]:
    """Production-like settings: PostgreSQL at `url`, Redis (cache, locks, rate limits) and RabbitMQ (the
    bus), both under names of this run's own (`tag`); `forget_stack(tag, topics)` removes them afterwards."""
    return {"HOTELAGG_DATABASE_URL": url, "HOTELAGG_REDIS_URL": REDIS_URL, "HOTELAGG_AMQP_URL": AMQP_URL,
            "HOTELAGG_CACHE_KEY_PREFIX": f"hotelagg-bench:{tag}:", "HOTELAGG_AMQP_PREFIX": tag}


async def forget_stack(tag: str, topics: tuple[str, ...]) -> None:
    """Deletes the run's RabbitMQ queues (of `topics`) and exchange, and its Redis keys."""
    import aio_pika
    import redis.asyncio as redis

    from servers.messaging.bus import RetryPolicy
    from servers.messaging.topology import Topology

    with contextlib.suppress(Exception):
        async with await aio_pika.connect(AMQP_URL) as connection:
            channel = await connection.channel()
            for name, _ in (q for topic in topics for q in Topology(tag, RetryPolicy()).queues(topic)):
                await channel.queue_delete(name)
            await channel.exchange_delete(tag)
    client = redis.from_url(REDIS_URL)
    keys = [key async for key in client.scan_iter(match=f"hotelagg-bench:{tag}:*", count=500)]
    if keys:
        await client.delete(*keys)
    await client.aclose()
