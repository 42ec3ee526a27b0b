"""Where the test services are, and what to do when one is missing.

With HOTELAGG_REQUIRE_SERVICES=1 (CI) a test that needs PostgreSQL, Redis or RabbitMQ fails when
the service does not answer; without it (a laptop) such a test is skipped.
"""

from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

POSTGRES_ADMIN_URL = os.environ.get(
    "HOTELAGG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("HOTELAGG_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
AMQP_URL = os.environ.get("HOTELAGG_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


def services_required() -> bool:
    return os.environ.get("HOTELAGG_REQUIRE_SERVICES") == "1"


def missing(service: str, why: object) -> None:
    message = f"{service} is not reachable: {why}"
    if services_required():
        pytest.fail(message + " (HOTELAGG_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(message)


def port_open(url: str, default_port: int) -> bool:
    parts = urlsplit(url.replace("+psycopg", ""))
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def broker_turn(run_dir: Path, alone: bool) -> Iterator[None]:
    """Holds RabbitMQ for one test against the other pytest-xdist workers of this run (a lock file in
    `run_dir`, which they share): shared for a test that only uses its vhost, exclusive for one that
    stops the whole broker, which would break the connections of every test running beside it."""
    with open(run_dir / "rabbitmq.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
