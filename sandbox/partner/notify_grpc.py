"""json_rest partners tell hotelagg over gRPC: PartnerService/NotifyReservation (PROTOCOL.md)."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2, status_pb2
from hotelagg.common.v1 import common_pb2
from hotelagg.partner.v1 import partner_pb2, partner_pb2_grpc

from .notifier import ACCEPTED, PERMANENT, TRANSIENT, Verdict
from .reservations import Reservation

# What a partner would retry: hotelagg busy, slow, rate limiting, or racing itself. INTERNAL and
# UNKNOWN too, as a real partner retries an HTTP 500. Anything else is refused for good.
RETRIED = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.DEADLINE_EXCEEDED,
           grpc.StatusCode.ABORTED, grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN,
           grpc.StatusCode.CANCELLED}
STATUSES = {"BOOKED": partner_pb2.RESERVATION_STATUS_BOOKED, "MODIFIED": partner_pb2.RESERVATION_STATUS_MODIFIED,
            "CANCELLED": partner_pb2.RESERVATION_STATUS_CANCELLED}


def notify_request(reservation: Reservation) -> partner_pb2.NotifyReservationRequest:
    stay = reservation.stay
    return partner_pb2.NotifyReservationRequest(
        request_id=f"{reservation.reservation_id}:{reservation.revision}",
        reservation=partner_pb2.PartnerReservation(
            partner_reservation_id=reservation.reservation_id, revision=reservation.revision,
            status=STATUSES[reservation.status], partner_property_code=stay.property_code,
            partner_room_code=stay.room_code,
            check_in=common_pb2.Date(year=stay.check_in.year, month=stay.check_in.month, day=stay.check_in.day),
            check_out=common_pb2.Date(year=stay.check_out.year, month=stay.check_out.month,
                                      day=stay.check_out.day),
            rooms=stay.rooms, guests=stay.guests, guest_name=stay.guest_name,
            total_amount=common_pb2.Money(currency_code=stay.currency, amount_minor=stay.total_minor),
        ),
    )


def verdict_of(error: grpc.aio.AioRpcError) -> Verdict:
    """The canonical code decides; ErrorInfo gives the reason and RetryInfo the delay asked for."""
    reason, retry_after = "", None
    raw = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
    for detail in status_pb2.Status.FromString(raw).details if raw else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason = info.reason
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            detail.Unpack(retry)
            retry_after = retry.retry_delay.ToTimedelta().total_seconds()
    kind = TRANSIENT if error.code() in RETRIED else PERMANENT
    return Verdict(kind, error={"code": error.code().name, "reason": reason, "message": error.details() or ""},
                   retry_after=retry_after)


class GrpcSender:
    def __init__(self, target: str, api_key: str, timeout: float) -> None:
        self._target = target
        self._metadata = (("x-api-key", api_key),)
        self._timeout = timeout
        self._channel: grpc.aio.Channel | None = None

    def prepare(self, reservation: Reservation) -> partner_pb2.NotifyReservationRequest:
        return notify_request(reservation)

    async def send(self, payload: partner_pb2.NotifyReservationRequest) -> Verdict:
        if self._channel is None:  # made on first use, inside the running event loop
            self._channel = grpc.aio.insecure_channel(self._target)
        stub = partner_pb2_grpc.PartnerServiceStub(self._channel)
        try:
            response = await stub.NotifyReservation(payload, metadata=self._metadata, timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            return verdict_of(error)
        return Verdict(ACCEPTED, booking_id=response.booking_id or None, over_capacity=response.over_capacity)

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None
