"""ota_xml ARI messages (PROTOCOL.md "ota_xml") → night changes, or an INVALID_REQUEST naming the spot.

OTA_HotelAvailNotifRQ sets everything but the rate; OTA_HotelRateAmountNotifRQ sets the rate and its
currency. Start and End are inclusive and expand to one change per night.
"""

from __future__ import annotations

import datetime as dt
from xml.etree.ElementTree import Element

from .model import NightChange, inclusive_dates, invalid
from .ota import at_most_one, attr, attr_date, attr_int, children, one
from .validation import CODE, CURRENCY, MAX_MINOR

AVAIL = "OTA_HotelAvailNotifRQ"
RATES = "OTA_HotelRateAmountNotifRQ"
CONTAINERS = {AVAIL: ("AvailStatusMessages", "AvailStatusMessage"),
              RATES: ("RateAmountMessages", "RateAmountMessage")}
MAX_MESSAGES = 5_000
MAX_SPAN = 1000  # nights one StatusApplicationControl may cover
MAX_STAY = 999
MAX_AVAILABLE = 100_000
RESTRICTIONS = {"Master": "stop_sell", "Arrival": "closed_to_arrival", "Departure": "closed_to_departure"}
STAY_LIMITS = {"SetMinLOS": "min_stay", "SetMaxLOS": "max_stay"}


def hotel_code(root: Element, message: str) -> str:
    """The property the request is about, read first: the rate limit is counted per property."""
    container = CONTAINERS[message][0]
    code = attr(one(root, container, message), "HotelCode", container)
    if not CODE.match(code):
        raise invalid(f"{container}/@HotelCode", f"must match {CODE.pattern}")
    return code


def changes(root: Element, message: str) -> list[NightChange]:
    container, tag = CONTAINERS[message]
    messages = children(one(root, container, message), tag)
    if not 0 < len(messages) <= MAX_MESSAGES:
        raise invalid(f"{container}/{tag}", f"must appear 1 to {MAX_MESSAGES} times")
    read = _avail_values if message == AVAIL else _rate_values
    found: list[NightChange] = []
    seen: set[tuple[str, dt.date]] = set()
    for i, element in enumerate(messages):
        path = f"{tag}[{i}]"
        room_code, dates = _application(element, path)
        values = tuple(read(element, path).items())
        for date in dates:
            if (room_code, date) in seen:
                raise invalid(path, f"{date} of {room_code} is covered twice")
            seen.add((room_code, date))
            found.append(NightChange(room_code, date, values))
    return found


def _application(message: Element, path: str) -> tuple[str, list[dt.date]]:
    control = one(message, "StatusApplicationControl", path)
    path += "/StatusApplicationControl"
    room_code = attr(control, "InvTypeCode", path)
    if not CODE.match(room_code):
        raise invalid(f"{path}/@InvTypeCode", f"must match {CODE.pattern}")
    start, end = attr_date(control, "Start", path), attr_date(control, "End", path)
    if not start <= end <= start + dt.timedelta(days=MAX_SPAN - 1):
        raise invalid(f"{path}/@End", f"must be on or after Start, within {MAX_SPAN} nights (End is inclusive)")
    return room_code, inclusive_dates(start, end)


def _avail_values(message: Element, path: str) -> dict[str, object]:
    return {"available": attr_int(message, "BookingLimit", path, hi=MAX_AVAILABLE),
            **_stay_limits(message, path), **_restrictions(message, path)}


def _stay_limits(message: Element, path: str) -> dict[str, int]:
    """Absent limits are 0 (no limit): the values are absolute, so leaving one out clears it."""
    limits = {"min_stay": 0, "max_stay": 0}
    container = at_most_one(message, "LengthsOfStay", path)
    given: set[str] = set()
    for i, stay in enumerate(children(container, "LengthOfStay") if container is not None else []):
        where = f"{path}/LengthsOfStay/LengthOfStay[{i}]"
        kind = stay.get("MinMaxMessageType")
        if kind not in STAY_LIMITS or kind in given:
            raise invalid(f"{where}/@MinMaxMessageType", f"must be one of {sorted(STAY_LIMITS)}, each once")
        given.add(kind)
        limits[STAY_LIMITS[kind]] = attr_int(stay, "Time", where, hi=MAX_STAY)
    if limits["max_stay"] and limits["max_stay"] < limits["min_stay"]:
        raise invalid(f"{path}/LengthsOfStay", "SetMaxLOS is below SetMinLOS (0 means no limit)")
    return limits


def _restrictions(message: Element, path: str) -> dict[str, bool]:
    """Absent restrictions are Open. A RestrictionStatus without Restriction is Master (OTA rule)."""
    flags = dict.fromkeys(RESTRICTIONS.values(), False)
    given: set[str] = set()
    for i, status in enumerate(children(message, "RestrictionStatus")):
        where = f"{path}/RestrictionStatus[{i}]"
        restriction = status.get("Restriction", "Master")
        if restriction not in RESTRICTIONS or restriction in given:
            raise invalid(f"{where}/@Restriction", f"must be one of {sorted(RESTRICTIONS)}, each once")
        given.add(restriction)
        if status.get("Status") not in ("Open", "Close"):
            raise invalid(f"{where}/@Status", "must be Open or Close")
        flags[RESTRICTIONS[restriction]] = status.get("Status") == "Close"
    return flags


def _rate_values(message: Element, path: str) -> dict[str, object]:
    rate = one(one(message, "Rates", path), "Rate", f"{path}/Rates")
    amounts = one(rate, "BaseByGuestAmts", f"{path}/Rates/Rate")
    path += "/Rates/Rate/BaseByGuestAmts"
    amount = one(amounts, "BaseByGuestAmt", path)
    path += "/BaseByGuestAmt"
    if amount.get("DecimalPlaces") != "2":
        raise invalid(f"{path}/@DecimalPlaces", "must be 2: amounts are taken in minor units of 2 digits")
    currency = attr(amount, "CurrencyCode", path)
    if not CURRENCY.match(currency):
        raise invalid(f"{path}/@CurrencyCode", "must be an ISO 4217 code such as EUR")
    # DecimalPlaces is implied, OTA style: AmountAfterTax="12000" with 2 is 120.00, i.e. 12000 minor units.
    return {"price_minor": attr_int(amount, "AmountAfterTax", path, hi=MAX_MINOR), "currency": currency}
