"""The nights the partner shows its shoppers, per (property, room, date), all in memory."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable

from .model import Night, NightChange


class Inventory:
    def __init__(self, keep_history: bool = False) -> None:
        self._nights: dict[str, dict[str, dict[dt.date, Night]]] = {}
        # Opt-in (benchmarks): when each field of a night took a new value through ARI, wall clock.
        self.history: list[tuple[float, str, str, dt.date, str, object]] | None = [] if keep_history else None

    def apply(self, property_code: str, changes: Iterable[NightChange]) -> None:
        """Absolute values: a newer update simply overwrites an older one."""
        rooms = self._nights.setdefault(property_code, {})
        at = time.time()
        for change in changes:
            nights = rooms.setdefault(change.room_code, {})
            new = change.date not in nights
            night = nights.setdefault(change.date, Night())
            for name, value in change.values:
                if self.history is not None and (new or getattr(night, name) != value):
                    self.history.append((at, property_code, change.room_code, change.date, name, value))
                setattr(night, name, value)

    def night(self, property_code: str, room_code: str, date: dt.date) -> Night | None:
        return self._nights.get(property_code, {}).get(room_code, {}).get(date)

    def take(self, property_code: str, room_code: str, dates: Iterable[dt.date], rooms: int) -> dict[dt.date, int]:
        """Takes up to `rooms` from each stored night, never below 0, and says how many it took, so
        giving them back returns exactly those. A night it does not store is still sold (taken 0):
        the partner sells what it shows, and hotelagg decides about capacity."""
        taken = {}
        for date in dates:
            night = self.night(property_code, room_code, date)
            taken[date] = min(rooms, night.available) if night else 0
            if night:
                night.available -= taken[date]
        return taken

    def give_back(self, property_code: str, room_code: str, taken: dict[dt.date, int]) -> None:
        for date, rooms in taken.items():
            night = self.night(property_code, room_code, date)
            if night:
                night.available += rooms

    def listed(self) -> list[tuple[str, str, list[dt.date]]]:
        """(property, room, its dates in order) for every room with a stored night."""
        return [(p, r, sorted(nights)) for p, rooms in sorted(self._nights.items())
                for r, nights in sorted(rooms.items()) if nights]

    def clear(self) -> None:
        self._nights.clear()
        if self.history is not None:
            self.history.clear()

    def history_json(self) -> dict:
        return {"keeping": self.history is not None, "history": [
            {"time": at, "property_code": p, "room_code": r, "date": d.isoformat(), "field": name, "value": value}
            for at, p, r, d, name, value in self.history or ()]}

    def to_json(self) -> dict:
        return {"properties": {
            p: {r: {d.isoformat(): n.to_json() for d, n in sorted(nights.items())}
                for r, nights in sorted(rooms.items())}
            for p, rooms in sorted(self._nights.items())
        }}
