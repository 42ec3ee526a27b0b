"""In-memory stand-ins for what the services call, for unit tests: no database, no network.

One set for every service: each fake keeps the rules of the real thing it replaces (idempotency keys,
guarded moves, the errors the real client raises) and records the calls it got, so a test asserts
what was asked of whom. A service's own assembly of them lives beside, imported by its tests
(booking.py: `booking_world`), so that this package does not pull in every service.
"""

from tests.fakes.bookings import BookingRecord, FakeBookings
from tests.fakes.bus import FakeBus
from tests.fakes.channel_manager import FakeBreaker, FakeChannelManager
from tests.fakes.deliveries import DeliveryRecord, FakeDeliveries, NightAriRecord, PartnerRecord
from tests.fakes.faults import Call, Faults
from tests.fakes.inventory import FakeInventory, hotel_proto
from tests.fakes.locks import MemoryLocks
from tests.fakes.partners import FakePartners, FakeRateLimiter
from tests.fakes.payments import FakePayments

__all__ = [
    "BookingRecord",
    "Call",
    "DeliveryRecord",
    "FakeBookings",
    "FakeBreaker",
    "FakeBus",
    "FakeChannelManager",
    "FakeDeliveries",
    "FakeInventory",
    "FakePartners",
    "FakePayments",
    "FakeRateLimiter",
    "Faults",
    "MemoryLocks",
    "NightAriRecord",
    "PartnerRecord",
    "hotel_proto",
]
