"""The composition root: every part of a process is built here, once, in the order they depend on each
other, and handed to what needs it (no part is patched in later, none is looked up by name).

    settings → Foundation (database, cache, locks, change hub, mirror, channel-manager clients, payments,
    idempotency, page tokens, directory, limiter, gate, credentials) → the buses → the gRPC server bound to
    its port → the inventory client (to settings.inventory_target, or to that port) → BookingDeps and
    Reservations → the servicers → serving → the webhook receiver → System → the jobs (which start the buses)

`make run` (embedded.py), `python -m servers serve` and `python -m servers worker NAME` all start here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

import grpc
from hotelagg.booking.v1 import booking_pb2, booking_pb2_grpc
from hotelagg.inventory.v1 import inventory_pb2, inventory_pb2_grpc
from hotelagg.partner.v1 import partner_pb2, partner_pb2_grpc
from hotelagg.search.v1 import search_pb2, search_pb2_grpc

from clients.breaker import AsyncCircuitBreaker
from clients.channel_managers import ChannelManagerClient, HttpChannelManagerClient
from clients.hotelagg import InventoryClient
from clients.hotelagg.channels import inventory_channel
from clients.payments import HttpPaymentProvider
from servers import fanout, workers
from servers.booking import settle
from servers.booking.deps import BookingDeps, recovery_window
from servers.booking.servicer import BookingServicer
from servers.cache import night_cache
from servers.cache.locks import create_locks
from servers.inventory.api.servicer import GUARDED as INVENTORY_GUARDED
from servers.inventory.api.servicer import InventoryServicer
from servers.inventory.api.webhooks import bare_webhook_app, create_webhook_app, start_webhook_server
from servers.inventory.flows import changes
from servers.inventory.flows.changes import ChangeHub, cache_writer
from servers.inventory.flows.holds import HoldBatcher
from servers.inventory.flows.mirror import Mirror
from servers.inventory.flows.poller import ChannelPoller
from servers.messaging import create_bus
from servers.messaging.broadcast import Broadcast
from servers.messaging.bus import Bus
from servers.partner import outbound
from servers.partner.auth import Gate
from servers.partner.ota_http import add_partner_routes
from servers.partner.rate_limit import create_rate_limiter
from servers.partner.reservations import Reservations
from servers.partner.sender import DeliveryWorker
from servers.partner.servicer import PartnerServicer
from servers.runtime.clock import SYSTEM_CLOCK, Clock
from servers.runtime.config import SERVICE_NAMES, Settings
from servers.runtime.credentials import Credentials
from servers.runtime.jobs import every
from servers.runtime.paging import PageTokens
from servers.runtime.server import RunningServer, ServiceRegistration, bind_server, start_serving, wait_for_signal
from servers.search.directory import HotelDirectory
from servers.search.nights import NightSource
from servers.search.servicer import SearchServicer
from servers.storage.database import Database
from servers.storage.idempotency import Idempotency
from servers.storage.leases import create_leases
from servers.system import Buses, Foundation, System

log = logging.getLogger("hotelagg.workers")  # run_worker logs as the workers did before it moved here


def _breaker(name: str, settings: Settings) -> AsyncCircuitBreaker:
    return AsyncCircuitBreaker(name, fail_max=settings.breaker_fail_max, reset_timeout=settings.breaker_reset_seconds)


def channel_manager_clients(settings: Settings) -> dict[str, ChannelManagerClient]:
    return {
        cm_id: HttpChannelManagerClient(cm.base_url, cm.api_key, _breaker(f"channel-manager:{cm_id}", settings),
                                        timeout=settings.channel_manager_timeout_seconds)
        for cm_id, cm in settings.channel_managers.items()
    }


def build_foundation(settings: Settings, clock: Clock = SYSTEM_CLOCK) -> Foundation:
    unsafe = settings.unsafe_for_production()
    if unsafe:
        raise SystemExit(f"refusing to serve outside the development mode with development secrets: set "
                         f"{', '.join(unsafe)} (or HOTELAGG_ENVIRONMENT=development on one machine)")
    db = Database(settings.database_url, settings.read_database_url, settings.db_pool_size)
    cache = night_cache(settings.redis_url, settings.cache_key_prefix, settings.cache_ttl_seconds)
    hub = ChangeHub()
    hub.add_listener(cache_writer(cache))
    payments = (HttpPaymentProvider(settings.payment_gateway_url, settings.payment_api_key,
                                    _breaker("payments", settings), timeout=settings.payment_timeout_seconds)
                if settings.payment_gateway_url else None)
    idempotency = Idempotency(db, timedelta(hours=settings.idempotency_ttl_hours), clock=clock)
    limiter = create_rate_limiter(settings.redis_url, settings.cache_key_prefix)
    return Foundation(
        settings=settings, db=db, cache=cache, hub=hub, mirror=Mirror(hub, clock),
        clients=channel_manager_clients(settings),
        payments=payments, locks=create_locks(settings.redis_url, settings.cache_key_prefix),
        idempotency=idempotency, page_tokens=PageTokens(settings.page_token_secret),
        directory=HotelDirectory(db, settings.hotel_cache_ttl_seconds), limiter=limiter,
        gate=Gate(db, settings.operator_token, limiter),
        credentials=Credentials.from_settings(settings),
        partner_clients=outbound.PartnerClients(settings.breaker_fail_max, settings.breaker_reset_seconds,
                                                settings.partner_timeout_seconds),
        leases=create_leases(settings.database_url), clock=clock,
    )


def build_buses(parts: Foundation, partner: bool, booking: bool) -> Buses:
    """The buses this process runs; every change of a listed hotel's ARI then becomes partner deliveries
    in its own transaction (through the partner bus, to wake it, when this process has one)."""
    buses = Buses(partner=create_bus(parts.settings, parts.db) if partner else None,
                  booking=create_bus(parts.settings, parts.db) if booking else None)
    parts.hub.add_transaction_listener(outbound.change_marker(buses.partner, parts.clock),
                                       causes=changes.DIRECT_HOTEL_CAUSES)
    return buses


def booking_deps(parts: Foundation, inventory: InventoryClient | None, bus: Bus | None) -> BookingDeps:
    s = parts.settings
    return BookingDeps(
        db=parts.db, channel_managers=parts.clients, payments=parts.payments, locks=parts.locks,
        hold_ttl=timedelta(seconds=s.default_hold_ttl_seconds),
        channel_hold_margin=recovery_window(s.reconcile_stuck_seconds, s.reconcile_interval_seconds),
        inventory=inventory, bus=bus, clock=parts.clock,
    )


def delivery_worker(parts: Foundation, bus: Bus) -> DeliveryWorker:
    """The partner bus's handler, registered before the bus starts."""
    worker = DeliveryWorker(parts.db, bus, parts.limiter, parts.partner_clients, parts.clock)
    bus.register(outbound.TOPIC, worker.handle)
    return worker


@dataclass(frozen=True)
class ServiceSpec:
    """What the server must know of a service before its servicer exists: the interceptor is built with
    the guarded methods, and the server is bound before the servicers are."""

    full_name: str
    add_to_server: Callable[[Any, grpc.aio.Server], None]
    guarded: dict[str, str]


def _full_name(module, service: str) -> str:
    return module.DESCRIPTOR.services_by_name[service].full_name


SERVICES: dict[str, ServiceSpec] = {
    "inventory": ServiceSpec(_full_name(inventory_pb2, "InventoryService"),
                             inventory_pb2_grpc.add_InventoryServiceServicer_to_server, INVENTORY_GUARDED),
    "search": ServiceSpec(_full_name(search_pb2, "SearchService"),
                          search_pb2_grpc.add_SearchServiceServicer_to_server, {}),
    "booking": ServiceSpec(_full_name(booking_pb2, "BookingService"),
                           booking_pb2_grpc.add_BookingServiceServicer_to_server, {}),
    "partner": ServiceSpec(_full_name(partner_pb2, "PartnerService"),
                           partner_pb2_grpc.add_PartnerServiceServicer_to_server, {}),
}


def _spec(service: str) -> ServiceSpec:
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; known: {', '.join(SERVICE_NAMES)}")
    return SERVICES[service]


def _servicer(service: str, parts: Foundation, booking: BookingDeps, reservations: Reservations,
              buses: Buses, hold_batcher: HoldBatcher | None, broadcast: Broadcast | None) -> object:
    s = parts.settings
    if service == "inventory":
        assert hold_batcher is not None, "built whenever inventory is served"
        return InventoryServicer(parts.db, parts.idempotency, parts.page_tokens, parts.hub, parts.mirror,
                                 hold_batcher, timedelta(seconds=s.default_hold_ttl_seconds),
                                 fanout.catalogue_news(parts.directory.forget, broadcast), parts.clock)
    if service == "search":
        nights = NightSource(parts.db, parts.cache, parts.clients, s.search_freshness_seconds, parts.clock)
        return SearchServicer(parts.directory, nights, parts.page_tokens, s.search_memo_seconds, parts.clock)
    if service == "booking":
        return BookingServicer(booking, parts.idempotency, parts.page_tokens, parts.credentials)
    return PartnerServicer(parts.db, parts.idempotency, parts.page_tokens, parts.gate, reservations, buses.partner,
                           parts.clock)


async def _start_receiver(parts: Foundation, services: Sequence[str], reservations: Reservations,
                          webhook_port: int | None):
    """The HTTP receiver: channel-manager webhooks (inventory) and partner OTA pushes (partner); None
    when this process serves neither."""
    s = parts.settings
    if "inventory" not in services and "partner" not in services:
        return None, None
    if "inventory" in services:
        receiver = create_webhook_app(parts.db, parts.mirror, s.channel_managers, s.webhook_tolerance_seconds)
    else:
        receiver = bare_webhook_app()
    if "partner" in services:
        add_partner_routes(receiver, parts.gate, reservations)
    return await start_webhook_server(receiver, s.host, s.webhook_port if webhook_port is None else webhook_port)


async def start(settings: Settings, services: Sequence[str] = SERVICE_NAMES, port: int | None = None,
                webhook_port: int | None = None) -> RunningServer[System]:
    """Starts the given services on one server (port 0: any free port), with their jobs."""
    services = tuple(services)
    specs = [_spec(name) for name in services]
    parts = build_foundation(settings)
    buses = build_buses(parts, partner="partner" in services,
                        booking="booking" in services and parts.payments is not None)
    broadcast = fanout.build(settings, parts.db, parts.hub, parts.directory.forget)
    if broadcast is not None:  # listening before serving: no change made here goes unheard elsewhere
        await broadcast.start()
    guarded = {f"/{spec.full_name}/{method}": rule for spec in specs for method, rule in spec.guarded.items()}
    bound = bind_server(settings.host, settings.port if port is None else port, parts.credentials, guarded)
    channel = inventory = None
    if "booking" in services or "partner" in services:
        channel = inventory_channel(settings.inventory_target or f"127.0.0.1:{bound.port}")
        inventory = InventoryClient(channel, service_token=settings.service_token)
    booking = booking_deps(parts, inventory, buses.booking)
    reservations = Reservations(parts.db, parts.idempotency, inventory, parts.clock)
    if buses.booking is not None:
        buses.booking.register(settle.FINISH_TOPIC, partial(settle.finish_queued, booking))
    worker = stop_partner_delivery = None
    if buses.partner is not None:
        worker = delivery_worker(parts, buses.partner)
        stop_partner_delivery = workers.partner_delivery_stop(buses.partner, worker)
    poller = (ChannelPoller(parts.db, parts.mirror, parts.clients, settings.poll_interval_seconds, parts.leases,
                            parts.clock)
              if "inventory" in services else None)
    hold_batcher = HoldBatcher(parts.db, parts.idempotency, parts.hub, parts.clock) if "inventory" in services else None
    registrations = [
        ServiceRegistration(spec.full_name, spec.add_to_server,
                            _servicer(name, parts, booking, reservations, buses, hold_batcher, broadcast),
                            spec.guarded)
        for name, spec in zip(services, specs, strict=True)]
    names = await start_serving(bound, registrations)
    webhooks, bound_webhook_port = await _start_receiver(parts, services, reservations, webhook_port)
    system = System(services=services, foundation=parts, inventory=inventory, booking=booking,
                    reservations=reservations, buses=buses, hold_batcher=hold_batcher, delivery_worker=worker,
                    poller=poller, webhook_port=bound_webhook_port)
    jobs = await workers.start_jobs(system)
    # Jobs first (nothing new starts), then the client to ourselves, the buses and receiver, the pools last.
    on_stop: list[Callable[[], Awaitable[None]]] = [jobs.stop]
    if channel is not None:
        on_stop.append(channel.close)
    if stop_partner_delivery is not None:
        on_stop.append(stop_partner_delivery)
    if webhooks is not None:
        on_stop.append(webhooks.cleanup)
    if buses.booking is not None:
        on_stop.append(buses.booking.stop)
    if broadcast is not None:
        on_stop.append(broadcast.stop)
    on_stop.append(parts.close)
    return RunningServer(bound.server, bound.port, bound.health, names, on_stop, system)


async def run_worker(settings: Settings, name: str, once: bool) -> None:
    """One job on its own (production: workers as separate processes, any number of them)."""
    parts = build_foundation(settings)
    buses = build_buses(parts, partner=name == "partner-delivery", booking=False)
    # A job's changes (a lapsed hold, an expired booking's rooms) reach the serving replicas too.
    broadcast = fanout.build(settings, parts.db, parts.hub, parts.directory.forget)
    if broadcast is not None:
        await broadcast.start()
    channel = inventory = None
    if name in ("booking-expiry", "reconciliation"):
        if parts.payments is None:
            raise SystemExit("booking workers need HOTELAGG_PAYMENT_GATEWAY_URL")
        channel = inventory_channel(settings.inventory_target or f"127.0.0.1:{settings.port}")
        inventory = InventoryClient(channel, service_token=settings.service_token)
    if buses.partner is not None:
        stop = workers.partner_delivery_stop(buses.partner, delivery_worker(parts, buses.partner))
        try:
            await buses.partner.start()
            await wait_for_signal()
        finally:
            await stop()
            if broadcast is not None:
                await broadcast.stop()
            await parts.close()
        return
    job, interval = workers.worker_job(parts, booking_deps(parts, inventory, None), name)
    try:
        if once:
            log.info("worker ran once", extra={"worker": name, "result": str(await job())})
            return
        task = asyncio.create_task(every(interval, name, job))
        await wait_for_signal()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    finally:
        if channel is not None:
            await channel.close()
        if broadcast is not None:
            await broadcast.stop()
        await parts.close()
