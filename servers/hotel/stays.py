"""Whether a stay can be sold: every night there, priced, open, with rooms, and the restrictions met.

Pure rules shared by holds, bookings, search and partner reservations: a stay is [check_in, check_out), so
the departure night only matters for closed-to-departure. Dates come in read (the proto side reads them).
"""

from __future__ import annotations

from datetime import date, timedelta

from servers.hotel.limits import MAX_STAY_NIGHTS
from servers.hotel.nights import Night, nights_between
from servers.runtime.errors import ApiError, Violations, failed_precondition


def validate_stay(v: Violations, check_in: date | None, check_out: date | None, today: date) -> None:
    """A stay of 1 to MAX_STAY_NIGHTS nights, not begun before yesterday; a date None was already
    refused where it was read."""
    if check_in is None or check_out is None:
        return
    if not v.check(check_out > check_in, "check_out", "must be after check_in"):
        return
    v.check((check_out - check_in).days <= MAX_STAY_NIGHTS, "check_out",
            f"a stay is at most {MAX_STAY_NIGHTS} nights")
    # A day of slack: the hotel's today may still be our yesterday.
    v.check(check_in >= today - timedelta(days=1), "check_in", "must not be in the past")


def _restricted(night: date, restriction: str, message: str) -> ApiError:
    return failed_precondition("RESTRICTED", message, night=night.isoformat(), restriction=restriction)


def sold_out(night: date, sellable: int, wanted: int) -> ApiError:
    return failed_precondition(
        "SOLD_OUT",
        f"{night.isoformat()} has {sellable} rooms left, {wanted} wanted",
        night=night.isoformat(), rooms_left=str(sellable),
    )


def arrival_refusal(length: int, min_stay: int, max_stay: int, closed_to_arrival: bool) -> str | None:
    """Which of the arrival night's rules a stay of `length` nights breaks, if any (0 sets no stay limit).
    Holds refuse with it (check_restrictions), search leaves the room type out with it."""
    if closed_to_arrival:
        return "closed_to_arrival"
    if min_stay and length < min_stay:
        return "min_stay"
    if max_stay and length > max_stay:
        return "max_stay"
    return None


def check_restrictions(nights: dict[date, Night], check_in: date, check_out: date) -> None:
    """Raises RESTRICTED for the first rule the stay breaks (or a night with no inventory or rate)."""
    stay = nights_between(check_in, check_out)
    for day in stay:
        night = nights.get(day)
        if night is None or night.price_minor is None:
            raise _restricted(day, "not_for_sale", f"{day.isoformat()} has no inventory or rate loaded")
        if night.restrictions.stop_sell:
            raise _restricted(day, "stop_sell", f"{day.isoformat()} is closed for sale")
    arrival = nights[check_in].restrictions
    broken = arrival_refusal(len(stay), arrival.min_stay, arrival.max_stay, arrival.closed_to_arrival)
    arriving = check_in.isoformat()
    if broken == "closed_to_arrival":
        raise _restricted(check_in, broken, f"no arrivals on {arriving}")
    if broken == "min_stay":
        raise _restricted(check_in, broken, f"arrivals on {arriving} stay at least {arrival.min_stay} nights")
    if broken == "max_stay":
        raise _restricted(check_in, broken, f"arrivals on {arriving} stay at most {arrival.max_stay} nights")
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
