"""Shared fixtures: databases on both backends, a served API on port 0, Redis and RabbitMQ."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator

import grpc
import pytest
import pytest_asyncio
from sqlalchemy import create_engine, delete, text

from servers import bootstrap
from servers.runtime.config import Settings
from servers.runtime.server import RunningServer
from servers.storage.database import Database
from servers.storage.migrate import upgrade
from servers.storage.tables import metadata
from tests.services import AMQP_URL, POSTGRES_ADMIN_URL, REDIS_URL, broker_turn, missing, port_open

BACKENDS = ["sqlite", "postgres"]

# Tests run the development mode (its public default secrets) on every backend, PostgreSQL too; the
# tests of production's credentials say HOTELAGG_ENVIRONMENT=production themselves.
os.environ.setdefault("HOTELAGG_ENVIRONMENT", "development")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A database of its own for this test session, migrated, dropped at the end."""
    if not port_open(POSTGRES_ADMIN_URL, 5432):
        missing("PostgreSQL", POSTGRES_ADMIN_URL)
    name = f"hotelagg_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001
        admin.dispose()
        missing("PostgreSQL", error)
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'hotelagg.db'}"
    upgrade(url)
    return url


@pytest.fixture(params=BACKENDS)
def database_url(request) -> str:
    return request.getfixturevalue(f"{request.param}_url")


async def _empty_tables(db: Database) -> None:
    async with db.unit_of_work() as uow:
        for table in reversed(metadata.sorted_tables):
            await uow.connection.execute(delete(table))
        await uow.commit()


@pytest_asyncio.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """The database of one backend, emptied before each test."""
    database = Database(database_url)
    await _empty_tables(database)
    yield database
    await database.dispose()


@pytest_asyncio.fixture
async def server(db: Database) -> AsyncIterator[RunningServer]:
    """Every service served on a free port over `db` (what it is made of in `.system`: servers/system.py)."""
    settings = Settings(database_url=db.url, port=0, webhook_port=0)
    running = await bootstrap.start(settings)
    yield running
    await running.stop(grace=None)


@pytest_asyncio.fixture
async def channel(server: RunningServer) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as ch:
        yield ch


@pytest_asyncio.fixture
async def redis_client() -> AsyncIterator[object]:
    """A Redis client and a key prefix of this test's own; its keys are deleted afterwards."""
    import redis.asyncio as redis

    client = redis.from_url(REDIS_URL)
    try:
        await asyncio.wait_for(client.ping(), 2)
    except Exception as error:  # noqa: BLE001
        await client.aclose()
        missing("Redis", error)
    prefix = f"hotelagg-test:{uuid.uuid4().hex[:10]}:"
    client.test_prefix = prefix  # type: ignore[attr-defined]
    yield client
    keys = [key async for key in client.scan_iter(match=prefix + "*", count=500)]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture(scope="session")
def rabbitmq_vhost() -> str:
    """A RabbitMQ vhost of this session's own (deleted at the end), or / when rabbitmqctl is absent."""
    if not port_open(AMQP_URL, 5672):
        missing("RabbitMQ", AMQP_URL)
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        yield AMQP_URL
        return
    vhost = f"hotelagg-test-{uuid.uuid4().hex[:10]}"
    created = subprocess.run([ctl, "-q", "add_vhost", vhost], capture_output=True, text=True, timeout=60)
    if created.returncode != 0:
        missing("RabbitMQ", created.stderr.strip())
    subprocess.run([ctl, "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"], check=True, timeout=60)
    yield AMQP_URL.rstrip("/") + "/" + vhost
    subprocess.run([ctl, "-q", "delete_vhost", vhost], timeout=60)


@pytest.fixture
def amqp_url(rabbitmq_vhost: str, request, tmp_path_factory) -> Iterator[str]:
    """The session's vhost, for one test that shares the broker with the other workers' tests; a test
    marked `restarts_rabbitmq` (it stops the broker itself) has it alone."""
    basetemp = tmp_path_factory.getbasetemp()
    run_dir = basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp  # shared by the workers
    with broker_turn(run_dir, alone=request.node.get_closest_marker("restarts_rabbitmq") is not None):
        yield rabbitmq_vhost


@pytest.fixture
def stack(db, request) -> dict:
    """Settings for a production-like run on PostgreSQL (Redis cache and locks, RabbitMQ bus, each with
    a prefix of this test's own); nothing more (the embedded default) on SQLite."""
    if not db.url.startswith("postgresql"):
        return {}
    redis_client = request.getfixturevalue("redis_client")
    return dict(redis_url=REDIS_URL, cache_key_prefix=redis_client.test_prefix,
                amqp_url=request.getfixturevalue("amqp_url"), amqp_prefix=f"bk{uuid.uuid4().hex[:12]}")
