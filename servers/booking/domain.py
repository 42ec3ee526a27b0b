"""Booking rules, in plain Python: the state machine, what a valid booking is, what a cancellation costs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from servers.booking.reasons import BookingReason
from servers.hotel.ids import check_hotel_id, check_room_type_code
from servers.hotel.stays import validate_stay
from servers.runtime.errors import Violations, failed_precondition

PENDING, HELD, CONFIRMED, CANCELLED, EXPIRED, FAILED = "pending", "held", "confirmed", "cancelled", "expired", "failed"
# A cancellation decided (reason and fee written down) and not yet finished everywhere: the booking no
# longer claims its room or its money, whatever the channel manager or the gateway answer meanwhile.
CANCELLING = "cancelling"
# Every move a booking may make; anything else is refused with the state it is in.
TRANSITIONS = {
    PENDING: {HELD, FAILED},
    HELD: {CONFIRMED, CANCELLING, EXPIRED, FAILED},
    CONFIRMED: {CANCELLING},
    CANCELLING: {CANCELLED},
    CANCELLED: set(),
    EXPIRED: set(),
    FAILED: set(),
}
# The outside steps (bookings.step_in_flight), each written down before it is called, in the order
# CreateBooking and ConfirmBooking take them. Whoever finds one after a crash or a lost answer asks it
# again under its idempotency key: to undo it (a create) or to carry on past it (a confirm).
HOLD_STEP, RESERVE_STEP, AUTHORIZE_STEP = "hold", "reserve", "authorize"
COMMIT_STEP, CAPTURE_STEP, CONFIRM_STEP = "commit", "capture", "confirm"
CONFIRM_STEPS = (COMMIT_STEP, CAPTURE_STEP, CONFIRM_STEP)
OUR_CHANNEL = "hotelagg"
MAX_ROOMS = 10
CHECK_IN_HOUR = 14  # when a stay starts, in the hotel's time zone, for the cancellation deadline
USER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@:-]{0,62}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def check_transition(current: str, wanted: str, booking_id: str) -> None:
    if wanted not in TRANSITIONS[current]:
        raise failed_precondition(
            BookingReason.ILLEGAL_TRANSITION, f"a {current} booking cannot become {wanted}",
            booking_id=booking_id, status=current.upper(), wanted=wanted.upper(),
        )


@dataclass(frozen=True)
class NewBooking:
    user_id: str
    hotel_id: str
    room_type_code: str
    check_in: date | None
    check_out: date | None
    rooms: int
    guests: int
    payment_token: str
    lead_guest: dict[str, str]  # the Guest message's fields that were set


def validate(booking: NewBooking, today: date, v: Violations) -> None:
    """Adds every problem to v (which may hold some already, e.g. a date that is not one) and raises."""
    v.check(bool(USER_ID.fullmatch(booking.user_id)), "user_id", "1 to 63 letters, digits and _.@:-")
    check_hotel_id(v, booking.hotel_id)
    check_room_type_code(v, booking.room_type_code)
    validate_stay(v, booking.check_in, booking.check_out, today)
    v.check(1 <= booking.rooms <= MAX_ROOMS, "rooms", f"1 to {MAX_ROOMS} rooms")
    v.check(booking.guests >= 1, "guests", "at least 1")
    v.check(0 < len(booking.payment_token) <= 200, "payment_token", "required: the payment provider's card token")
    email = booking.lead_guest.get("email", "")
    if email:
        v.check(bool(EMAIL.fullmatch(email)), "lead_guest.email", "an e-mail address")
    for name, value in booking.lead_guest.items():
        v.check(len(value) <= 200, f"lead_guest.{name}", "at most 200 characters")
    v.raise_if_any()


def check_occupancy(guests: int, rooms: int, max_occupancy: int) -> None:
    if guests > rooms * max_occupancy:
        Violations().add("guests", f"{rooms} room(s) of this type sleep at most {rooms * max_occupancy}").raise_if_any()


def cancellation_fee(total_minor: int, check_in: date, time_zone: str, free_hours: int, fee_percent: int,
                     now: datetime) -> int:
    """What the hotel keeps when a confirmed booking is cancelled now."""
    starts = datetime.combine(check_in, time(CHECK_IN_HOUR), ZoneInfo(time_zone))
    if now < starts - timedelta(hours=free_hours):
        return 0
    return total_minor * fee_percent // 100
