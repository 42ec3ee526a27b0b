"""Our inventory service as the booking service's InventoryClient sees it, in dicts.

Holds are idempotent by request id like the real HoldInventory/ReleaseHold/CommitHold, lapse by
the clock, and refuse as the real service does, raised as the client raises them (HotelaggError
with the reason: SOLD_OUT, HOLD_EXPIRED, HOLD_RELEASED, HOLD_COMMITTED, HOLD_NOT_FOUND).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from hotelagg.common.v1 import common_pb2
from hotelagg.inventory.v1 import inventory_pb2 as pb

from clients.hotelagg import HotelaggError
from servers.runtime.clock import Clock
from tests.fakes.faults import Faults

HELD, COMMITTED, RELEASED = "held", "committed", "released"


def hotel_proto(hotel_id: str = "fake-hotel", *, currency: str = "EUR", room_types: tuple[str, ...] = ("STD",),
                max_occupancy: int = 2, channel_manager_id: str | None = None, hotel_code: str = "FAKE1",
                time_zone: str = "Europe/Paris", free_cancellation_hours: int = 48,
                cancellation_fee_percent: int = 50) -> pb.Hotel:
    """A hotel as GetHotel answers it; with channel_manager_id, mirrored from that channel manager."""
    hotel = pb.Hotel(hotel_id=hotel_id, name=hotel_id, time_zone=time_zone, currency_code=currency,
                     free_cancellation_hours=free_cancellation_hours,
                     cancellation_fee_percent=cancellation_fee_percent,
                     room_types=[pb.RoomType(hotel_id=hotel_id, code=code, max_occupancy=max_occupancy, total_rooms=10)
                                 for code in room_types])
    if channel_manager_id:
        hotel.channel_manager.CopyFrom(pb.ChannelManagerLink(channel_manager_id=channel_manager_id,
                                                             hotel_code=hotel_code))
    return hotel


@dataclass
class FakeHold:
    hold_id: str
    hotel_id: str
    room_type_code: str
    check_in: date
    check_out: date
    quantity: int
    total_minor: int
    currency: str
    expires_at: datetime
    status: str = HELD

    def proto(self) -> pb.Hold:
        expire = Timestamp()
        expire.FromDatetime(self.expires_at)
        return pb.Hold(hold_id=self.hold_id, hotel_id=self.hotel_id, room_type_code=self.room_type_code,
                       quantity=self.quantity, expire_time=expire,
                       total_price=common_pb2.Money(currency_code=self.currency, amount_minor=self.total_minor))


def refused(reason: str, message: str, code: grpc.StatusCode = grpc.StatusCode.FAILED_PRECONDITION,
            **metadata: str) -> HotelaggError:
    return HotelaggError(code, reason, message, metadata)


class FakeInventory:
    """`rooms_left` rooms of each room type on every night, at `price_minor` a room-night."""

    def __init__(self, clock: Clock, *hotels: pb.Hotel, rooms_left: int = 10, price_minor: int = 10000,
                 default_ttl: timedelta = timedelta(minutes=15)) -> None:
        self.clock = clock
        self.hotels = {hotel.hotel_id: hotel for hotel in hotels}
        self.rooms_left = rooms_left
        self.price_minor = price_minor
        self.default_ttl = default_ttl
        self.holds: dict[str, FakeHold] = {}
        self._by_request: dict[str, str] = {}
        # Down: UNAVAILABLE (nothing sent); an answer lost: DEADLINE_EXCEEDED, as the gRPC client raises them.
        self.faults = Faults(lambda message, maybe_done: refused(
            "", message, grpc.StatusCode.DEADLINE_EXCEEDED if maybe_done else grpc.StatusCode.UNAVAILABLE))

    @property
    def calls(self):
        return self.faults.calls

    def held(self) -> list[FakeHold]:
        return [hold for hold in self.holds.values() if hold.status == HELD]

    def status_of(self, hold_id: str) -> str:
        return self.holds[hold_id].status

    async def get_hotel(self, hotel_id: str) -> pb.Hotel:
        if hotel_id not in self.hotels:
            raise refused("HOTEL_NOT_FOUND", f"hotel {hotel_id}", grpc.StatusCode.NOT_FOUND, hotel_id=hotel_id)
        return self.hotels[hotel_id]

    async def hold(self, request_id: str, hotel_id: str, room_type_code: str, check_in: date, check_out: date,
                   quantity: int, ttl: timedelta | None = None) -> pb.Hold:
        self.faults.called("hold", request_id, hotel_id, room_type_code, check_in, check_out, quantity)
        if request_id in self._by_request:  # the same request id: the same hold, nothing taken twice
            hold = self.holds[self._by_request[request_id]]
        else:
            if quantity > self.rooms_left:
                raise refused("SOLD_OUT", f"{check_in.isoformat()} has {self.rooms_left} rooms left, {quantity} wanted",
                              night=check_in.isoformat(), rooms_left=str(self.rooms_left))
            nights = (check_out - check_in).days
            hold = FakeHold(str(uuid.uuid4()), hotel_id, room_type_code, check_in, check_out, quantity,
                            nights * quantity * self.price_minor, self.hotels[hotel_id].currency_code,
                            self.clock.now() + (ttl or self.default_ttl))
            self.holds[hold.hold_id] = hold
            self._by_request[request_id] = hold.hold_id
        self.faults.answered("hold")
        return hold.proto()

    async def release(self, request_id: str, hold_id: str, cancel_sale: bool = False) -> pb.Hold:
        self.faults.called("release", request_id, hold_id, cancel_sale)
        hold = self._hold(hold_id)
        if hold.status == COMMITTED and not cancel_sale:
            raise refused("HOLD_COMMITTED", "the hold was committed; release it with cancel_sale", hold_id=hold_id)
        hold.status = RELEASED  # released, expired or sold: the rooms are back either way
        self.faults.answered("release")
        return hold.proto()

    async def commit(self, request_id: str, hold_id: str) -> pb.Hold:
        self.faults.called("commit", request_id, hold_id)
        hold = self._hold(hold_id)
        if hold.status == RELEASED:
            raise refused("HOLD_RELEASED", "the hold was released", hold_id=hold_id)
        if hold.status == HELD and hold.expires_at <= self.clock.now():
            raise refused("HOLD_EXPIRED", "the hold expired; hold again", hold_id=hold_id,
                          expire_time=hold.expires_at.isoformat())
        hold.status = COMMITTED
        self.faults.answered("commit")
        return hold.proto()

    def _hold(self, hold_id: str) -> FakeHold:
        if hold_id not in self.holds:
            raise refused("HOLD_NOT_FOUND", f"hold {hold_id}", grpc.StatusCode.NOT_FOUND, hold_id=hold_id)
        return self.holds[hold_id]
