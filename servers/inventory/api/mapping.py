"""Inventory protos ↔ domain values."""

from __future__ import annotations

from datetime import date

from hotelagg.inventory.v1 import inventory_pb2 as pb

from servers.hotel.etags import etag
from servers.hotel.nights import Night
from servers.hotel.reservations import PartnerReservation
from servers.inventory.domain import NewHotel, NewRoomType, NightsPatch
from servers.inventory.flows.holds import PlacedHold
from servers.inventory.store.catalog import HotelRecord
from servers.runtime.errors import Violations
from servers.runtime.protos import date_proto, money_proto, read_date, timestamp_proto


def new_hotel(request: pb.CreateHotelRequest, hotel_id: str) -> NewHotel:
    h = request.hotel
    cm = h.channel_manager if h.HasField("channel_manager") else None
    return NewHotel(
        hotel_id=hotel_id,
        name=h.name,
        city=h.city,
        country_code=h.country_code,
        latitude=h.latitude,
        longitude=h.longitude,
        time_zone=h.time_zone,
        currency_code=h.currency_code,
        overbooking_allowance=h.overbooking_allowance,
        free_cancellation_hours=h.free_cancellation_hours if h.HasField("free_cancellation_hours") else 24,
        cancellation_fee_percent=h.cancellation_fee_percent if h.HasField("cancellation_fee_percent") else 100,
        channel_manager_id=cm.channel_manager_id if cm else None,
        channel_manager_url=cm.base_url if cm else None,
        channel_manager_hotel_code=cm.hotel_code if cm else None,
    )


def new_room_type(message: pb.RoomType) -> NewRoomType:
    return NewRoomType(
        code=message.code, name=message.name, max_occupancy=message.max_occupancy, total_rooms=message.total_rooms
    )


def nights_patch(request: pb.UpdateInventoryRequest) -> NightsPatch:
    def optional(name: str):
        return getattr(request, name) if request.HasField(name) else None

    return NightsPatch(
        total_rooms=optional("total_rooms"),
        price_minor=request.price.amount_minor if request.HasField("price") else None,
        min_stay=optional("min_stay"),
        max_stay=optional("max_stay"),
        closed_to_arrival=optional("closed_to_arrival"),
        closed_to_departure=optional("closed_to_departure"),
        stop_sell=optional("stop_sell"),
    )


def date_range(v: Violations, request, start_field: str = "start_date", end_field: str = "end_date"):
    start: date | None = read_date(v, getattr(request, start_field), start_field, request.HasField(start_field))
    end: date | None = read_date(v, getattr(request, end_field), end_field, request.HasField(end_field))
    return start, end


def partner_reservation(request: pb.ApplyPartnerReservationRequest) -> PartnerReservation:
    """The partner's reservation the gateway passes on, for the kernel's check of it."""
    dates = Violations()
    money = request.total_amount
    return PartnerReservation(
        request.partner_reservation_id, request.revision,
        read_date(dates, request.check_in, "check_in", request.HasField("check_in")),
        read_date(dates, request.check_out, "check_out", request.HasField("check_out")),
        request.rooms, request.guests, request.guest_name,
        money.currency_code if request.HasField("total_amount") else None, money.amount_minor, tuple(dates.items))


def room_type_proto(row) -> pb.RoomType:
    return pb.RoomType(
        hotel_id=row.hotel_id,
        code=row.code,
        name=row.name,
        max_occupancy=row.max_occupancy,
        total_rooms=row.total_rooms,
        etag=etag("room_type", row.id, row.version),
    )


def hotel_proto(record: HotelRecord) -> pb.Hotel:
    h = record.hotel
    message = pb.Hotel(
        hotel_id=h.id,
        name=h.name,
        city=h.city,
        country_code=h.country_code,
        latitude=h.latitude,
        longitude=h.longitude,
        time_zone=h.time_zone,
        currency_code=h.currency_code,
        overbooking_allowance=h.overbooking_allowance,
        free_cancellation_hours=h.free_cancellation_hours,
        cancellation_fee_percent=h.cancellation_fee_percent,
        room_types=[room_type_proto(rt) for rt in record.room_types],
        etag=etag("hotel", h.id, h.version),
        create_time=timestamp_proto(h.created_at),
    )
    if h.channel_manager_id is not None:
        message.channel_manager.CopyFrom(
            pb.ChannelManagerLink(
                channel_manager_id=h.channel_manager_id,
                base_url=h.channel_manager_url or "",
                hotel_code=h.channel_manager_hotel_code or "",
            )
        )
    return message


def night_proto(night: Night, currency_code: str) -> pb.NightInventory:
    r = night.restrictions
    return pb.NightInventory(
        date=date_proto(night.night),
        total_rooms=night.total,
        available_rooms=night.available,
        held_rooms=night.held,
        sellable_rooms=night.sellable,
        price=money_proto(night.price_minor, currency_code),
        restrictions=pb.Restrictions(
            min_stay=r.min_stay,
            max_stay=r.max_stay,
            closed_to_arrival=r.closed_to_arrival,
            closed_to_departure=r.closed_to_departure,
            stop_sell=r.stop_sell,
        ),
        version=night.version,
    )


_HOLD_STATUS = {
    "held": pb.HOLD_STATUS_HELD,
    "released": pb.HOLD_STATUS_RELEASED,
    "committed": pb.HOLD_STATUS_COMMITTED,
    "expired": pb.HOLD_STATUS_EXPIRED,
}


def hold_proto(row, now, currency_code: str = "") -> pb.Hold:
    # A hold past its time is expired for the caller even before the sweeper reclaims it.
    status = "expired" if row.status == "held" and row.expires_at <= now else row.status
    return pb.Hold(
        hold_id=row.id,
        hotel_id=row.hotel_id,
        room_type_code=row.room_type_code,
        check_in=date_proto(row.check_in),
        check_out=date_proto(row.check_out),
        quantity=row.quantity,
        status=_HOLD_STATUS[status],
        expire_time=timestamp_proto(row.expires_at),
        create_time=timestamp_proto(row.created_at),
        etag=etag("hold", row.id, row.version),
        total_price=money_proto(row.total_minor, currency_code) if currency_code else None,
    )


def hold_response(placed: PlacedHold) -> pb.HoldInventoryResponse:
    """A hold HoldInventory placed, as answered and as stored for a replay of its request."""
    return pb.HoldInventoryResponse(hold=hold_proto(placed.hold, placed.decided_at, placed.currency_code))
