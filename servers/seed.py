"""Demo data for the embedded default: 24 hotels in 6 cities, 3 room types each, 365 nights of ARI.

Idempotent: hotels that exist are left alone, so `make run` may seed on every start.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy import insert, select

from servers.runtime.clock import SYSTEM_CLOCK, Clock
from servers.storage.database import Database
from servers.storage.tables import hotels, inventory, room_types

log = logging.getLogger("hotelagg.seed")

# city, country, time zone, currency, centre (lat, lon), base nightly price in minor units
CITIES = [
    ("Paris", "FR", "Europe/Paris", "EUR", (48.8566, 2.3522), 16000),
    ("Lisbon", "PT", "Europe/Lisbon", "EUR", (38.7223, -9.1393), 11000),
    ("Berlin", "DE", "Europe/Berlin", "EUR", (52.5200, 13.4050), 12000),
    ("London", "GB", "Europe/London", "GBP", (51.5072, -0.1276), 17000),
    ("New York", "US", "America/New_York", "USD", (40.7128, -74.0060), 23000),
    ("Tokyo", "JP", "Asia/Tokyo", "JPY", (35.6762, 139.6503), 2200000 // 100),
]
HOTEL_NAMES = ["Grand Central", "Riverside Inn", "Old Town Suites", "Harbour View"]
# code, name, max occupancy, rooms, price factor
ROOM_TYPES = [
    ("STD", "Standard Double", 2, 20, 1.0),
    ("DLX", "Deluxe King", 2, 10, 1.45),
    ("FAM", "Family Suite", 4, 5, 2.1),
]
NIGHTS = 365
# Mirrored from the sandbox channel manager (its demo hotels): their ARI comes from there.
SANDBOX_HOTELS = [
    ("rome-colosseo", "Hotel Colosseo Sandbox", "CM-ROM-1", (41.8902, 12.4922)),
    ("rome-trastevere", "Albergo Trastevere Sandbox", "CM-ROM-2", (41.8894, 12.4700)),
    ("rome-navona", "Palazzo Navona Sandbox", "CM-ROM-3", (41.8992, 12.4731)),
    ("rome-termini", "Termini Comfort Sandbox", "CM-ROM-4", (41.9010, 12.5010)),
]
SANDBOX_ROOM_TYPES = [("STD", "Standard double", 2, 12, 0), ("DLX", "Deluxe double", 2, 6, 0),
                      ("FAM", "Family room", 4, 3, 0)]


def _slug(text: str) -> str:
    return "-".join(text.lower().split())


def demo_hotels() -> list[dict]:
    rows = []
    for city, country, tz, currency, (lat, lon), _ in CITIES:
        for i, name in enumerate(HOTEL_NAMES):
            rows.append(
                {
                    "id": f"{_slug(city)}-{_slug(name)}",
                    "name": f"{name} {city}",
                    "city": city,
                    "city_key": city.lower(),
                    "country_code": country,
                    # Spread the hotels a few hundred metres to a few km around the centre.
                    "latitude": round(lat + 0.01 * (i - 1.5), 5),
                    "longitude": round(lon + 0.013 * ((i * 7) % 4 - 1.5), 5),
                    "time_zone": tz,
                    "currency_code": currency,
                    "overbooking_allowance": 1 if i == 0 else 0,
                }
            )
    return rows


def sandbox_hotels(base_url: str) -> list[dict]:
    return [
        {"id": hotel_id, "name": name, "city": "Rome", "city_key": "rome", "country_code": "IT",
         "latitude": lat, "longitude": lon, "time_zone": "Europe/Rome", "currency_code": "EUR",
         "overbooking_allowance": 0, "channel_manager_id": "sandbox", "channel_manager_url": base_url,
         "channel_manager_hotel_code": code}
        for hotel_id, name, code, (lat, lon) in SANDBOX_HOTELS
    ]


def _price(base: int, factor: float, hotel_index: int, night: date) -> int:
    weekend = 1.25 if night.weekday() in (4, 5) else 1.0
    summer = 1.2 if night.month in (6, 7, 8) else 1.0
    december = 1.15 if night.month == 12 else 1.0
    hotel = 0.85 + 0.1 * hotel_index
    return int(round(base * factor * weekend * summer * december * hotel, -2 if base >= 1000 else 0))


def _nights(room_type_id: int, hotel: dict, hotel_index: int, base: int, spec: tuple, start: date, now: datetime):
    _, _, _, rooms, factor = spec
    for offset in range(NIGHTS):
        night = start + timedelta(days=offset)
        yield {
            "room_type_id": room_type_id,
            "night": night,
            "hotel_id": hotel["id"],
            "total": rooms,
            "available": rooms,
            "held": 0,
            "price_minor": _price(base, factor, hotel_index, night),
            # Saturday arrivals stay two nights at the first hotel of each city.
            "min_stay": 2 if hotel_index == 0 and night.weekday() == 5 else 0,
            "max_stay": 0,
            "closed_to_arrival": night.month == 12 and night.day == 31,
            "closed_to_departure": night.month == 1 and night.day == 1,
            # A maintenance week at the last hotel of each city.
            "stop_sell": hotel_index == 3 and 60 <= offset < 67,
            "version": 1,
            "updated_at": now,
        }


async def seed(db: Database, start: date | None = None, clock: Clock = SYSTEM_CLOCK) -> int:
    """Inserts the demo hotels that are missing; returns how many were added."""
    now = clock.now()
    start = start or now.date()
    wanted = demo_hotels()
    async with db.unit_of_work() as uow:
        conn = uow.connection
        existing = set((await conn.execute(select(hotels.c.id))).scalars())
        missing = [h for h in wanted if h["id"] not in existing]
        if not missing:
            return 0
        await conn.execute(insert(hotels), [{**h, "created_at": now, "updated_at": now} for h in missing])
        await conn.execute(
            insert(room_types),
            [
                {"hotel_id": h["id"], "code": code, "name": name, "max_occupancy": occ, "total_rooms": rooms,
                 "created_at": now, "updated_at": now}
                for h in missing
                for code, name, occ, rooms, _ in ROOM_TYPES
            ],
        )
        ids = {
            (row.hotel_id, row.code): row.id
            for row in (await conn.execute(select(room_types.c.id, room_types.c.hotel_id, room_types.c.code).where(
                room_types.c.hotel_id.in_([h["id"] for h in missing])))).all()
        }
        base_by_city = {city: base for city, *_, base in CITIES}
        rows = []
        for h in missing:
            index = HOTEL_NAMES.index(h["name"].removesuffix(" " + h["city"]))
            for spec in ROOM_TYPES:
                rows.extend(_nights(ids[(h["id"], spec[0])], h, index, base_by_city[h["city"]], spec, start, now))
        await conn.execute(insert(inventory), rows)
        await uow.commit()
    log.info("seeded demo data", extra={"hotels": len(missing), "nights": len(rows)})
    return len(missing)


async def seed_sandbox_hotels(db: Database, base_url: str, clock: Clock = SYSTEM_CLOCK) -> int:
    """Links the sandbox channel manager's demo hotels (their nights come from it, by the poller)."""
    now = clock.now()
    async with db.unit_of_work() as uow:
        conn = uow.connection
        existing = set((await conn.execute(select(hotels.c.id))).scalars())
        missing = [h for h in sandbox_hotels(base_url) if h["id"] not in existing]
        if not missing:
            return 0
        await conn.execute(insert(hotels), [{**h, "created_at": now, "updated_at": now} for h in missing])
        await conn.execute(insert(room_types), [
            {"hotel_id": h["id"], "code": code, "name": name, "max_occupancy": occ, "total_rooms": rooms,
             "created_at": now, "updated_at": now}
            for h in missing for code, name, occ, rooms, _ in SANDBOX_ROOM_TYPES
        ])
        await uow.commit()
    return len(missing)
