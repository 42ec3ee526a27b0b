"""A reservation a partner sold, as both sides check it: the Partner Gateway when the partner sends it
(under the gateway's names, "reservation."), the ledger (InventoryService.ApplyPartnerReservation) when
the gateway passes it on. One rule, so that what the gateway lets through the ledger takes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from servers.hotel.ids import CURRENCY_CODE
from servers.hotel.limits import MAX_RESERVATION_ROOMS
from servers.hotel.stays import validate_stay
from servers.runtime.errors import FieldViolation, Violations

RESERVATION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}")
# How long after a stay began its cancellation is still taken (a sale or a change is not).
LATE_CANCELLATION_DAYS = 60


@dataclass(frozen=True)
class PartnerReservation:
    """The fields of a partner's reservation, read off whichever message carried them."""

    partner_reservation_id: str
    revision: int
    check_in: date | None
    check_out: date | None
    rooms: int
    guests: int
    guest_name: str
    currency_code: str | None  # None: no total amount given
    amount_minor: int
    # Why check_in or check_out is None: what reading them found (missing, or not a calendar date),
    # named without the prefix, as the stay's own checks name them.
    unread_dates: tuple[FieldViolation, ...] = ()


def check_reservation(v: Violations, r: PartnerReservation, cancelled: bool, today: date, prefix: str = "") -> None:
    """Adds to v every field of the reservation that is wrong, each named prefix + field."""
    v.check(bool(RESERVATION_ID.fullmatch(r.partner_reservation_id)), prefix + "partner_reservation_id",
            "1 to 100 letters, digits and _ . : / -")
    v.check(r.revision >= 1, prefix + "revision", "at least 1")
    stay = Violations()
    stay.items.extend(r.unread_dates)
    # A cancellation may come after the stay began; a sale or a change may not.
    validate_stay(stay, r.check_in, r.check_out, today - timedelta(days=LATE_CANCELLATION_DAYS) if cancelled else today)
    for item in stay.items:
        v.add(prefix + item.field, item.description)
    v.check(1 <= r.rooms <= MAX_RESERVATION_ROOMS, prefix + "rooms", f"1 to {MAX_RESERVATION_ROOMS}")
    v.check(1 <= r.guests <= 4 * MAX_RESERVATION_ROOMS, prefix + "guests", f"1 to {4 * MAX_RESERVATION_ROOMS}")
    v.check(len(r.guest_name) <= 200, prefix + "guest_name", "at most 200 characters")
    v.check(r.currency_code is not None and bool(CURRENCY_CODE.fullmatch(r.currency_code)),
            prefix + "total_amount.currency_code", "required: ISO 4217, e.g. EUR")
    v.check(r.amount_minor >= 0, prefix + "total_amount.amount_minor", "must not be negative")
