"""A channel event in the protocol's JSON: the form webhook_events keeps an event in while it waits
for a gap (the typed form is clients.channel_managers'; the ApplyChannelUpdates form, api/channel_events.py)."""

from __future__ import annotations

from datetime import timezone
from typing import Any

from clients.channel_managers import ChannelEvent, Delta, Night, parse_event


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
