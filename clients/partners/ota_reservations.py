"""OTA_HotelResNotifRQ, the reservation an ota_xml partner sells, and our OTA_HotelResNotifRS answers
(sandbox/partner/PROTOCOL.md, "What it sends us").

The webhook receiver parses with `parse_res_notif` and answers with `res_notif_success` or
`res_notif_error`; tests and tools write requests with `build_res_notif_rq`. Parsing is strict about
every field we book from, since a misread date or amount becomes a wrong booking: anything off
raises `OtaFormatError(field, message)`, `field` naming the ResNotif field.

Choices the protocol leaves open: exactly one HotelReservation, RoomStay and RoomType per message
(we book one room type per reservation); GuestCount may repeat and is summed; the first ResGuest
is the guest, its name is every GivenName then the Surname, and only the Surname is required (a
guest may have a single name); the same full shape is required for Cancel as for Book.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal
from xml.etree.ElementTree import Element

from clients.partners.ota_common import (
    ERROR_TYPE_BUSINESS,
    INT32_MAX,
    INT64_MAX,
    OtaFormatError,
    children,
    date_attribute,
    descend,
    descend_first,
    element,
    int_attribute,
    local_name,
    message_root,
    nest,
    only_child,
    parse_xml,
    text_attribute,
    to_bytes,
)

ResStatus = Literal["BOOKED", "MODIFIED", "CANCELLED"]
_STATUS_OF = {"Book": "BOOKED", "Commit": "BOOKED", "Modify": "MODIFIED", "Cancel": "CANCELLED"}
_RES_STATUS_OF = {"BOOKED": "Book", "MODIFIED": "Modify", "CANCELLED": "Cancel"}
RES_NOTIF_RQ = "OTA_HotelResNotifRQ"
RES_NOTIF_RS = "OTA_HotelResNotifRS"
UNIQUE_ID_RESERVATION = "14"  # OTA code list UIT: 14 = Reservation (the partner's id)
RES_ID_TYPE_OURS = "10"  # UIT 10 = Hotel: the booking id on our side
OVER_CAPACITY = "OVER_CAPACITY"
_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class ResNotif:
    echo_token: str
    status: ResStatus
    reservation_id: str
    revision: int  # UniqueID/@Instance, ≥ 1, grows with every modification
    property_code: str
    room_code: str
    check_in: dt.date
    check_out: dt.date  # exclusive, as in a stay
    rooms: int
    guests: int
    guest_name: str  # "Given Surname"
    total_minor: int
    currency: str


# ------------------------------------------------------------------------------------------ parsing


def parse_res_notif(body: bytes) -> ResNotif:
    """Raises OtaFormatError, carrying the EchoToken if the message had a readable one."""
    root = parse_xml(body)
    if local_name(root) != RES_NOTIF_RQ:
        raise OtaFormatError("body", f"expected <{RES_NOTIF_RQ}>, got <{local_name(root)}>")
    echo_token = text_attribute(root, "EchoToken", "echo_token")
    try:
        return _reservation(root, echo_token)
    except OtaFormatError as error:
        error.echo_token = echo_token
        raise


def _reservation(root: Element, echo_token: str) -> ResNotif:
    reservation = descend(root, "HotelReservations/HotelReservation", "hotel_reservation")
    stay = descend(reservation, "RoomStays/RoomStay", "room_stay")
    room_type = descend(stay, "RoomTypes/RoomType", "room_code")
    reservation_id, revision = _unique_id(reservation)
    check_in, check_out = _stay_dates(stay)
    total_minor, currency = _total(stay)
    return ResNotif(
        echo_token=echo_token,
        status=_status(reservation),
        reservation_id=reservation_id,
        revision=revision,
        property_code=text_attribute(only_child(stay, "BasicPropertyInfo", "property_code"), "HotelCode",
                                     "property_code"),
        room_code=text_attribute(room_type, "RoomTypeCode", "room_code"),
        check_in=check_in,
        check_out=check_out,
        rooms=int_attribute(room_type, "NumberOfUnits", "rooms", minimum=1),
        guests=_guests(stay),
        guest_name=_guest_name(reservation),
        total_minor=total_minor,
        currency=currency,
    )


def _status(reservation: Element) -> ResStatus:
    value = text_attribute(reservation, "ResStatus", "status")
    if value not in _STATUS_OF:
        raise OtaFormatError("status", f"ResStatus={value!r} is not one of Book, Modify, Cancel, Commit")
    return _STATUS_OF[value]  # type: ignore[return-value]


def _unique_id(reservation: Element) -> tuple[str, int]:
    found = [node for node in children(reservation, "UniqueID") if node.get("Type") == UNIQUE_ID_RESERVATION]
    if len(found) != 1:
        raise OtaFormatError("reservation_id", f"expected one <UniqueID Type=\"14\">, found {len(found)}")
    unique_id = found[0]
    return text_attribute(unique_id, "ID", "reservation_id"), int_attribute(unique_id, "Instance", "revision", 1)


def _stay_dates(stay: Element) -> tuple[dt.date, dt.date]:
    span = only_child(stay, "TimeSpan", "check_in")
    check_in = date_attribute(span, "Start", "check_in")
    check_out = date_attribute(span, "End", "check_out")
    if check_out <= check_in:
        raise OtaFormatError("check_out", f"End {check_out} is not after Start {check_in}")
    return check_in, check_out


def _total(stay: Element) -> tuple[int, str]:
    total = only_child(stay, "Total", "total_minor")
    amount = int_attribute(total, "AmountAfterTax", "total_minor", minimum=0, maximum=INT64_MAX)
    # Amounts are minor units with two decimals by the protocol; any other scale we would misbook.
    if total.get("DecimalPlaces") != "2":
        raise OtaFormatError("total_minor", f"DecimalPlaces={total.get('DecimalPlaces')!r}, expected \"2\"")
    currency = text_attribute(total, "CurrencyCode", "currency")
    if not _CURRENCY.fullmatch(currency):
        raise OtaFormatError("currency", f"CurrencyCode={currency!r} is not an ISO 4217 code")
    return amount, currency


def _guests(stay: Element) -> int:
    counts = children(only_child(stay, "GuestCounts", "guests"), "GuestCount")
    if not counts:
        raise OtaFormatError("guests", "no <GuestCount>")
    guests = sum(int_attribute(count, "Count", "guests", minimum=1) for count in counts)
    if guests > INT32_MAX:
        raise OtaFormatError("guests", f"{guests} guests in all; at most {INT32_MAX}")
    return guests


def _guest_name(reservation: Element) -> str:
    path = "ResGuests/ResGuest/Profiles/ProfileInfo/Profile/Customer/PersonName"
    person = descend_first(reservation, path, "guest_name")
    surname = " ".join((only_child(person, "Surname", "guest_name").text or "").split())
    if not surname:
        raise OtaFormatError("guest_name", "empty <Surname>")
    given = [" ".join((node.text or "").split()) for node in children(person, "GivenName")]
    return " ".join([*filter(None, given), surname])


# ------------------------------------------------------------------------------------------ writing


def build_res_notif_rq(notif: ResNotif, timestamp: dt.datetime | None = None) -> bytes:
    """The request a partner sends for `notif`; the guest name's first word becomes the GivenName
    (none for a single name), the rest the Surname, so parsing gives the same name back."""
    root = message_root(RES_NOTIF_RQ, notif.echo_token, timestamp)
    reservation = element(nest(root, "HotelReservations"), "HotelReservation",
                          ResStatus=_RES_STATUS_OF[notif.status])
    element(reservation, "UniqueID", Type=UNIQUE_ID_RESERVATION, ID=notif.reservation_id,
            Instance=str(notif.revision))
    _write_room_stay(nest(reservation, "RoomStays/RoomStay"), notif)
    _write_guest(reservation, notif.guest_name)
    return to_bytes(root)


def _write_room_stay(stay: Element, notif: ResNotif) -> None:
    element(nest(stay, "RoomTypes"), "RoomType", RoomTypeCode=notif.room_code, NumberOfUnits=str(notif.rooms))
    element(nest(stay, "GuestCounts"), "GuestCount", Count=str(notif.guests))
    element(stay, "TimeSpan", Start=notif.check_in.isoformat(), End=notif.check_out.isoformat())
    element(stay, "Total", AmountAfterTax=str(notif.total_minor), DecimalPlaces="2", CurrencyCode=notif.currency)
    element(stay, "BasicPropertyInfo", HotelCode=notif.property_code)


def _write_guest(reservation: Element, guest_name: str) -> None:
    person = nest(reservation, "ResGuests/ResGuest/Profiles/ProfileInfo/Profile/Customer/PersonName")
    words = guest_name.split()
    if len(words) > 1:
        element(person, "GivenName").text = words[0]
    element(person, "Surname").text = " ".join(words[1:] or words)


def res_notif_success(echo_token: str, booking_id: str, over_capacity: bool,
                      timestamp: dt.datetime | None = None) -> bytes:
    root = message_root(RES_NOTIF_RS, echo_token, timestamp)
    element(root, "Success")
    if over_capacity:
        # OTA puts Warnings right after Success, before the business content.
        element(nest(root, "Warnings"), "Warning", Type=ERROR_TYPE_BUSINESS, Code=OVER_CAPACITY,
                ShortText="booked beyond the rooms we had left for this stay")
    ids = nest(root, "HotelReservations/HotelReservation/ResGlobalInfo/HotelReservationIDs")
    element(ids, "HotelReservationID", ResID_Type=RES_ID_TYPE_OURS, ResID_Value=booking_id)
    return to_bytes(root)


def res_notif_error(echo_token: str | None, code: str, text: str,
                    timestamp: dt.datetime | None = None) -> bytes:
    """`echo_token` None when the request was too broken to read one: the answer then has none."""
    root = message_root(RES_NOTIF_RS, echo_token, timestamp)
    element(nest(root, "Errors"), "Error", Type=ERROR_TYPE_BUSINESS, Code=code, ShortText=text)
    return to_bytes(root)
