"""Booking protos ↔ rows and domain values."""

from __future__ import annotations

from hotelagg.booking.v1 import booking_pb2 as pb
from sqlalchemy.engine import Row

from servers.booking import domain
from servers.hotel.etags import etag
from servers.runtime.errors import Violations
from servers.runtime.protos import date_proto, money_proto, read_date, timestamp_proto

STATUS = {
    domain.PENDING: pb.BOOKING_STATUS_PENDING,
    domain.HELD: pb.BOOKING_STATUS_HELD,
    domain.CONFIRMED: pb.BOOKING_STATUS_CONFIRMED,
    domain.CANCELLED: pb.BOOKING_STATUS_CANCELLED,
    domain.EXPIRED: pb.BOOKING_STATUS_EXPIRED,
    domain.FAILED: pb.BOOKING_STATUS_FAILED,
    domain.CANCELLING: pb.BOOKING_STATUS_CANCELLING,
}
STATUS_NAMES = {number: name for name, number in STATUS.items()}


def booking_etag(row: Row) -> str:
    return etag("booking", row.id, row.version)


def new_booking(v: Violations, request: pb.CreateBookingRequest) -> domain.NewBooking:
    guest = request.lead_guest
    lead = {name: getattr(guest, name) for name in ("given_name", "family_name", "email", "phone")
            if getattr(guest, name)}
    return domain.NewBooking(
        user_id=request.user_id, hotel_id=request.hotel_id, room_type_code=request.room_type_code,
        check_in=read_date(v, request.check_in, "check_in", request.HasField("check_in")),
        check_out=read_date(v, request.check_out, "check_out", request.HasField("check_out")),
        rooms=request.rooms, guests=request.guests, payment_token=request.payment_token, lead_guest=lead,
    )


def booking_proto(row: Row) -> pb.Booking:
    currency = row.currency_code
    return pb.Booking(
        booking_id=row.id, user_id=row.user_id, hotel_id=row.hotel_id, room_type_code=row.room_type_code,
        check_in=date_proto(row.check_in), check_out=date_proto(row.check_out), rooms=row.rooms, guests=row.guests,
        lead_guest=pb.Guest(**(row.lead_guest or {})), status=STATUS[row.status],
        expire_time=timestamp_proto(row.expires_at) if row.status == domain.HELD else None,
        total_amount=money_proto(row.total_minor, currency), paid_amount=money_proto(row.paid_minor, currency),
        fee_amount=money_proto(row.fee_minor, currency), channel=row.channel,
        channel_manager_reservation_id=row.channel_manager_reservation_id or "",
        payment_reference=row.payment_reference or "", etag=booking_etag(row),
        create_time=timestamp_proto(row.created_at), update_time=timestamp_proto(row.updated_at),
    )
