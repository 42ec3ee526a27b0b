"""The channel manager's JSON (sandbox/channel_manager/PROTOCOL.md) → the typed values of base.py.

Webhook bodies are untrusted even when signed (a buggy sender signs garbage too), so every parser
checks types and raises `MalformedAnswer` (a ValueError) instead of letting a KeyError or a
half-built event escape into the mirror.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, TypeVar

from clients.channel_managers.base import (
    ChangeBatch,
    ChannelEvent,
    Delta,
    HotelAri,
    Night,
    Reservation,
    ReservationStatus,
    Restrictions,
    RoomTypeAri,
    Snapshot,
)

T = TypeVar("T")

# What the mirror's columns hold (room counts and stay limits are 32-bit, sequences and prices 64-bit):
# a value past them is no value a channel manager means, and would fail in the database instead.
MAX_COUNT = 2**31 - 1
MAX_BIG = 2**63 - 1
MAX_EVENT_ID = 128


class MalformedAnswer(ValueError):
    """A body that does not follow the protocol: a webhook receiver answers it with 400."""


def parse_event(body: Mapping[str, Any]) -> ChannelEvent:
    """One webhook body or one item of the change feed."""
    body = _mapping(body)  # a webhook's JSON may be any value, not only an object
    kind = _get(body, "type", str)
    if kind == "delta":
        change: Delta | Snapshot = _delta(_get(body, "delta", Mapping))
    elif kind == "snapshot":
        change = _snapshot(_get(body, "snapshot", Mapping))
    else:
        raise MalformedAnswer(f"unknown event type {kind!r}")
    sequence = _bounded(body, "sequence", 1, MAX_BIG)
    event_id = _get(body, "event_id", str)
    if not 0 < len(event_id) <= MAX_EVENT_ID:  # the dedupe key's column
        raise MalformedAnswer(f"'event_id' must be 1 to {MAX_EVENT_ID} characters")
    return ChannelEvent(
        event_id=event_id,
        hotel_code=_get(body, "hotel_code", str),
        sequence=sequence,
        occurred_at=_timestamp(_get(body, "occurred_at", str)),
        change=change,
    )


def parse_change_batch(body: Mapping[str, Any]) -> ChangeBatch:
    """The events up to the first one that cannot be read; that one's problem in `unreadable`.

    One bad event must not make the whole feed unreadable: the events before it still apply, and
    the caller decides what to do about the rest (the poller reloads the hotel whole).
    """
    events: list[ChannelEvent] = []
    unreadable = None
    for item in _get(body, "events", list):
        try:
            events.append(parse_event(item))
        except MalformedAnswer as error:
            unreadable = str(error)
            break
    return ChangeBatch(events=tuple(events), latest=_bounded(body, "latest", 0, MAX_BIG), unreadable=unreadable)


def parse_hotel_ari(body: Mapping[str, Any]) -> HotelAri:
    room_types = tuple(
        RoomTypeAri(code=_get(item, "code", str), nights=_nights(item))
        for item in map(_mapping, _get(body, "room_types", list))
    )
    return HotelAri(
        hotel_code=_get(body, "hotel_code", str),
        currency=_get(body, "currency", str),
        sequence=_bounded(body, "sequence", 0, MAX_BIG),
        room_types=room_types,
    )


def parse_reservation(body: Mapping[str, Any]) -> Reservation:
    status = _get(body, "status", str)
    try:
        known_status = ReservationStatus(status)
    except ValueError as error:
        raise MalformedAnswer(f"unknown reservation status {status!r}") from error
    return Reservation(
        reservation_id=_get(body, "reservation_id", str),
        status=known_status,
        hotel_code=_optional(body, "hotel_code", str),
        room_type_code=_optional(body, "room_type_code", str),
        check_in=_maybe(_optional(body, "check_in", str), _date),
        check_out=_maybe(_optional(body, "check_out", str), _date),
        rooms=_optional(body, "rooms", int),
        expires_at=_maybe(_optional(body, "expires_at", str), _timestamp),
    )


def parse_date(text: str) -> dt.date:
    return _date(text)


def _delta(body: Mapping[str, Any]) -> Delta:
    return Delta(
        room_type_code=_get(body, "room_type_code", str),
        date=_date(_get(body, "date", str)),
        available_change=_bounded(body, "available_change", -MAX_COUNT, MAX_COUNT),
        channel=_get(body, "channel", str),
        reservation_id=_optional(body, "reservation_id", str),
    )


def _snapshot(body: Mapping[str, Any]) -> Snapshot:
    return Snapshot(room_type_code=_get(body, "room_type_code", str), nights=_nights(body))


def _nights(body: Mapping[str, Any]) -> tuple[Night, ...]:
    return tuple(_night(_mapping(item)) for item in _get(body, "nights", list))


def _night(body: Mapping[str, Any]) -> Night:
    rules = _optional(body, "restrictions", Mapping) or {}
    total = _bounded(body, "total", 0, MAX_COUNT)
    return Night(
        date=_date(_get(body, "date", str)),
        total=total,
        # A mirror never has more rooms free than the hotel has: the source's night is broken.
        available=_bounded(body, "available", 0, total),
        price_minor=_bounded(body, "price_minor", 0, MAX_BIG),
        restrictions=Restrictions(
            min_stay=_bounded(rules, "min_stay", 0, MAX_COUNT, default=0),
            max_stay=_bounded(rules, "max_stay", 0, MAX_COUNT, default=0),
            closed_to_arrival=bool(_optional(rules, "closed_to_arrival", bool)),
            closed_to_departure=bool(_optional(rules, "closed_to_departure", bool)),
            stop_sell=bool(_optional(rules, "stop_sell", bool)),
        ),
    )


def _get(body: Mapping[str, Any], key: str, kind: type[T]) -> T:
    value = _optional(body, key, kind)
    if value is None:
        raise MalformedAnswer(f"missing {key!r}")
    return value


def _bounded(body: Mapping[str, Any], key: str, low: int, high: int, default: int | None = None) -> int:
    """An integer field within low..high (`default` when absent, if one is given)."""
    value = _optional(body, key, int) if default is not None else _get(body, key, int)
    if value is None:
        return default  # type: ignore[return-value]
    if not low <= value <= high:
        raise MalformedAnswer(f"{key!r} must be between {low} and {high}, got {value}")
    return value


def _optional(body: Mapping[str, Any], key: str, kind: type[T]) -> T | None:
    value = body.get(key)
    if value is None:
        return None
    # bool is an int in Python; a count or a price that arrives as true is still malformed.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise MalformedAnswer(f"{key!r} should be {kind.__name__}, got {type(value).__name__}")
    return value


def _mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedAnswer(f"expected an object, got {type(value).__name__}")
    return value


def _maybe(value: str | None, parse: Any) -> Any:
    return None if value is None else parse(value)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise MalformedAnswer(f"bad date {text!r}") from error


def _timestamp(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as error:
        raise MalformedAnswer(f"bad timestamp {text!r}") from error
    if moment.tzinfo is None:
        raise MalformedAnswer(f"timestamp without a zone {text!r}")
    return moment.astimezone(dt.timezone.utc)
