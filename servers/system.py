"""What one process is made of, as types: servers/bootstrap.py builds it, the jobs (workers.py) and the
tests read it. Nothing here builds anything, so both sides import it without importing each other."""

from __future__ import annotations

from dataclasses import dataclass

from clients.channel_managers import ChannelManagerClient
from clients.hotelagg import InventoryClient
from clients.payments import PaymentProvider
from servers.booking.deps import BookingDeps
from servers.cache import NightCache
from servers.cache.locks import Locks
from servers.inventory.flows.changes import ChangeHub
from servers.inventory.flows.holds import HoldBatcher
from servers.inventory.flows.mirror import Mirror
from servers.inventory.flows.poller import ChannelPoller
from servers.messaging.bus import Bus
from servers.partner import outbound
from servers.partner.auth import Gate
from servers.partner.rate_limit import RateLimiter
from servers.partner.reservations import Reservations
from servers.partner.sender import DeliveryWorker
from servers.runtime.clock import SYSTEM_CLOCK, Clock
from servers.runtime.config import Settings
from servers.runtime.credentials import Credentials
from servers.runtime.paging import PageTokens
from servers.search.directory import HotelDirectory
from servers.storage.database import Database
from servers.storage.idempotency import Idempotency
from servers.storage.leases import Leases


@dataclass(frozen=True)
class Foundation:
    """What every process builds from its settings before any server: storage, caches, the clients it
    calls out with, the partner gate. A worker process is this and the one job it runs."""

    settings: Settings
    db: Database
    cache: NightCache
    hub: ChangeHub
    mirror: Mirror
    clients: dict[str, ChannelManagerClient]  # channel manager id → its client
    payments: PaymentProvider | None  # None: no payment gateway configured (no booking jobs either)
    locks: Locks
    idempotency: Idempotency
    page_tokens: PageTokens
    directory: HotelDirectory
    limiter: RateLimiter
    gate: Gate
    credentials: Credentials
    partner_clients: outbound.PartnerClients
    leases: Leases  # which copy runs a periodic job's round, or polls a hotel, now
    clock: Clock = SYSTEM_CLOCK  # the one time every part reads (a ManualClock in tests of time rules)

    async def close(self) -> None:
        """Closes what talks to the outside, the database last."""
        for client in self.clients.values():
            await client.aclose()
        if self.payments is not None:
            await self.payments.aclose()
        await self.partner_clients.aclose()
        await self.limiter.close()
        await self.cache.close()
        await self.leases.close()
        await self.db.dispose()


@dataclass(frozen=True)
class Buses:
    """The buses of a process, built (with their handlers) before anything that writes to them; the jobs
    start them. A bus not started yet still takes messages: they wait in the outbox."""

    # Sends partner deliveries: a process serving the partner service, or the partner-delivery worker.
    partner: Bus | None = None
    # Finishes booking steps that failed half-way: a process serving bookings with a payment gateway.
    booking: Bus | None = None


@dataclass(frozen=True)
class System:
    """One serving process, whole (running.system): built once, in dependency order, never patched after."""

    services: tuple[str, ...]
    foundation: Foundation
    # The inventory service as booking and partner sales call it (over gRPC, maybe to this very server).
    inventory: InventoryClient | None
    booking: BookingDeps
    reservations: Reservations
    buses: Buses
    hold_batcher: HoldBatcher | None  # the inventory service's hold placing, when serving inventory
    delivery_worker: DeliveryWorker | None  # the partner bus's handler, when there is one
    poller: ChannelPoller | None  # the channel-manager change-feed poller, when serving inventory
    webhook_port: int | None  # the HTTP receiver (channel-manager webhooks, partner OTA pushes), when any

    @property
    def settings(self) -> Settings:
        return self.foundation.settings

    @property
    def db(self) -> Database:
        return self.foundation.db

    @property
    def cache(self) -> NightCache:
        return self.foundation.cache

    @property
    def hub(self) -> ChangeHub:
        return self.foundation.hub

    @property
    def mirror(self) -> Mirror:
        return self.foundation.mirror

    @property
    def clients(self) -> dict[str, ChannelManagerClient]:
        return self.foundation.clients
