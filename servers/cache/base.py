"""What the search cache holds per room-type night, and the key it holds it under."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Protocol


def night_key(prefix: str, hotel_id: str, night: date, room_type_code: str) -> str:
    # The key the design fixes: hotel:{hotel_id}:{YYYY-MM-DD}:{room_type_code}
    return f"{prefix}hotel:{hotel_id}:{night.isoformat()}:{room_type_code}"


@dataclass(frozen=True)
class CachedNight:
    # Rooms a new hold could take (available minus live holds).
    available: int
    # Minor units; None: no rate.
    price: int | None
    last_updated: float
    # The inventory row version: an older write never replaces a newer one.
    version: int
    # [min_stay, max_stay, closed_to_arrival, closed_to_departure, stop_sell]
    restrictions: tuple[int, int, bool, bool, bool] = (0, 0, False, False, False)

    def to_json(self) -> str:
        value = {"available": self.available, "price": self.price, "last_updated": int(self.last_updated),
                 "version": self.version}
        if any(self.restrictions):
            value["restrictions"] = list(self.restrictions)
        return json.dumps(value, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> "CachedNight":
        value = json.loads(raw)
        restrictions = tuple(value.get("restrictions", (0, 0, False, False, False)))
        return cls(value["available"], value["price"], value["last_updated"], value["version"], restrictions)


class NightCache(Protocol):
    prefix: str

    async def put_nights(self, hotel_id: str, room_type_code: str, nights: list[tuple[date, CachedNight]]) -> None:
        """Writes each night unless the cache already has a newer version of it."""

    async def get_nights(self, keys: list[tuple[str, date, str]]) -> list[CachedNight | None]:
        """The nights for (hotel_id, night, room_type_code) keys, in one round trip; None for a miss."""

    async def changed(self, hotel_id: str) -> None:
        """Counts a committed change of the hotel's inventory (search results of it are out of date)."""

    async def change_counts(self, hotel_ids: list[str]) -> list[int]:
        """How many changes each hotel has seen, in one round trip (0 if none since the count began)."""

    async def close(self) -> None: ...
