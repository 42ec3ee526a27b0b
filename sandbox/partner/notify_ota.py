"""ota_xml partners tell hotelagg with OTA_HotelResNotifRQ posted to its webhook receiver (PROTOCOL.md)."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import aiohttp
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from .notifier import ACCEPTED, PERMANENT, TRANSIENT, Verdict
from .ota import new_message, q, to_bytes
from .reservations import Reservation, Stay

RES_STATUS = {"BOOKED": "Book", "MODIFIED": "Modify", "CANCELLED": "Cancel"}
ROOT = "OTA_HotelResNotifRQ"


def res_notif(reservation: Reservation) -> bytes:
    root = new_message(ROOT, f"{reservation.reservation_id}:{reservation.revision}")
    hotel_reservation = ET.SubElement(ET.SubElement(root, "HotelReservations"), "HotelReservation",
                                      {"ResStatus": RES_STATUS[reservation.status]})
    ET.SubElement(hotel_reservation, "UniqueID",
                  {"Type": "14", "ID": reservation.reservation_id, "Instance": str(reservation.revision)})
    _room_stay(ET.SubElement(ET.SubElement(hotel_reservation, "RoomStays"), "RoomStay"), reservation.stay)
    _guest(hotel_reservation, reservation.stay.guest_name)
    return to_bytes(root)


def _room_stay(room_stay: ET.Element, stay: Stay) -> None:
    ET.SubElement(ET.SubElement(room_stay, "RoomTypes"), "RoomType",
                  {"RoomTypeCode": stay.room_code, "NumberOfUnits": str(stay.rooms)})
    ET.SubElement(ET.SubElement(room_stay, "GuestCounts"), "GuestCount", {"Count": str(stay.guests)})
    ET.SubElement(room_stay, "TimeSpan", {"Start": stay.check_in.isoformat(), "End": stay.check_out.isoformat()})
    ET.SubElement(room_stay, "Total", {"AmountAfterTax": str(stay.total_minor), "DecimalPlaces": "2",
                                       "CurrencyCode": stay.currency})
    ET.SubElement(room_stay, "BasicPropertyInfo", {"HotelCode": stay.property_code})


def _guest(hotel_reservation: ET.Element, guest_name: str) -> None:
    """The last word is the surname, the rest the given name (left out when there is none)."""
    given, _, surname = guest_name.strip().rpartition(" ")
    element = hotel_reservation
    for tag in ("ResGuests", "ResGuest", "Profiles", "ProfileInfo", "Profile", "Customer", "PersonName"):
        element = ET.SubElement(element, tag)
    if given.strip():
        ET.SubElement(element, "GivenName").text = given.strip()
    ET.SubElement(element, "Surname").text = surname


def verdict_of(status: int, retry_after: str | None, body: bytes) -> Verdict:
    """HTTP decides whether to retry (429, 5xx); the OTA body says what was accepted or why not."""
    root = _parse(body)
    error = root.find(f"{q('Errors')}/{q('Error')}") if root is not None else None
    reason = error.get("Code", "") if error is not None else ""
    message = error.get("ShortText", "") if error is not None else ""
    if status == 429 or status >= 500:
        return Verdict(TRANSIENT, error={"code": f"HTTP_{status}", "reason": reason, "message": message},
                       retry_after=_seconds(retry_after))
    if status >= 400 or error is not None:
        return Verdict(PERMANENT, error={"code": f"HTTP_{status}", "reason": reason, "message": message})
    if status != 200 or root is None or root.find(q("Success")) is None:
        return Verdict(TRANSIENT, error={"code": f"HTTP_{status}", "reason": "",
                                         "message": "no OTA_HotelResNotifRS with Success or Errors"})
    return Verdict(ACCEPTED, booking_id=_booking_id(root), over_capacity=any(
        w.get("Code") == "OVER_CAPACITY" for w in root.iter(q("Warning"))))


def _parse(body: bytes) -> ET.Element | None:
    try:
        root = fromstring(body)
    except (ET.ParseError, DefusedXmlException):
        return None
    return root if root.tag == q("OTA_HotelResNotifRS") else None


def _booking_id(root: ET.Element) -> str | None:
    for reservation_id in root.iter(q("HotelReservationID")):
        if reservation_id.get("ResID_Type") == "10":
            return reservation_id.get("ResID_Value") or None
    return None


def _seconds(retry_after: str | None) -> float | None:
    """Retry-After in seconds; the HTTP-date form is not used by hotelagg and is ignored."""
    return float(retry_after) if retry_after and retry_after.strip().isdigit() else None


class OtaSender:
    def __init__(self, webhook_url: str, partner_id: str, api_key: str, timeout: float) -> None:
        self.url = f"{webhook_url.rstrip('/')}/partners/{partner_id}/ota/{ROOT}"
        self._headers = {"X-Api-Key": api_key, "Content-Type": "application/xml"}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._http: aiohttp.ClientSession | None = None

    def prepare(self, reservation: Reservation) -> bytes:
        return res_notif(reservation)

    async def send(self, payload: bytes) -> Verdict:
        if self._http is None:  # made on first use, inside the running event loop
            self._http = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._http.post(self.url, data=payload, headers=self._headers) as response:
                return verdict_of(response.status, response.headers.get("Retry-After"), await response.read())
        except TimeoutError:
            return Verdict(TRANSIENT, error={"code": "TIMEOUT", "reason": "",
                                             "message": f"no answer within {self._timeout.total} s"})
        except aiohttp.ClientError as error:
            return Verdict(TRANSIENT, error={"code": "CONNECTION_FAILED", "reason": "", "message": str(error)})

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
