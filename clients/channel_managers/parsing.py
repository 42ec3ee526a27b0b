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
    sequence = _get(body, "sequence", int)
    if sequence < 1:
        raise MalformedAnswer(f"sequence must be ≥ 1, got {sequence}")
    return ChannelEvent(
        event_id=_get(body, "event_id", str),
        hotel_code=_get(body, "hotel_code", str),
        sequence=sequence,
        occurred_at=_timestamp(_get(body, "occurred_at", str)),
        change=change,
    )


def parse_change_batch(body: Mapping[str, Any]) -> ChangeBatch:
    events = tuple(parse_event(_mapping(item)) for item in _get(body, "events", list))
    return ChangeBatch(events=events, latest=_get(body, "latest", int))


def parse_hotel_ari(body: Mapping[str, Any]) -> HotelAri:
    room_types = tuple(
        RoomTypeAri(code=_get(item, "code", str), nights=_nights(item))
        for item in map(_mapping, _get(body, "room_types", list))
    )
    return HotelAri(
        hotel_code=_get(body, "hotel_code", str),
        currency=_get(body, "currency", str),
        sequence=_get(body, "sequence", int),
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
        available_change=_get(body, "available_change", int),
        channel=_get(body, "channel", str),
        reservation_id=_optional(body, "reservation_id", str),
    )


def _snapshot(body: Mapping[str, Any]) -> Snapshot:
    return Snapshot(room_type_code=_get(body, "room_type_code", str), nights=_nights(body))


def _nights(body: Mapping[str, Any]) -> tuple[Night, ...]:
    return tuple(_night(_mapping(item)) for item in _get(body, "nights", list))


def _night(body: Mapping[str, Any]) -> Night:
    rules = _optional(body, "restrictions", Mapping) or {}
    return Night(
        date=_date(_get(body, "date", str)),
        total=_get(body, "total", int),
        available=_get(body, "available", int),
        price_minor=_get(body, "price_minor", int),
        restrictions=Restrictions(
            min_stay=_optional(rules, "min_stay", int) or 0,
            max_stay=_optional(rules, "max_stay", int) or 0,
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
