"""InventoryService, typed: the calls Booking (and other internal services) make."""

from __future__ import annotations

from datetime import date, timedelta

import grpc
from google.protobuf.duration_pb2 import Duration
from hotelagg.common.v1 import common_pb2
from hotelagg.inventory.v1 import inventory_pb2 as pb
from hotelagg.inventory.v1 import inventory_pb2_grpc

from clients.hotelagg.errors import decoded


def _date(value: date) -> common_pb2.Date:
    return common_pb2.Date(year=value.year, month=value.month, day=value.day)


class InventoryClient:
    def __init__(self, channel: grpc.aio.Channel, timeout: float = 10.0) -> None:
        self._stub = inventory_pb2_grpc.InventoryServiceStub(channel)
        self._timeout = timeout

    async def get_hotel(self, hotel_id: str) -> pb.Hotel:
        reply = await decoded(self._stub.GetHotel(pb.GetHotelRequest(hotel_id=hotel_id), timeout=self._timeout))
        return reply.hotel

    async def hold(self, request_id: str, hotel_id: str, room_type_code: str, check_in: date, check_out: date,
                   quantity: int, ttl: timedelta | None = None) -> pb.Hold:
        request = pb.HoldInventoryRequest(request_id=request_id, hotel_id=hotel_id, room_type_code=room_type_code,
                                          check_in=_date(check_in), check_out=_date(check_out), quantity=quantity)
        if ttl is not None:
            request.ttl.CopyFrom(Duration(seconds=int(ttl.total_seconds())))
        return (await decoded(self._stub.HoldInventory(request, timeout=self._timeout))).hold

    async def release(self, request_id: str, hold_id: str, cancel_sale: bool = False) -> pb.Hold:
        request = pb.ReleaseHoldRequest(request_id=request_id, hold_id=hold_id, cancel_sale=cancel_sale)
        return (await decoded(self._stub.ReleaseHold(request, timeout=self._timeout))).hold

    async def commit(self, request_id: str, hold_id: str) -> pb.Hold:
        request = pb.CommitHoldRequest(request_id=request_id, hold_id=hold_id)
        return (await decoded(self._stub.CommitHold(request, timeout=self._timeout))).hold

    async def apply_partner_reservation(self, request: pb.ApplyPartnerReservationRequest
                                        ) -> pb.ApplyPartnerReservationResponse:
        return await decoded(self._stub.ApplyPartnerReservation(request, timeout=self._timeout))
