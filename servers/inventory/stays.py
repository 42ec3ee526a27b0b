"""Whether a stay can be sold: every night there, priced, open, with rooms, and the restrictions met.

Pure rules shared by holds, bookings, search and partner reservations: a stay is [check_in, check_out), so the departure
night only matters for closed-to-departure.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from servers.hotel.reasons import HotelReason
from servers.inventory.domain import CURRENCY_CODE, Night
from servers.runtime.errors import ApiError, Violations, failed_precondition
from servers.runtime.protos import read_date

MAX_STAY_NIGHTS = 30
MAX_ROOMS_PER_HOLD = 50
# A partner's reservation (ApplyPartnerReservation, and the gateway checking it first under its own names).
RESERVATION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}")
MAX_RESERVATION_ROOMS = 50


def validate_stay(v: Violations, check_in: date | None, check_out: date | None, today: date) -> None:
    if check_in is None or check_out is None:
        return
    if not v.check(check_out > check_in, "check_out", "must be after check_in"):
        return
    v.check((check_out - check_in).days <= MAX_STAY_NIGHTS, "check_out",
            f"a stay is at most {MAX_STAY_NIGHTS} nights")
    v.check(check_in >= today - timedelta(days=1), "check_in", "must not be in the past")


def _restricted(night: date, restriction: str, message: str) -> ApiError:
    return failed_precondition(HotelReason.RESTRICTED, message, night=night.isoformat(), restriction=restriction)


def sold_out(night: date, sellable: int, wanted: int) -> ApiError:
    return failed_precondition(
        HotelReason.SOLD_OUT,
        f"{night.isoformat()} has {sellable} rooms left, {wanted} wanted",
        night=night.isoformat(), rooms_left=str(sellable),
    )


def check_restrictions(nights: dict[date, Night], check_in: date, check_out: date) -> None:
    """Raises RESTRICTED for the first rule the stay breaks (or a night with no inventory or rate)."""
    length = (check_out - check_in).days
    stay = [check_in + timedelta(days=i) for i in range(length)]
    for day in stay:
        night = nights.get(day)
        if night is None or night.price_minor is None:
            raise _restricted(day, "not_for_sale", f"{day.isoformat()} has no inventory or rate loaded")
        if night.restrictions.stop_sell:
            raise _restricted(day, "stop_sell", f"{day.isoformat()} is closed for sale")
    arrival = nights[check_in].restrictions
    if arrival.closed_to_arrival:
        raise _restricted(check_in, "closed_to_arrival", f"no arrivals on {check_in.isoformat()}")
    if arrival.min_stay and length < arrival.min_stay:
        raise _restricted(check_in, "min_stay", f"arrivals on {check_in.isoformat()} stay at least {arrival.min_stay} nights")
    if arrival.max_stay and length > arrival.max_stay:
        raise _restricted(check_in, "max_stay", f"arrivals on {check_in.isoformat()} stay at most {arrival.max_stay} nights")
    departure = nights.get(check_out)
    if departure is not None and departure.restrictions.closed_to_departure:
        raise _restricted(check_out, "closed_to_departure", f"no departures on {check_out.isoformat()}")


def first_short_night(nights: dict[date, Night], check_in: date, check_out: date, quantity: int) -> Night | None:
    """The first night of the stay with fewer sellable rooms than wanted, if any."""
    day = check_in
    while day < check_out:
        night = nights[day]
        if night.sellable < quantity:
            return night
        day += timedelta(days=1)
    return None


def check_reservation(v: Violations, message, cancelled: bool, today, prefix: str = "") -> tuple:
    """The fields a partner's reservation carries, on ApplyPartnerReservationRequest or (prefix
    "reservation.") on the gateway's PartnerReservation: (check_in, check_out), None where bad."""
    v.check(bool(RESERVATION_ID.fullmatch(message.partner_reservation_id)), prefix + "partner_reservation_id",
            "1 to 100 letters, digits and _ . : / -")
    v.check(message.revision >= 1, prefix + "revision", "at least 1")
    stay = Violations()
    check_in = read_date(stay, message.check_in, "check_in", message.HasField("check_in"))
    check_out = read_date(stay, message.check_out, "check_out", message.HasField("check_out"))
    # A cancellation may come after the stay began; a sale or a change may not.
    validate_stay(stay, check_in, check_out, today - timedelta(days=60) if cancelled else today)
    for item in stay.items:
        v.add(prefix + item.field, item.description)
    v.check(1 <= message.rooms <= MAX_RESERVATION_ROOMS, prefix + "rooms", f"1 to {MAX_RESERVATION_ROOMS}")
    v.check(1 <= message.guests <= 4 * MAX_RESERVATION_ROOMS, prefix + "guests", f"1 to {4 * MAX_RESERVATION_ROOMS}")
    v.check(len(message.guest_name) <= 200, prefix + "guest_name", "at most 200 characters")
    money = message.total_amount
    v.check(message.HasField("total_amount") and bool(CURRENCY_CODE.fullmatch(money.currency_code)),
            prefix + "total_amount.currency_code", "required: ISO 4217, e.g. EUR")
    v.check(money.amount_minor >= 0, prefix + "total_amount.amount_minor", "must not be negative")
    return check_in, check_out
