"""Static hotel data for search, cached in the process with a long TTL (ARCHITECTURE §6).

Hotels and room types change rarely (a new hotel, a new room type) and search reads them on every
request, so the whole catalog is held here and refreshed every `ttl_seconds` with two queries.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import defaultdict

from sqlalchemy import select

from servers.search.domain import HotelInfo, RoomTypeInfo
from servers.storage.database import Database
from servers.storage.tables import hotels, room_types

KM_PER_DEGREE = 111.0


def _cell(latitude: float, longitude: float) -> tuple[int, int]:
    return math.floor(latitude), math.floor(longitude)


class HotelDirectory:
    def __init__(self, db: Database, ttl_seconds: float = 60.0) -> None:
        self.db = db
        self.ttl = ttl_seconds
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()
        self._by_id: dict[str, HotelInfo] = {}
        self._by_city: dict[str, list[HotelInfo]] = {}
        self._by_cell: dict[tuple[int, int], list[HotelInfo]] = {}

    async def _fresh(self) -> None:
        if time.monotonic() - self._loaded_at < self.ttl:
            return
        async with self._lock:
            if time.monotonic() - self._loaded_at >= self.ttl:
                await self._load()

    async def _load(self) -> None:
        async with self.db.reading() as conn:
            hotel_rows = (await conn.execute(select(
                hotels.c.id, hotels.c.name, hotels.c.city, hotels.c.city_key, hotels.c.latitude, hotels.c.longitude,
                hotels.c.currency_code, hotels.c.channel_manager_id))).all()
            type_rows = (await conn.execute(select(
                room_types.c.hotel_id, room_types.c.code, room_types.c.name, room_types.c.max_occupancy
            ).order_by(room_types.c.hotel_id, room_types.c.code))).all()
        types: dict[str, list[RoomTypeInfo]] = defaultdict(list)
        for row in type_rows:
            types[row.hotel_id].append(RoomTypeInfo(row.code, row.name, row.max_occupancy))
        by_id, by_city, by_cell = {}, defaultdict(list), defaultdict(list)
        for hotel in hotel_rows:
            info = HotelInfo(hotel.id, hotel.name, hotel.city, hotel.latitude, hotel.longitude, hotel.currency_code,
                             hotel.channel_manager_id, tuple(types.get(hotel.id, ())))
            by_id[hotel.id] = info
            by_city[hotel.city_key].append(info)
            by_cell[_cell(hotel.latitude, hotel.longitude)].append(info)
        self._by_id, self._by_city, self._by_cell = by_id, dict(by_city), dict(by_cell)
        self._loaded_at = time.monotonic()

    async def in_city(self, city: str) -> list[HotelInfo]:
        await self._fresh()
        return self._by_city.get(city.strip().lower(), [])

    async def with_ids(self, hotel_ids: list[str]) -> list[HotelInfo]:
        await self._fresh()
        return [self._by_id[h] for h in dict.fromkeys(hotel_ids) if h in self._by_id]

    async def near(self, latitude: float, longitude: float, radius_km: float) -> list[HotelInfo]:
        """Hotels in the one-degree cells a circle can touch; the caller measures the exact distance."""
        await self._fresh()
        lat_cells = math.ceil(radius_km / KM_PER_DEGREE) + 1
        # A degree of longitude shrinks toward the poles; a circle reaching past 80 degrees takes them all.
        farthest = abs(latitude) + lat_cells
        if farthest >= 80.0:
            lon_cells = 180
        else:
            lon_cells = min(180, math.ceil(radius_km / (KM_PER_DEGREE * math.cos(math.radians(farthest)))) + 1)
        row, column = _cell(latitude, longitude)
        found: dict[str, HotelInfo] = {}
        for r in range(row - lat_cells, row + lat_cells + 1):
            for c in range(column - lon_cells, column + lon_cells + 1):
                for hotel in self._by_cell.get((r, (c + 180) % 360 - 180), ()):
                    found[hotel.hotel_id] = hotel
        return list(found.values())

    def forget(self) -> None:
        """The next search reloads (after this process created a hotel or room type)."""
        self._loaded_at = float("-inf")
