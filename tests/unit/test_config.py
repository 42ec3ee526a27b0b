import os

import pytest
from pydantic import ValidationError

from clients.hotelagg.targets import grpc_target
from servers.runtime.config import Settings


@pytest.fixture
def env(monkeypatch):
    """A clean HOTELAGG_* environment; returns a setter."""
    for name in list(os.environ):
        if name.startswith("HOTELAGG_"):
            monkeypatch.delenv(name)

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"HOTELAGG_{name.upper()}", value)

    return set_env


def test_defaults_are_the_embedded_mode(env):
    settings = Settings()
    assert settings.database_url == "sqlite+aiosqlite:///var/hotelagg.db"
    assert (settings.redis_url, settings.amqp_url, settings.read_database_url) == (None, None, None)
    assert (settings.host, settings.port, settings.log_level) == ("127.0.0.1", 50051, "INFO")
    assert settings.idempotency_ttl_hours == 24


def test_values_come_from_hotelagg_variables(env):
    env(database_url="postgresql+psycopg://app@db:5432/hotelagg", port="6000", redis_url="redis://cache:6379/1",
        shutdown_grace_seconds="2.5", log_level="DEBUG", db_pool_size="40")
    settings = Settings()
    assert settings.database_url == "postgresql+psycopg://app@db:5432/hotelagg"
    assert (settings.port, settings.redis_url) == (6000, "redis://cache:6379/1")
    assert (settings.shutdown_grace_seconds, settings.log_level, settings.db_pool_size) == (2.5, "DEBUG", 40)


@pytest.mark.parametrize("url", [
    "", "mysql://app@db/hotelagg", "sqlite:///var/hotelagg.db", "postgresql://app@db/hotelagg",
    "postgresql+asyncpg://app@db/hotelagg",
])
def test_database_url_of_an_unsupported_driver_is_rejected(env, url):
    env(database_url=url)
    with pytest.raises(ValidationError, match="database_url"):
        Settings()


@pytest.mark.parametrize("name", ["redis_url", "amqp_url", "read_database_url"])
def test_empty_optional_url_means_none(env, name):
    env(**{name: ""})
    assert getattr(Settings(), name) is None


@pytest.mark.parametrize("name, value", [
    ("port", "70000"), ("port", "-1"), ("port", "http"), ("webhook_port", "65536"),
    ("log_level", "VERBOSE"), ("page_token_secret", "short"), ("shutdown_grace_seconds", "301"),
    ("idempotency_ttl_hours", "12"), ("default_hold_ttl_seconds", "5"), ("db_pool_size", "0"),
])
def test_out_of_range_setting_is_rejected(env, name, value):
    env(**{name: value})
    with pytest.raises(ValidationError, match=name):
        Settings()


def test_unknown_hotelagg_variables_are_ignored(env):
    env(require_services="1", something_new="x")
    assert Settings().port == 50051


def test_unset_environment_is_development_only_on_one_machine(env):
    assert Settings().is_development and Settings().unsafe_for_production() == []
    for shared in (dict(database_url="postgresql+psycopg://app@db:5432/hotelagg"), dict(redis_url="redis://cache:6379"),
                   dict(amqp_url="amqp://mq/"), dict(host="0.0.0.0")):
        settings = Settings(**shared)
        assert not settings.is_development, shared
        assert settings.unsafe_for_production() == [
            "HOTELAGG_OPERATOR_TOKEN", "HOTELAGG_PAGE_TOKEN_SECRET", "HOTELAGG_BOOKING_TOKEN_SECRET",
            "HOTELAGG_SERVICE_TOKEN"], shared


def test_an_explicit_environment_wins(env):
    env(environment="production")
    assert not Settings().is_development
    env(environment="development", database_url="postgresql+psycopg://app@db:5432/hotelagg")
    assert Settings().is_development and Settings().unsafe_for_production() == []


def test_production_with_its_own_secrets_is_safe(env):
    env(environment="production", operator_token="o" * 20, page_token_secret="p" * 20,
        booking_token_secret="b" * 20, service_token="s" * 32)
    assert Settings().unsafe_for_production() == []
    env(service_token="too-short")
    with pytest.raises(ValidationError):
        Settings()


def test_never_booked_bookings_outlive_their_request_ids(env):
    env(idempotency_ttl_hours="72", ended_booking_retention_days="2")
    with pytest.raises(ValidationError):
        Settings()


@pytest.mark.parametrize("target, expected", [
    ("127.0.0.1:50061", "ipv4:127.0.0.1:50061"),
    ("10.0.0.1:50051, 10.0.0.2:50051", "ipv4:10.0.0.1:50051,10.0.0.2:50051"),
    ("[::1]:50051,[::2]:50051", "ipv6:[::1]:50051,[::2]:50051"),
    ("inventory.internal:50051", "dns:///inventory.internal:50051"),
])
def test_inventory_target_names_one_or_several_replicas(env, target, expected):
    env(inventory_target=target)
    settings = Settings()
    assert settings.inventory_target == target
    assert grpc_target(target) == expected


@pytest.mark.parametrize("target, why", [
    ("10.0.0.1", "is not host:port"), ("10.0.0.1:0", "is not host:port"), ("10.0.0.1:http", "is not host:port"),
    ("10.0.0.1:50051,", "empty replica"), ("inv-a:50051,inv-b:50051", "must be IP addresses"),
    ("10.0.0.1:50051,[::1]:50051", "mixes IPv4 and IPv6"),
])
def test_a_bad_inventory_target_is_rejected_at_startup_saying_why(env, target, why):
    env(inventory_target=target)
    with pytest.raises(ValidationError, match=f"inventory_target(.|\n)*{why}"):
        Settings()
