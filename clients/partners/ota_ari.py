"""An `AriUpdate` as OTA_HotelAvailNotifRQ and OTA_HotelRateAmountNotifRQ (sandbox/partner/PROTOCOL.md).

Consecutive nights of a room with identical values share one message with an inclusive Start/End,
so a flat season of 365 nights is one message, not 365. Nights are sorted first: the wire does not
care about order, and sorting is what lets equal neighbours meet.

What the wire keeps of a night: a night without a price is closed (Master Close) in the avail
message and left out of the rates message, so the partner cannot tell "no rate" from "no rate and
stop-sell"; both mean the same to a guest, not sellable. Both LengthOfStay limits and all three
RestrictionStatus values are always sent, "0"/Open included: values are absolute, and a partner
that read a missing element as "unchanged" would keep a stale restriction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar
from xml.etree.ElementTree import Element

from clients.partners.base import AriNight, AriUpdate
from clients.partners.ota_common import element, flag, message_root, nest, to_bytes

V = TypeVar("V")
AVAIL_RQ = "OTA_HotelAvailNotifRQ"
RATES_RQ = "OTA_HotelRateAmountNotifRQ"
RATE_PLAN_CODE = "BAR"
# The protocol's convention: AmountAfterTax is always our minor units with DecimalPlaces 2, whatever
# the currency's own exponent, so the number on the wire is exactly `price_minor`.
DECIMAL_PLACES = "2"
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Span(Generic[V]):
    start: dt.date
    end: dt.date  # inclusive, OTA style
    value: V


@dataclass(frozen=True)
class AvailState:
    """What the avail message says of a night; equal states on consecutive nights merge."""

    available: int
    min_stay: int
    max_stay: int
    master_closed: bool
    closed_to_arrival: bool
    closed_to_departure: bool

    @classmethod
    def of(cls, night: AriNight) -> AvailState:
        return cls(
            available=night.available,
            min_stay=night.min_stay,
            max_stay=night.max_stay,
            master_closed=night.stop_sell or night.price_minor is None,
            closed_to_arrival=night.closed_to_arrival,
            closed_to_departure=night.closed_to_departure,
        )


def compress(nights: Iterable[tuple[dt.date, V]]) -> list[Span[V]]:
    """Runs of consecutive dates with equal values, in date order; a gap always starts a new run."""
    spans: list[Span[V]] = []
    for night, value in sorted(nights, key=lambda item: item[0]):
        last = spans[-1] if spans else None
        if last is not None and last.value == value and last.end + ONE_DAY == night:
            spans[-1] = Span(last.start, night, value)
        else:
            spans.append(Span(night, night, value))
    return spans


def avail_echo_token(update: AriUpdate) -> str:
    return f"{update.idempotency_key}:avail"


def rates_echo_token(update: AriUpdate) -> str:
    return f"{update.idempotency_key}:rates"


def avail_notif_rq(update: AriUpdate, timestamp: dt.datetime | None = None) -> bytes:
    root = message_root(AVAIL_RQ, avail_echo_token(update), timestamp)
    messages = element(root, "AvailStatusMessages", HotelCode=update.property_code)
    for room in update.rooms:
        for span in compress((night.night, AvailState.of(night)) for night in room.nights):
            _avail_message(messages, room.room_code, span)
    return to_bytes(root)


def rate_amount_notif_rq(update: AriUpdate, timestamp: dt.datetime | None = None) -> bytes | None:
    """None when no night has a price: there is nothing to say, the avail message closed them all."""
    root = message_root(RATES_RQ, rates_echo_token(update), timestamp)
    messages = element(root, "RateAmountMessages", HotelCode=update.property_code)
    for room in update.rooms:
        priced = ((night.night, night.price_minor) for night in room.nights if night.price_minor is not None)
        for span in compress(priced):
            _rate_message(messages, room.room_code, room.currency, span)
    return to_bytes(root) if len(messages) else None


def _avail_message(parent: Element, room_code: str, span: Span[AvailState]) -> None:
    state = span.value
    message = element(parent, "AvailStatusMessage", BookingLimit=str(state.available))
    _control(message, span, InvTypeCode=room_code)
    stays = element(message, "LengthsOfStay")
    element(stays, "LengthOfStay", MinMaxMessageType="SetMinLOS", Time=str(state.min_stay))
    element(stays, "LengthOfStay", MinMaxMessageType="SetMaxLOS", Time=str(state.max_stay))
    element(message, "RestrictionStatus", Restriction="Master", Status=flag(state.master_closed))
    element(message, "RestrictionStatus", Restriction="Arrival", Status=flag(state.closed_to_arrival))
    element(message, "RestrictionStatus", Restriction="Departure", Status=flag(state.closed_to_departure))


def _rate_message(parent: Element, room_code: str, currency: str, span: Span[int]) -> None:
    message = element(parent, "RateAmountMessage")
    _control(message, span, InvTypeCode=room_code, RatePlanCode=RATE_PLAN_CODE)
    amounts = nest(message, "Rates/Rate/BaseByGuestAmts")
    element(amounts, "BaseByGuestAmt", AmountAfterTax=str(span.value), DecimalPlaces=DECIMAL_PLACES,
            CurrencyCode=currency)


def _control(message: Element, span: Span[V], **codes: str) -> None:
    element(message, "StatusApplicationControl", Start=span.start.isoformat(), End=span.end.isoformat(), **codes)
