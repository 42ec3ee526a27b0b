"""Search rules, in plain Python: which room types a stay can be sold in, at what price, in what order."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from servers.cache.base import CachedNight
from servers.hotel.stays import arrival_refusal

EARTH_RADIUS_KM = 6371.0088
MAX_RADIUS_KM = 100.0
MAX_GUESTS = 100
MAX_ROOMS = 10
MAX_HOTEL_IDS = 100
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

LIVE, CACHED, STALE = "live", "cached", "stale"


@dataclass(frozen=True)
class RoomTypeInfo:
    code: str
    name: str
    max_occupancy: int


@dataclass(frozen=True)
class HotelInfo:
    hotel_id: str
    name: str
    city: str
    latitude: float
    longitude: float
    currency_code: str
    channel_manager_id: str | None
    room_types: tuple[RoomTypeInfo, ...]


@dataclass(frozen=True)
class NightView:
    """One night as search sees it, and where that came from."""

    night: CachedNight
    source: str  # LIVE (read now), CACHED, or STALE (the channel manager cannot be asked)


@dataclass(frozen=True)
class Option:
    hotel: HotelInfo
    room_type: RoomTypeInfo
    nightly_prices: tuple[int, ...]
    total_minor: int
    rooms_left: int
    freshness: str
    # When the oldest night of the option last changed (epoch seconds): its age is counted from it.
    oldest_update: float
    distance_km: float

    # What sort_key holds, in order: a page token's position must be of these to be compared with it.
    SORT_KEY_TYPES = (int, str, str, str)

    def sort_key(self) -> tuple[int, str, str, str]:
        return (self.total_minor, self.hotel.name, self.hotel.hotel_id, self.room_type.code)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def sellable_option(hotel: HotelInfo, room_type: RoomTypeInfo, nights: list[NightView | None],
                    departure: NightView | None, rooms: int, now: float, distance: float) -> Option | None:
    """The option, if the room type can be sold for every night of the stay under its restrictions."""
    views = [n for n in nights if n is not None]
    prices = tuple(v.night.price for v in views if v.night.price is not None)
    if len(views) < len(nights) or len(prices) < len(views):  # a night unknown, or without a price
        return None
    if any(v.night.available < rooms or v.night.restrictions[4] for v in views):
        return None
    min_stay, max_stay, closed_to_arrival, _, _ = views[0].night.restrictions
    if arrival_refusal(len(views), min_stay, max_stay, closed_to_arrival):
        return None
    if departure is not None and departure.night.restrictions[3]:
        return None
    return Option(hotel, room_type, prices, sum(prices) * rooms, min(v.night.available for v in views),
                  _freshness(views), min(v.night.last_updated for v in views), distance)


def _freshness(views: list[NightView]) -> str:
    sources = {v.source for v in views}
    if STALE in sources:
        return STALE
    return CACHED if sources == {CACHED} else LIVE


def after(option: Option, position: list[Any] | None) -> bool:
    """Whether the option comes after a page's last one (keyset paging)."""
    return position is None or list(option.sort_key()) > position
