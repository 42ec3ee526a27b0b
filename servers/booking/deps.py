"""What the booking flows call: the bookings repository, our inventory (over gRPC), channel managers,
payments, locks, the bus, and the clock they read the time from."""

from __future__ import annotations

import time
from dataclasses import InitVar, dataclass, field
from datetime import timedelta

from clients.channel_managers import ChannelManagerClient
from clients.hotelagg import InventoryClient
from clients.payments import PaymentProvider
from servers.booking.bookings import Bookings
from servers.booking.reasons import BookingReason
from servers.booking.store import SqlBookings
from servers.cache.locks import Locks
from servers.messaging import Bus
from servers.runtime.clock import SYSTEM_CLOCK, Clock
from servers.runtime.errors import ApiError, Code
from servers.storage.database import Database

# Slack for the reconciliation run itself (its calls out, its lock waits).
RECOVERY_SLACK = timedelta(seconds=60)


def recovery_window(reconcile_stuck_seconds: float, reconcile_interval_seconds: float) -> timedelta:
    """How long after a process dies the reconciliation job has surely carried its bookings on: it
    waits until a step is `stuck`, runs every `interval`, and takes a little while itself."""
    return timedelta(seconds=reconcile_stuck_seconds + reconcile_interval_seconds) + RECOVERY_SLACK


@dataclass
class BookingDeps:
    db: Database | None
    channel_managers: dict[str, ChannelManagerClient]
    payments: PaymentProvider | None  # None: no gateway configured, no booking is taken
    locks: Locks
    hold_ttl: timedelta = timedelta(minutes=15)
    # How much longer the channel manager holds the rooms than we do: long enough for the
    # reconciliation job to finish a confirm whose process died after charging the card.
    channel_hold_margin: timedelta = timedelta(seconds=60)
    # Set once the inventory service's address is known (it may be this very server).
    inventory: InventoryClient | None = None
    # The retry queue (servers.messaging); None: the reconciliation job alone finishes what fails.
    bus: Bus | None = field(default=None)

    # Hotels as InventoryService last told us (static data: currency, room types, channel manager, policy).
    _hotels: dict[str, tuple[float, object]] = field(default_factory=dict)
    hotel_ttl_seconds: float = 30.0

    # Where bookings are kept: the database's (built from db) unless another store is handed in (the
    # unit tests' FakeBookings, with db None).
    store: InitVar[Bookings | None] = None
    bookings: Bookings = field(init=False)
    # Every booking rule about time (holds, expiry, fees, back-off) reads this clock.
    clock: Clock = SYSTEM_CLOCK

    def __post_init__(self, store: Bookings | None) -> None:
        if store is not None:
            self.bookings = store
        elif self.db is not None:
            self.bookings = SqlBookings(self.db)
        else:
            raise ValueError("BookingDeps needs a database or a bookings store")

    def our_payments(self) -> PaymentProvider:
        """The payment gateway's client; without one a booking cannot be taken or settled (UNAVAILABLE)."""
        if self.payments is None:
            raise ApiError(Code.UNAVAILABLE, BookingReason.PAYMENTS_NOT_CONFIGURED,
                           "no payment gateway is configured (HOTELAGG_PAYMENT_GATEWAY_URL)", {},
                           retry_after_seconds=60)
        return self.payments

    def our_inventory(self) -> InventoryClient:
        """The inventory service's client, which every hold, commit and release goes through."""
        if self.inventory is None:
            raise RuntimeError("BookingDeps was built without the inventory service's client")
        return self.inventory

    @property
    def channel_hold_seconds(self) -> int:
        return int((self.hold_ttl + self.channel_hold_margin).total_seconds())

    def channel_manager(self, channel_manager_id: str) -> ChannelManagerClient | None:
        return self.channel_managers.get(channel_manager_id)

    async def channel_manager_of(self, hotel_id: str):
        """The hotel and the client of the channel manager it is mirrored from."""
        hotel = await self.hotel(hotel_id)
        return hotel, self.channel_manager(hotel.channel_manager.channel_manager_id)

    async def hotel(self, hotel_id: str):
        """GetHotel, kept hotel_ttl_seconds: every booking step needs it and it seldom changes."""
        known = self._hotels.get(hotel_id)
        if known is not None and time.monotonic() - known[0] < self.hotel_ttl_seconds:
            return known[1]
        hotel = await self.our_inventory().get_hotel(hotel_id)
        self._hotels[hotel_id] = (time.monotonic(), hotel)
        return hotel
