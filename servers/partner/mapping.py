"""Rows ↔ PartnerService protos."""

from __future__ import annotations

from hotelagg.partner.v1 import partner_pb2 as pb
from sqlalchemy.engine import Row

from servers.hotel.etags import etag
from servers.hotel.reservations import PartnerReservation
from servers.partner import domain
from servers.runtime.errors import Violations
from servers.runtime.protos import read_date, timestamp_proto

PROTOCOL_NAMES = {pb.PARTNER_PROTOCOL_JSON_REST: "json_rest", pb.PARTNER_PROTOCOL_OTA_XML: "ota_xml"}
PROTOCOLS = {name: value for value, name in PROTOCOL_NAMES.items()}
STATUS_NAMES = {pb.DELIVERY_STATUS_PENDING: domain.PENDING, pb.DELIVERY_STATUS_RETRYING: domain.RETRYING,
                pb.DELIVERY_STATUS_DELIVERED: domain.DELIVERED, pb.DELIVERY_STATUS_PARKED: domain.PARKED}
STATUSES = {name: value for value, name in STATUS_NAMES.items()}


def new_partner(request: pb.CreatePartnerRequest, partner_id: str) -> domain.NewPartner:
    p, limits = request.partner, request.partner.rate_limit
    return domain.NewPartner(
        partner_id=partner_id, name=p.name, protocol=PROTOCOL_NAMES.get(p.protocol, ""), endpoint_url=p.endpoint_url,
        requests_per_minute=limits.requests_per_minute or domain.DEFAULT_REQUESTS_PER_MINUTE,
        inbound_requests_per_minute=limits.inbound_requests_per_minute or domain.DEFAULT_INBOUND_PER_MINUTE)


def new_listing(request: pb.CreateListingRequest) -> domain.NewListing:
    item = request.listing
    return domain.NewListing(item.partner_id, item.hotel_id, item.room_type_code, item.partner_property_code,
                             item.partner_room_code, item.active)


def partner_reservation(r: pb.PartnerReservation) -> PartnerReservation:
    """The reservation a partner pushed, for the kernel's check of it."""
    dates = Violations()
    return PartnerReservation(
        r.partner_reservation_id, r.revision,
        read_date(dates, r.check_in, "check_in", r.HasField("check_in")),
        read_date(dates, r.check_out, "check_out", r.HasField("check_out")),
        r.rooms, r.guests, r.guest_name,
        r.total_amount.currency_code if r.HasField("total_amount") else None, r.total_amount.amount_minor,
        tuple(dates.items))


def partner_proto(row: Row) -> pb.Partner:
    return pb.Partner(
        partner_id=row.id, name=row.name, protocol=PROTOCOLS[row.protocol], endpoint_url=row.endpoint_url,
        rate_limit=pb.RateLimit(requests_per_minute=row.requests_per_minute,
                                inbound_requests_per_minute=row.inbound_requests_per_minute),
        api_key_prefix=row.api_key_prefix, etag=etag(row.id, row.version), create_time=timestamp_proto(row.created_at))


def listing_proto(row: Row) -> pb.Listing:
    return pb.Listing(
        listing_id=row.id, partner_id=row.partner_id, hotel_id=row.hotel_id, room_type_code=row.room_type_code,
        partner_property_code=row.partner_property_code, partner_room_code=row.partner_room_code,
        active=bool(row.active), etag=etag(row.id, row.version), create_time=timestamp_proto(row.created_at))


def delivery_proto(row: Row) -> pb.Delivery:
    return pb.Delivery(
        delivery_id=row.id, partner_id=row.partner_id, hotel_id=row.hotel_id, status=STATUSES[row.status],
        attempt_count=row.attempt_count, last_error=row.last_error or "", change_count=row.change_count,
        idempotency_key=row.idempotency_key, create_time=timestamp_proto(row.created_at),
        next_attempt_time=timestamp_proto(row.next_attempt_at), deliver_time=timestamp_proto(row.delivered_at))
