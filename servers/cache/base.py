"""What the search cache holds per room-type night, and the key it holds it under."""

from __future__ import annotations

import json
from datetime import date
from typing import NamedTuple, Protocol

NO_RESTRICTIONS = (0, 0, False, False, False)


def night_key(prefix: str, hotel_id: str, night: date, room_type_code: str) -> str:
    # The key the design fixes: hotel:{hotel_id}:{YYYY-MM-DD}:{room_type_code}
    return f"{prefix}hotel:{hotel_id}:{night.isoformat()}:{room_type_code}"


class CachedNight(NamedTuple):
    """A tuple, not a dataclass: built several times faster, and a search reads hundreds per query."""

    # Rooms a new hold could take (available minus live holds).
    available: int
    # Minor units; None: no rate.
    price: int | None
    last_updated: float
    # The inventory row version: an older write never replaces a newer one.
    version: int
    # [min_stay, max_stay, closed_to_arrival, closed_to_departure, stop_sell]
    restrictions: tuple[int, int, bool, bool, bool] = NO_RESTRICTIONS

    def to_json(self) -> str:
        return cache_json(*self)

    @classmethod
    def from_json(cls, raw: str | bytes) -> CachedNight:
        value = json.loads(raw)
        restrictions = tuple(value.get("restrictions", NO_RESTRICTIONS))
        return cls(value["available"], value["price"], value["last_updated"], value["version"], restrictions)


# A night for a bulk write: (night, available, price, last_updated, version, min_stay, max_stay,
# closed_to_arrival, closed_to_departure, stop_sell): a CachedNight's fields after its night, flat, in a
# plain tuple. No object per night, and nothing for the garbage collector to keep tracking: it stops
# tracking a tuple of atomic values the first time it looks (one holding another tuple only once that
# one is untracked, which the order it looks in may put off to a full collection).
CacheRow = tuple[date, int, int | None, float, int, int, int, bool, bool, bool]


def cache_row(night: date, value: CachedNight) -> CacheRow:
    return (night, value.available, value.price, value.last_updated, value.version, *value.restrictions)


def cache_json(available: int, price: int | None, last_updated: float, version: int,
               restrictions: tuple[int, int, bool, bool, bool] = NO_RESTRICTIONS) -> str:
    """A cached night's JSON, spelled out rather than json.dumps (several times slower per night);
    the same text json.dumps would give (tested)."""
    text = (f'{{"available":{int(available)},"price":{"null" if price is None else int(price)},'
            f'"last_updated":{int(last_updated)},"version":{int(version)}')
    if not any(restrictions):
        return text + "}"
    low, high, arrival, departure, stop = restrictions
    flags = ",".join("true" if flag else "false" for flag in (arrival, departure, stop))
    return text + f',"restrictions":[{int(low)},{int(high)},{flags}]}}'


class NightCache(Protocol):
    prefix: str

    async def put_nights(self, hotel_id: str, room_type_code: str, nights: list[tuple[date, CachedNight]]) -> None:
        """Writes each night unless the cache already has a newer version of it."""

    async def put_rows(self, hotel_id: str, room_type_code: str, rows: list[CacheRow]) -> None:
        """put_nights for a bulk load's nights, as plain tuples: the same rule, no object per night."""

    async def get_nights(self, keys: list[tuple[str, date, str]]) -> list[CachedNight | None]:
        """The nights for (hotel_id, night, room_type_code) keys, in one round trip; None for a miss."""

    async def changed(self, hotel_id: str) -> None:
        """Counts a committed change of the hotel's inventory (search results of it are out of date)."""

    async def change_counts(self, hotel_ids: list[str]) -> list[int]:
        """How many changes each hotel has seen, in one round trip (0 if none since the count began)."""

    async def close(self) -> None: ...
