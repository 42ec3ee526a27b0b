"""Channel events in their three forms: typed (clients.channel_managers), the protocol's JSON
(kept in webhook_events until applied), and ApplyChannelUpdates protos."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from hotelagg.inventory.v1 import inventory_pb2 as pb

from clients.channel_managers import ChannelEvent, Delta, Night, Restrictions, Snapshot, parse_event
from servers.runtime.errors import Violations
from servers.runtime.protos import read_date


def _night_json(night: Night) -> dict[str, Any]:
    r = night.restrictions
    return {
        "date": night.date.isoformat(), "total": night.total, "available": night.available,
        "price_minor": night.price_minor,
        "restrictions": {"min_stay": r.min_stay, "max_stay": r.max_stay, "closed_to_arrival": r.closed_to_arrival,
                         "closed_to_departure": r.closed_to_departure, "stop_sell": r.stop_sell},
    }


def event_json(event: ChannelEvent) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_id": event.event_id, "hotel_code": event.hotel_code, "sequence": event.sequence,
        "occurred_at": event.occurred_at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"),
    }
    change = event.change
    if isinstance(change, Delta):
        body["type"] = "delta"
        body["delta"] = {"room_type_code": change.room_type_code, "date": change.date.isoformat(),
                         "available_change": change.available_change, "channel": change.channel,
                         "reservation_id": change.reservation_id}
    else:
        body["type"] = "snapshot"
        body["snapshot"] = {"room_type_code": change.room_type_code,
                            "nights": [_night_json(n) for n in change.nights]}
    return body


def from_json(body: dict[str, Any]) -> ChannelEvent:
    return parse_event(body)


def _proto_night(v: Violations, message: pb.NightSnapshot, field: str) -> Night | None:
    # A full load is hundreds of thousands of these: field names are only spelled out for a problem.
    d = message.date
    try:
        day = date(d.year, d.month, d.day)
    except ValueError:
        day = read_date(v, d, f"{field}.date", message.HasField("date"))  # records why
    if not 0 <= message.available_rooms <= message.total_rooms:
        v.add(f"{field}.available_rooms", "between 0 and total_rooms")
    if not message.HasField("price") or message.price.amount_minor < 0:
        v.add(f"{field}.price", "required, not negative")
    if day is None:
        return None
    r = message.restrictions
    return Night(day, message.total_rooms, message.available_rooms, message.price.amount_minor,
                 Restrictions(r.min_stay, r.max_stay, r.closed_to_arrival, r.closed_to_departure, r.stop_sell))


def from_proto(v: Violations, hotel_code: str, update: pb.ChannelUpdate, field: str) -> ChannelEvent | None:
    """The typed event an ApplyChannelUpdates item stands for; problems go into v."""
    v.check(0 < len(update.event_id) <= 128, f"{field}.event_id", "required, at most 128 characters")
    v.check(update.sequence > 0, f"{field}.sequence", "required, from 1")
    occurred = update.occur_time.ToDatetime(timezone.utc) if update.HasField("occur_time") else datetime.now(timezone.utc)
    kind = update.WhichOneof("change")
    if kind == "delta":
        d = update.delta
        day = read_date(v, d.date, f"{field}.delta.date", d.HasField("date"))
        v.check(bool(d.room_type_code), f"{field}.delta.room_type_code", "required")
        v.check(d.available_change != 0, f"{field}.delta.available_change", "must not be 0")
        change: Delta | Snapshot | None = (Delta(d.room_type_code, day, d.available_change, "grpc", None)
                                           if day else None)
    elif kind == "snapshot":
        s = update.snapshot
        v.check(bool(s.room_type_code), f"{field}.snapshot.room_type_code", "required")
        v.check(0 < len(s.nights) <= 1000, f"{field}.snapshot.nights", "1 to 1000 nights")
        nights = [_proto_night(v, n, f"{field}.snapshot.nights[{i}]") for i, n in enumerate(s.nights)]
        change = Snapshot(s.room_type_code, tuple(n for n in nights if n is not None))
    else:
        v.add(f"{field}.change", "a delta or a snapshot is required")
        change = None
    if change is None:
        return None
    return ChannelEvent(update.event_id, hotel_code, update.sequence, occurred, change)
