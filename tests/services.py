"""Where the test services are, and what to do when one is missing.

With HOTELAGG_REQUIRE_SERVICES=1 (CI) a test that needs PostgreSQL, Redis or RabbitMQ fails when
the service does not answer; without it (a laptop) such a test is skipped.
"""

from __future__ import annotations

import os
import socket
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
