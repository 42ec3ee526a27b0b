"""InventoryService, typed: the calls Booking (and other internal services) make."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TypedDict

import grpc
from google.protobuf.duration_pb2 import Duration
from hotelagg.common.v1 import common_pb2
from hotelagg.inventory.v1 import inventory_pb2 as pb
from hotelagg.inventory.v1 import inventory_pb2_grpc

from clients.hotelagg.errors import decoded


def _date(value: date) -> common_pb2.Date:
    return common_pb2.Date(year=value.year, month=value.month, day=value.day)


SERVICE_TOKEN_HEADER = "x-service-token"


class _CallOptions(TypedDict):
    """What every call passes the stub besides its request."""

    timeout: float
    metadata: tuple[tuple[str, str], ...] | None


class InventoryClient:
    def __init__(self, channel: grpc.aio.Channel, timeout: float = 10.0, service_token: str | None = None) -> None:
        self._stub = inventory_pb2_grpc.InventoryServiceStub(channel)
        # Holds, commits and partners' sales are RPCs for our own services: every call carries the token.
        self._call = _CallOptions(timeout=timeout,
                                  metadata=((SERVICE_TOKEN_HEADER, service_token),) if service_token else None)

    async def get_hotel(self, hotel_id: str) -> pb.Hotel:
        reply = await decoded(self._stub.GetHotel(pb.GetHotelRequest(hotel_id=hotel_id), **self._call))
        return reply.hotel

    async def hold(self, request_id: str, hotel_id: str, room_type_code: str, check_in: date, check_out: date,
                   quantity: int, ttl: timedelta | None = None) -> pb.Hold:
        request = pb.HoldInventoryRequest(request_id=request_id, hotel_id=hotel_id, room_type_code=room_type_code,
                                          check_in=_date(check_in), check_out=_date(check_out), quantity=quantity)
        if ttl is not None:
            request.ttl.CopyFrom(Duration(seconds=int(ttl.total_seconds())))
        return (await decoded(self._stub.HoldInventory(request, **self._call))).hold

    async def release(self, request_id: str, hold_id: str, cancel_sale: bool = False) -> pb.Hold:
        request = pb.ReleaseHoldRequest(request_id=request_id, hold_id=hold_id, cancel_sale=cancel_sale)
        return (await decoded(self._stub.ReleaseHold(request, **self._call))).hold

    async def commit(self, request_id: str, hold_id: str) -> pb.Hold:
        request = pb.CommitHoldRequest(request_id=request_id, hold_id=hold_id)
        return (await decoded(self._stub.CommitHold(request, **self._call))).hold

    async def apply_partner_reservation(self, request: pb.ApplyPartnerReservationRequest
                                        ) -> pb.ApplyPartnerReservationResponse:
        return await decoded(self._stub.ApplyPartnerReservation(request, **self._call))
