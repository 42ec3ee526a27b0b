"""Wires the services to their storage and serves them: one process for all, or one per service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from hotelagg.booking.v1 import booking_pb2, booking_pb2_grpc
from hotelagg.inventory.v1 import inventory_pb2, inventory_pb2_grpc
from hotelagg.partner.v1 import partner_pb2, partner_pb2_grpc
from hotelagg.search.v1 import search_pb2, search_pb2_grpc

from clients.breaker import AsyncCircuitBreaker
from clients.channel_managers import ChannelManagerClient, HttpChannelManagerClient
from servers.booking.servicer import BookingServicer
from servers.cache import NightCache, night_cache
from servers.inventory.changes import ChangeHub, cache_writer
from servers.inventory.jobs import sweep_expired_holds
from servers.inventory.mirror import Mirror
from servers.inventory.poller import ChannelPoller
from servers.inventory.servicer import InventoryServicer
from servers.inventory.webhooks import create_webhook_app, start_webhook_server
from servers.partner.servicer import PartnerServicer
from servers.runtime.config import SERVICE_NAMES, Settings
from servers.runtime.jobs import BackgroundJobs
from servers.runtime.paging import PageTokens
from servers.runtime.server import RunningServer, ServiceRegistration, create_server
from servers.search.directory import HotelDirectory
from servers.search.nights import NightSource
from servers.search.servicer import SearchServicer
from servers.storage.database import Database
from servers.storage.idempotency import Idempotency


def _full_name(module, service: str) -> str:
    return module.DESCRIPTOR.services_by_name[service].full_name


def channel_manager_clients(settings: Settings) -> dict[str, ChannelManagerClient]:
    return {
        cm_id: HttpChannelManagerClient(
            cm.base_url, cm.api_key,
            AsyncCircuitBreaker(f"channel-manager:{cm_id}", fail_max=settings.breaker_fail_max,
                                reset_timeout=settings.breaker_reset_seconds),
            timeout=settings.channel_manager_timeout_seconds,
        )
        for cm_id, cm in settings.channel_managers.items()
    }


def registrations(settings: Settings, db: Database, hub: ChangeHub, mirror: Mirror, cache: NightCache,
                  clients: dict[str, ChannelManagerClient], services: Sequence[str]) -> list[ServiceRegistration]:
    unknown = set(services) - set(SERVICE_NAMES)
    if unknown:
        raise ValueError(f"unknown services {sorted(unknown)}; known: {', '.join(SERVICE_NAMES)}")
    idempotency = Idempotency(db, timedelta(hours=settings.idempotency_ttl_hours))
    page_tokens = PageTokens(settings.page_token_secret)
    directory = HotelDirectory(db, settings.hotel_cache_ttl_seconds)
    builders = {
        "inventory": lambda: ServiceRegistration(
            _full_name(inventory_pb2, "InventoryService"),
            inventory_pb2_grpc.add_InventoryServiceServicer_to_server,
            InventoryServicer(db, idempotency, page_tokens, hub, mirror,
                              timedelta(seconds=settings.default_hold_ttl_seconds), directory.forget),
        ),
        "search": lambda: ServiceRegistration(
            _full_name(search_pb2, "SearchService"), search_pb2_grpc.add_SearchServiceServicer_to_server,
            SearchServicer(directory, NightSource(db, cache, clients, settings.search_freshness_seconds),
                           page_tokens),
        ),
        "booking": lambda: ServiceRegistration(
            _full_name(booking_pb2, "BookingService"), booking_pb2_grpc.add_BookingServiceServicer_to_server,
            BookingServicer(),
        ),
        "partner": lambda: ServiceRegistration(
            _full_name(partner_pb2, "PartnerService"), partner_pb2_grpc.add_PartnerServiceServicer_to_server,
            PartnerServicer(),
        ),
    }
    return [builders[name]() for name in services]


async def start(settings: Settings, services: Sequence[str] = SERVICE_NAMES, port: int | None = None,
                webhook_port: int | None = None) -> RunningServer:
    """Starts the given services on one server (port 0: any free port), with their jobs."""
    db = Database(settings.database_url, settings.read_database_url, settings.db_pool_size)
    cache = night_cache(settings.redis_url, settings.cache_key_prefix, settings.cache_ttl_seconds)
    hub = ChangeHub()
    hub.add_listener(cache_writer(cache))
    mirror = Mirror(hub)
    clients = channel_manager_clients(settings)
    running = await create_server(
        registrations(settings, db, hub, mirror, cache, clients, services), settings.host,
        settings.port if port is None else port,
    )
    jobs = BackgroundJobs()
    running.context.update(db=db, cache=cache, hub=hub, mirror=mirror, clients=clients)
    running.on_stop.extend(client.aclose for client in clients.values())
    if "inventory" in services:
        jobs.start(settings.hold_sweep_interval_seconds, "hold-sweeper", lambda: sweep_expired_holds(db, hub))
        poller = ChannelPoller(db, mirror, clients, settings.poll_interval_seconds)
        jobs.start(settings.poll_interval_seconds, "channel-poller", poller.run)
        webhooks, bound = await start_webhook_server(
            create_webhook_app(db, mirror, settings.channel_managers, settings.webhook_tolerance_seconds),
            settings.host, settings.webhook_port if webhook_port is None else webhook_port,
        )
        running.context.update(poller=poller, webhook_port=bound)
        running.on_stop.append(webhooks.cleanup)
    running.on_stop[:0] = [jobs.stop]
    running.on_stop.extend([cache.close, db.dispose])
    return running
