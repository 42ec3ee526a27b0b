"""What the booking flows call: our inventory (over gRPC), channel managers, payments, locks, the bus."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from clients.channel_managers import ChannelManagerClient
from clients.hotelagg import InventoryClient
from clients.payments import PaymentProvider
from servers.cache.locks import Locks
from servers.messaging import Bus
from servers.storage.database import Database


@dataclass
class BookingDeps:
    db: Database
    channel_managers: dict[str, ChannelManagerClient]
    payments: PaymentProvider
    locks: Locks
    hold_ttl: timedelta = timedelta(minutes=15)
    # Set once the inventory service's address is known (it may be this very server).
    inventory: InventoryClient | None = None
    # The retry queue (servers.messaging); None: the reconciliation job alone finishes what fails.
    bus: Bus | None = field(default=None)

    def channel_manager(self, channel_manager_id: str) -> ChannelManagerClient | None:
        return self.channel_managers.get(channel_manager_id)
