"""Settings from HOTELAGG_* environment variables (documented in README.md)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from clients.hotelagg.targets import grpc_target

SERVICE_NAMES = ("inventory", "search", "booking", "partner")

# Development values of the secrets: public (they are in this file), so production refuses them.
DEV_SECRETS = {
    "operator_token": "hotelagg-dev-operator-token",
    "page_token_secret": "hotelagg-dev-page-token-secret",
    "booking_token_secret": "hotelagg-dev-booking-token-secret",
}
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class ChannelManagerSettings(BaseModel):
    base_url: str
    api_key: str = Field(min_length=1)
    # Shared with the channel manager: signs the webhooks it sends us.
    webhook_secret: str = Field(min_length=16)

    @field_validator("base_url")
    @classmethod
    def _http(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return url.rstrip("/")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTELAGG_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/hotelagg.db"
    # Search reads here when set (a PostgreSQL streaming replica).
    read_database_url: str | None = None
    # Empty: in-process cache and locks.
    redis_url: str | None = None
    # Empty: the outbox table is the queue.
    amqp_url: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(50051, ge=0, le=65535)
    webhook_port: int = Field(8080, ge=0, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Signs page tokens; every replica must share it. The default suits one machine only.
    page_token_secret: str = Field(DEV_SECRETS["page_token_secret"], min_length=16)
    # Seconds SIGTERM waits for RPCs in flight.
    shutdown_grace_seconds: float = Field(10.0, ge=0, le=300)
    default_hold_ttl_seconds: int = Field(900, ge=30, le=86400)
    idempotency_ttl_hours: int = Field(24, ge=24, le=24 * 30)
    db_pool_size: int = Field(10, ge=1, le=200)
    # Keys of the search cache start with this (tests and shared Redis servers set their own).
    cache_key_prefix: str = ""
    # A cached night older than this is gone: bounds how long a lost write-through can mislead.
    cache_ttl_seconds: int = Field(300, ge=1, le=86400)
    hold_sweep_interval_seconds: float = Field(5.0, gt=0, le=3600)
    # The channel managers we mirror, by id (hotels.channel_manager_id), as JSON:
    # {"sandbox": {"base_url": "http://127.0.0.1:8090", "api_key": "...", "webhook_secret": "..."}}
    channel_managers: dict[str, ChannelManagerSettings] = Field(default_factory=dict)
    # How often the change feed of every channel-managed hotel is polled (a gap polls at once).
    poll_interval_seconds: float = Field(60.0, ge=0.05, le=3600)
    # Webhooks signed longer ago than this (or as far in the future) are refused.
    webhook_tolerance_seconds: int = Field(300, ge=1, le=3600)
    # The public address channel managers post webhooks to; default: http://HOST:WEBHOOK_PORT
    webhook_public_url: str | None = None
    channel_manager_timeout_seconds: float = Field(5.0, gt=0, le=60)
    breaker_fail_max: int = Field(5, ge=1, le=100)
    breaker_reset_seconds: float = Field(30.0, gt=0, le=3600)
    # A mirrored hotel not heard from (webhook or poll) for longer is read from its channel manager.
    search_freshness_seconds: float = Field(180.0, gt=0, le=86400)
    # RabbitMQ names (exchange, queues) start with this; tests and shared brokers set their own.
    amqp_prefix: str = Field("hotelagg", pattern=r"^[a-z0-9][a-z0-9_.-]{0,40}$")
    # Delays before the 2nd, 3rd, ... attempt of a queued outbound call; after the last, it is parked.
    retry_tiers_seconds: list[float] = Field(default_factory=lambda: [5.0, 30.0, 300.0], min_length=1, max_length=10)
    # The payment gateway bookings authorize, capture and refund through; unset: bookings answer UNAVAILABLE.
    payment_gateway_url: str | None = None
    payment_api_key: str = "sandbox-payments-key"
    payment_timeout_seconds: float = Field(10.0, gt=0, le=120)
    # Where Booking and Partner reach InventoryService: host:port, or its replicas as a list of
    # ip:port,ip:port (balanced round robin, health-aware; see clients.hotelagg.channels); unset: this same server.
    inventory_target: str | None = None
    booking_expiry_interval_seconds: float = Field(10.0, gt=0, le=3600)
    # Often enough that a booking whose process died after charging the card is finished while the
    # channel manager still holds its rooms (it holds them this long, plus the stuck time, past our hold).
    reconcile_interval_seconds: float = Field(30.0, gt=0, le=86400)
    # A booking left this long between states by a process that died is driven to an end; longer than
    # any step in flight takes (lock wait, then the slowest call's timeout).
    reconcile_stuck_seconds: float = Field(60.0, gt=0, le=86400)
    # Operators call PartnerService's admin RPCs with `authorization: Bearer <token>`; set your own in production.
    operator_token: str = Field(DEV_SECRETS["operator_token"], min_length=16)
    # development: one machine, the development secrets allowed, our services' RPCs open when no service
    # token is set; production: none of that. Unset: development only for the one-machine configuration
    # (SQLite, no Redis, no RabbitMQ, listening on loopback), production for anything else.
    environment: Literal["development", "production"] | None = None
    # What our own services send each other as `x-service-token` (InventoryService's internal RPCs);
    # required in production, the same on every process.
    service_token: str | None = Field(None, min_length=32)
    # Signs the access token CreateBooking gives a booking's owner; every replica must share it.
    booking_token_secret: str = Field(DEV_SECRETS["booking_token_secret"], min_length=16)
    partner_timeout_seconds: float = Field(10.0, gt=0, le=120)
    # How long an identical search over unchanged hotels may answer from the last result (0: never).
    search_memo_seconds: float = Field(1.0, ge=0, le=60)
    # Housekeeping: how often every table that grows is purged, how long finished rows are kept for a look
    # (published messages, applied webhook events, delivered deliveries, ended holds), how long bookings
    # that never came to be (failed, expired), and how many rows one transaction deletes.
    housekeeping_interval_seconds: float = Field(300.0, gt=0, le=86400)
    retention_days: int = Field(7, ge=1, le=3650)
    ended_booking_retention_days: int = Field(90, ge=1, le=3650)
    housekeeping_batch_size: int = Field(1000, ge=1, le=100_000)
    # How long search keeps hotels and room types (static data) before reading them again.
    hotel_cache_ttl_seconds: float = Field(60.0, ge=0, le=86400)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, url: str) -> str:
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+psycopg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+psycopg://")
        return url

    @field_validator("read_database_url", "redis_url", "amqp_url", "payment_gateway_url", "inventory_target",
                     "service_token", "environment", mode="before")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("inventory_target")
    @classmethod
    def _reachable_replicas(cls, target: str | None) -> str | None:
        if target is not None:
            grpc_target(target)  # raises, saying what is wrong with the list
        return target

    @model_validator(mode="after")
    def _bookings_outlive_their_request_ids(self) -> Settings:
        # A purged booking frees its request id: a replay after that would book again.
        if self.ended_booking_retention_days * 24 < self.idempotency_ttl_hours:
            raise ValueError("ended_booking_retention_days must cover idempotency_ttl_hours")
        return self

    @property
    def is_development(self) -> bool:
        if self.environment is not None:
            return self.environment == "development"
        one_machine = self.database_url.startswith("sqlite") and not (self.redis_url or self.amqp_url)
        return one_machine and self.host in _LOOPBACK_HOSTS

    def unsafe_for_production(self) -> list[str]:
        """What keeps these settings from serving outside development: the variables to set."""
        if self.is_development:
            return []
        unsafe = [f"HOTELAGG_{name.upper()}" for name, value in DEV_SECRETS.items() if getattr(self, name) == value]
        if self.service_token is None:
            unsafe.append("HOTELAGG_SERVICE_TOKEN")
        return unsafe


@lru_cache(maxsize=1)
def load_settings() -> Settings:
    return Settings()
