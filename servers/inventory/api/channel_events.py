"""Channel events in their proto form: the items of ApplyChannelUpdates, read into typed events
(clients.channel_managers); the protocol's JSON form, kept in webhook_events, is store/event_json.py."""

from __future__ import annotations

from datetime import date, datetime

from hotelagg.inventory.v1 import inventory_pb2 as pb

from clients.channel_managers import ChannelEvent, Delta, Snapshot
from servers.inventory.store.night_rows import ChannelRow, NightRows, channel_night
from servers.runtime.errors import Violations
from servers.runtime.protos import read_date, read_timestamp


class BadNights(Exception):
    """A request's snapshot has a bad night, found as its nights were read (check_nights names them all)."""


class ProtoNights(NightRows):
    """A request's snapshot nights, read from the protos when first needed: in a bulk load that is in the
    merge pipeline, while the database merges the chunk before, instead of ahead of all of it. A bad night
    raises BadNights then, which ends the transaction; nothing of the request is kept."""

    __slots__ = ("_message", "_field")

    def __init__(self, message, field: str) -> None:
        super().__init__(None, channel_night)
        self._message = message
        self._field = field

    @property
    def rows(self) -> list[ChannelRow]:
        if self._rows is None:
            v = Violations()
            self.check(v)
            if v.items:
                raise BadNights(v.items[0].field)
        return self._rows  # type: ignore[return-value]

    def check(self, v: Violations) -> None:
        """Reads the nights if not read yet; their problems go into v."""
        if self._rows is None:
            found = len(v.items)
            rows = _proto_rows(v, self._message, self._field)
            if len(v.items) == found:
                self._rows = rows


def check_nights(events: list[ChannelEvent | None]) -> None:
    """Reads every request night not read yet: INVALID_ARGUMENT naming every bad one, as if read first."""
    v = Violations()
    for event in events:
        nights = None if event is None else getattr(event.change, "nights", None)
        if isinstance(nights, ProtoNights):
            nights.check(v)
    v.raise_if_any()


def _proto_rows(v: Violations, nights, field: str) -> list[ChannelRow]:
    """A snapshot's nights as rows, straight from the protos: a full load is hundreds of thousands of
    nights, so no object per night, and field names are only spelled out for a problem."""
    rows: list[ChannelRow] = []
    for i, m in enumerate(nights):
        day = _day(v, m, field, i)
        total, available, price = m.total_rooms, m.available_rooms, m.price.amount_minor
        if not 0 <= available <= total:
            v.add(f"{field}[{i}].available_rooms", "between 0 and total_rooms")
        if price <= 0 and (price < 0 or not m.HasField("price")):
            v.add(f"{field}[{i}].price", "required, not negative")
        if day is None:
            continue
        if m.HasField("restrictions"):
            r = m.restrictions
            if r.min_stay < 0 or r.max_stay < 0:
                for name in ("min_stay", "max_stay"):
                    if getattr(r, name) < 0:
                        v.add(f"{field}[{i}].restrictions.{name}", "not negative (0: no limit)")
                continue
            rows.append((day, total, available, price, r.min_stay, r.max_stay, r.closed_to_arrival,
                         r.closed_to_departure, r.stop_sell))
        else:
            rows.append((day, total, available, price, 0, 0, False, False, False))
    return rows


# (year, month, day) → date: a load's snapshots repeat the same few hundred dates, and looking one up
# costs less than making it. Only valid dates get in; emptied now and then to stay small.
_DAYS: dict[tuple[int, int, int], date] = {}


def _day(v: Violations, m: pb.NightSnapshot, field: str, i: int) -> date | None:
    d = m.date
    key = (d.year, d.month, d.day)
    day = _DAYS.get(key)
    if day is not None:
        return day
    try:
        day = date(*key)
    except ValueError:
        return read_date(v, d, f"{field}[{i}].date", m.HasField("date"))  # records why
    if len(_DAYS) >= 10_000:
        _DAYS.clear()
    _DAYS[key] = day
    return day


def from_proto(v: Violations, hotel_code: str, update: pb.ChannelUpdate, field: str, *,
               now: datetime) -> ChannelEvent | None:
    """The typed event an ApplyChannelUpdates item stands for (occurred `now` if it does not say); problems go
    into v."""
    v.check(0 < len(update.event_id) <= 128, f"{field}.event_id", "required, at most 128 characters")
    v.check(update.sequence > 0, f"{field}.sequence", "required, from 1")
    occurred = (read_timestamp(v, update.occur_time, f"{field}.occur_time") if update.HasField("occur_time")
                else now)
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
        change = Snapshot(s.room_type_code, ProtoNights(s.nights, f"{field}.snapshot.nights"))
    else:
        v.add(f"{field}.change", "a delta or a snapshot is required")
        change = None
    if change is None or occurred is None:
        return None
    return ChannelEvent(update.event_id, hotel_code, update.sequence, occurred, change)
