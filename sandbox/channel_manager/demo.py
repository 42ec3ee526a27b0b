"""Demo channel-managed hotels (`--seed-demo`): four hotels in Rome, a year of ARI from today.

Deterministic on purpose: the same day gives the same prices and restrictions, so a demo or a
test can name a date and know what it will find.
"""

from __future__ import annotations

import datetime as dt

from .model import HotelSpec, Night, Restrictions, RoomTypeSpec, date_range
from .state import State

NIGHTS = 365
ROOM_TYPES = (  # code, name, total, base price in euro cents
    ("STD", "Standard double", 12, 14000),
    ("DLX", "Deluxe double", 6, 21000),
    ("FAM", "Family room", 3, 28000),
)
HOTELS = (  # code, name, price factor
    ("CM-ROM-1", "Hotel Colosseo Sandbox", 1.0),
    ("CM-ROM-2", "Albergo Trastevere Sandbox", 0.9),
    ("CM-ROM-3", "Palazzo Navona Sandbox", 1.2),
    ("CM-ROM-4", "Termini Comfort Sandbox", 0.85),
)
WEEKDAY = (0.95, 0.95, 1.0, 1.0, 1.15, 1.2, 1.0)  # Monday first; Friday and Saturday sell dearer
MONTH = (0.8, 0.8, 0.95, 1.15, 1.2, 1.15, 1.05, 0.95, 1.15, 1.1, 0.85, 1.0)  # Rome's seasons


def price(base: int, factor: float, day: dt.date) -> int:
    festive = 1.3 if (day.month, day.day) >= (12, 24) or (day.month, day.day) == (1, 1) else 1.0
    raw = base * factor * WEEKDAY[day.weekday()] * MONTH[day.month - 1] * festive
    return int(round(raw / 100.0)) * 100


def restrictions(hotel_code: str, room_type: str, day: dt.date, offset: int) -> Restrictions:
    """A few, so that every kind of refusal can be met in the demo data."""
    r = Restrictions()
    if (day.month, day.day) == (12, 31):
        r.min_stay = 2  # New Year's Eve sells only with the night after
    if hotel_code == "CM-ROM-1" and room_type == "FAM" and day.weekday() == 6:
        r.closed_to_arrival = True
    if hotel_code == "CM-ROM-2" and room_type == "DLX" and 20 <= offset <= 22:
        r.stop_sell = True  # deluxe floor closed for works
    if hotel_code == "CM-ROM-3" and room_type == "STD" and day.weekday() == 6:
        r.closed_to_departure = True
    if hotel_code == "CM-ROM-4" and 45 <= offset <= 47:
        r.min_stay = 3  # a congress in town
    if hotel_code == "CM-ROM-4":
        r.max_stay = 14
    return r


def demo_hotels(today: dt.date) -> list[HotelSpec]:
    days = date_range(today, today + dt.timedelta(days=NIGHTS))
    specs = []
    for code, name, factor in HOTELS:
        room_types = [
            RoomTypeSpec(rt_code, rt_name, total, base, nights=[
                Night(day, total, total, price(base, factor, day), restrictions(code, rt_code, day, i))
                for i, day in enumerate(days)
            ])
            for rt_code, rt_name, total, base in ROOM_TYPES
        ]
        specs.append(HotelSpec(code, name, "EUR", today, NIGHTS, room_types, city="Rome"))
    return specs


def seed_demo(state: State, today: dt.date | None = None) -> None:
    for spec in demo_hotels(today or dt.datetime.now(dt.UTC).date()):
        state.put_hotel(spec)
