"""Wires the services to their storage and serves them: one process for all, or one per service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import grpc
from hotelagg.booking.v1 import booking_pb2, booking_pb2_grpc
from hotelagg.inventory.v1 import inventory_pb2, inventory_pb2_grpc
from hotelagg.partner.v1 import partner_pb2, partner_pb2_grpc
from hotelagg.search.v1 import search_pb2, search_pb2_grpc

from clients.breaker import AsyncCircuitBreaker
from clients.channel_managers import ChannelManagerClient, HttpChannelManagerClient
from clients.hotelagg import InventoryClient
from clients.payments import HttpPaymentProvider
from servers.booking.deps import BookingDeps, recovery_window
from servers.booking.servicer import BookingServicer
from servers.cache import NightCache, night_cache
from servers.cache.locks import create_locks
from servers.inventory.changes import ChangeHub, cache_writer
from servers.inventory.mirror import Mirror
from servers.inventory.servicer import GUARDED as INVENTORY_GUARDED
from servers.inventory.servicer import InventoryServicer
from servers.messaging.bus import Bus
from servers.partner import outbound
from servers.partner.auth import Gate
from servers.partner.rate_limit import RateLimiter, create_rate_limiter
from servers.partner.reservations import Reservations
from servers.partner.servicer import PartnerServicer
from servers.runtime.config import SERVICE_NAMES, Settings
from servers.runtime.credentials import Credentials
from servers.runtime.paging import PageTokens
from servers.runtime.server import RunningServer, ServiceRegistration, create_server
from servers.search.directory import HotelDirectory
from servers.search.nights import NightSource
from servers.search.servicer import SearchServicer
from servers.storage.database import Database
from servers.storage.idempotency import Idempotency


def _full_name(module, service: str) -> str:
    return module.DESCRIPTOR.services_by_name[service].full_name


def _breaker(name: str, settings: Settings) -> AsyncCircuitBreaker:
    return AsyncCircuitBreaker(name, fail_max=settings.breaker_fail_max, reset_timeout=settings.breaker_reset_seconds)


def channel_manager_clients(settings: Settings) -> dict[str, ChannelManagerClient]:
    return {
        cm_id: HttpChannelManagerClient(cm.base_url, cm.api_key, _breaker(f"channel-manager:{cm_id}", settings),
                                        timeout=settings.channel_manager_timeout_seconds)
        for cm_id, cm in settings.channel_managers.items()
    }


@dataclass
class Components:
    """Everything the services of one process share."""

    settings: Settings
    db: Database
    cache: NightCache
    hub: ChangeHub
    mirror: Mirror
    clients: dict[str, ChannelManagerClient]
    idempotency: Idempotency
    page_tokens: PageTokens
    directory: HotelDirectory
    booking: BookingDeps
    limiter: RateLimiter
    gate: Gate
    reservations: Reservations
    partner_clients: outbound.PartnerClients
    credentials: Credentials
    # The bus that sends partner deliveries, once this process runs it (start_jobs).
    partner_bus: Bus | None = None
    stop_partner_bus: Callable[[], Awaitable[None]] | None = None  # the bus, then the worker's rounds

    @classmethod
    def build(cls, settings: Settings) -> "Components":
        unsafe = settings.unsafe_for_production()
        if unsafe:
            raise SystemExit(f"refusing to serve outside the development mode with development secrets: set "
                             f"{', '.join(unsafe)} (or HOTELAGG_ENVIRONMENT=development on one machine)")
        db = Database(settings.database_url, settings.read_database_url, settings.db_pool_size)
        cache = night_cache(settings.redis_url, settings.cache_key_prefix, settings.cache_ttl_seconds)
        hub = ChangeHub()
        hub.add_listener(cache_writer(cache))
        clients = channel_manager_clients(settings)
        payments = (HttpPaymentProvider(settings.payment_gateway_url, settings.payment_api_key,
                                        _breaker("payments", settings), timeout=settings.payment_timeout_seconds)
                    if settings.payment_gateway_url else None)
        booking = BookingDeps(db, clients, payments, create_locks(settings.redis_url, settings.cache_key_prefix),
                              timedelta(seconds=settings.default_hold_ttl_seconds),
                              channel_hold_margin=recovery_window(settings.reconcile_stuck_seconds,
                                                                  settings.reconcile_interval_seconds))
        idempotency = Idempotency(db, timedelta(hours=settings.idempotency_ttl_hours))
        limiter = create_rate_limiter(settings.redis_url, settings.cache_key_prefix)
        parts = cls(settings, db, cache, hub, Mirror(hub), clients, idempotency,
                    PageTokens(settings.page_token_secret), HotelDirectory(db, settings.hotel_cache_ttl_seconds), booking,
                    limiter, Gate(db, settings.operator_token, limiter), Reservations(db, idempotency),
                    outbound.PartnerClients(settings.breaker_fail_max, settings.breaker_reset_seconds,
                                            settings.partner_timeout_seconds),
                    Credentials.from_settings(settings))
        # Every change of a listed hotel's ARI becomes partner deliveries in its own transaction.
        hub.add_transaction_listener(outbound.change_marker(lambda: parts.partner_bus))
        return parts

    def registration(self, service: str) -> ServiceRegistration:
        s = self.settings
        if service == "inventory":
            servicer = InventoryServicer(self.db, self.idempotency, self.page_tokens, self.hub, self.mirror,
                                         timedelta(seconds=s.default_hold_ttl_seconds), self.directory.forget)
            return ServiceRegistration(_full_name(inventory_pb2, "InventoryService"),
                                       inventory_pb2_grpc.add_InventoryServiceServicer_to_server, servicer,
                                       INVENTORY_GUARDED)
        if service == "search":
            nights = NightSource(self.db, self.cache, self.clients, s.search_freshness_seconds)
            return ServiceRegistration(_full_name(search_pb2, "SearchService"),
                                       search_pb2_grpc.add_SearchServiceServicer_to_server,
                                       SearchServicer(self.directory, nights, self.page_tokens,
                                                      s.search_memo_seconds))
        if service == "booking":
            return ServiceRegistration(_full_name(booking_pb2, "BookingService"),
                                       booking_pb2_grpc.add_BookingServiceServicer_to_server,
                                       BookingServicer(self.booking, self.idempotency, self.page_tokens,
                                                       self.credentials))
        if service == "partner":
            return ServiceRegistration(_full_name(partner_pb2, "PartnerService"),
                                       partner_pb2_grpc.add_PartnerServiceServicer_to_server,
                                       PartnerServicer(self.db, self.idempotency, self.page_tokens, self.gate,
                                                       self.reservations, lambda: self.partner_bus))
        raise ValueError(f"unknown service {service!r}; known: {', '.join(SERVICE_NAMES)}")

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()
        if self.booking.payments is not None:
            await self.booking.payments.aclose()
        await self.partner_clients.aclose()
        await self.limiter.close()
        await self.cache.close()
        await self.db.dispose()


async def start(settings: Settings, services: Sequence[str] = SERVICE_NAMES, port: int | None = None,
                webhook_port: int | None = None) -> RunningServer:
    """Starts the given services on one server (port 0: any free port), with their jobs."""
    from servers.workers import start_jobs

    parts = Components.build(settings)
    running = await create_server([parts.registration(name) for name in services], settings.host,
                                  settings.port if port is None else port, parts.credentials)
    running.context.update(db=parts.db, cache=parts.cache, hub=parts.hub, mirror=parts.mirror,
                           clients=parts.clients, components=parts)
    if "booking" in services or "partner" in services:
        target = settings.inventory_target or f"127.0.0.1:{running.port}"
        channel = grpc.aio.insecure_channel(target)
        parts.booking.inventory = parts.reservations.inventory = InventoryClient(
            channel, service_token=settings.service_token)
        running.on_stop.append(channel.close)
    jobs = await start_jobs(parts, services, running, webhook_port)
    running.on_stop[:0] = [jobs.stop]
    running.on_stop.append(parts.close)
    return running
