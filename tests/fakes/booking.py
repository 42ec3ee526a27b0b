"""The booking service's flows wired to fakes: one hotel (mirrored from a channel manager, or direct),
the bookings in dicts, a clock that moves when told. `world.deps` is what reserve, settle and jobs take."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from hotelagg.booking.v1 import booking_pb2 as bk
from hotelagg.common.v1 import common_pb2
from hotelagg.inventory.v1 import inventory_pb2 as pb

from servers.booking import mapping, reserve
from servers.booking.deps import BookingDeps
from servers.runtime.clock import ManualClock
from servers.runtime.errors import Violations
from tests.fakes.bookings import BookingRecord, FakeBookings
from tests.fakes.bus import FakeBus
from tests.fakes.channel_manager import FakeChannelManager
from tests.fakes.inventory import FakeInventory, hotel_proto
from tests.fakes.locks import MemoryLocks
from tests.fakes.payments import FakePayments

HOTEL_ID = "fake-hotel"
CHANNEL_MANAGER_ID = "fake-cm"
HOLD_TTL = timedelta(minutes=15)


@dataclass
class BookingWorld:
    clock: ManualClock
    hotel: pb.Hotel
    bookings: FakeBookings
    inventory: FakeInventory
    channel_manager: FakeChannelManager
    payments: FakePayments
    bus: FakeBus
    deps: BookingDeps
    # Every outside call, in the order made: "inventory.hold", "payments.capture", ...
    journal: list[str]

    def stay(self, days_ahead: int = 30, nights: int = 2) -> tuple[date, date]:
        check_in = self.clock.now().date() + timedelta(days=days_ahead)
        return check_in, check_in + timedelta(days=nights)

    def request(self, request_id: str | None = None, *, rooms: int = 1, guests: int = 1, nights: int = 2,
                days_ahead: int = 30, token: str = "tok_visa") -> bk.CreateBookingRequest:
        check_in, check_out = self.stay(days_ahead, nights)
        return bk.CreateBookingRequest(
            request_id=request_id or str(uuid.uuid4()), user_id="guest-1", hotel_id=self.hotel.hotel_id,
            room_type_code="STD", rooms=rooms, guests=guests, payment_token=token,
            check_in=common_pb2.Date(year=check_in.year, month=check_in.month, day=check_in.day),
            check_out=common_pb2.Date(year=check_out.year, month=check_out.month, day=check_out.day),
            lead_guest=bk.Guest(given_name="Ada", family_name="Lovelace", email="ada@example.com"))

    async def create(self, request: bk.CreateBookingRequest | None = None, **kwargs) -> BookingRecord:
        """CreateBooking's flow, as the servicer calls it once the request is valid."""
        request = request or self.request(**kwargs)
        return await reserve.create_booking(self.deps, request, mapping.new_booking(Violations(), request))

    def calls(self) -> list[tuple[str, str]]:
        """Every outside call so far, in no particular order across parties: (party.operation, key)."""
        return sorted([(f"inventory.{c.operation}", c.key) for c in self.inventory.calls]
                      + [(f"channel_manager.{c.operation}", c.key) for c in self.channel_manager.calls]
                      + [(f"payments.{c.operation}", c.key) for c in self.payments.calls])

    def forget_calls(self) -> None:
        for party in (self.inventory, self.channel_manager, self.payments):
            party.faults.calls.clear()
        self.journal.clear()


def booking_world(*, channel_manager: bool = True, rooms_left: int = 10, price_minor: int = 10000,
                  free_cancellation_hours: int = 48, cancellation_fee_percent: int = 50) -> BookingWorld:
    clock = ManualClock()
    hotel = hotel_proto(HOTEL_ID, channel_manager_id=CHANNEL_MANAGER_ID if channel_manager else None,
                        free_cancellation_hours=free_cancellation_hours,
                        cancellation_fee_percent=cancellation_fee_percent)
    bookings, bus = FakeBookings(), FakeBus()
    inventory = FakeInventory(clock, hotel, rooms_left=rooms_left, price_minor=price_minor, default_ttl=HOLD_TTL)
    cm, payments = FakeChannelManager(clock), FakePayments()
    deps = BookingDeps(None, {CHANNEL_MANAGER_ID: cm}, payments, MemoryLocks(), HOLD_TTL,
                       inventory=inventory, bus=bus, store=bookings, clock=clock)
    journal: list[str] = []
    for name, party in (("inventory", inventory), ("channel_manager", cm), ("payments", payments)):
        party.faults.journal, party.faults.party = journal, name
    return BookingWorld(clock, hotel, bookings, inventory, cm, payments, bus, deps, journal)
