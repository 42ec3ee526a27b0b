"""Where search gets each night: the cache first (one round trip), then the database (the read
replica when there is one) for what the cache misses, then the channel manager for a mirrored
hotel whose mirror is older than the freshness bound (ARCHITECTURE §6)."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from clients.channel_managers import ChannelManagerClient, ChannelManagerError, ChannelManagerUnavailable
from servers.cache.base import CachedNight, NightCache
from servers.hotel.nights import sellable
from servers.runtime.clock import SYSTEM_CLOCK, Clock
from servers.search.domain import CACHED, LIVE, STALE, HotelInfo, NightView
from servers.storage.database import Database
from servers.storage.tables import hotels, inventory, room_types, sync_cursors

log = logging.getLogger("hotelagg.search")

Key = tuple[str, date, str]  # hotel id, night, room type code


class NightSource:
    def __init__(self, db: Database, cache: NightCache, clients: dict[str, ChannelManagerClient],
                 freshness_seconds: float, clock: Clock = SYSTEM_CLOCK) -> None:
        self.db = db
        self.clock = clock  # what "within the freshness bound" is measured from
        self.cache = cache
        self.clients = clients
        self.freshness = timedelta(seconds=freshness_seconds)

    async def nights(self, candidates: list[tuple[HotelInfo, list[str]]], days: list[date]) -> dict[Key, NightView]:
        keys = [(h.hotel_id, d, code) for h, codes in candidates for code in codes for d in days]
        views: dict[Key, NightView] = {}
        missing: list[Key] = []
        for key, cached in zip(keys, await self.cache.get_nights(keys), strict=True):
            if cached is None:
                missing.append(key)
            else:
                views[key] = NightView(cached, CACHED)
        if missing:
            views.update(await self._read_missing(missing, {h.hotel_id: h for h, _ in candidates}))
        return self._flag_unreachable(views, candidates)

    async def _read_missing(self, missing: list[Key], by_id: dict[str, HotelInfo]) -> dict[Key, NightView]:
        now = time.time()
        rows = await self._database_nights(missing)
        read = {key: NightView(value, LIVE) for key, value in rows.items()}
        await self._fill_cache(rows)
        stale_mirrors = await self._stale_mirrors({h for h, _, _ in missing if by_id[h].channel_manager_id})
        for hotel_id in stale_mirrors:
            read.update(await self._from_channel_manager(by_id[hotel_id], missing, read, now))
        return read

    async def _database_nights(self, missing: list[Key]) -> dict[Key, CachedNight]:
        hotel_ids = sorted({h for h, _, _ in missing})
        codes = sorted({c for _, _, c in missing})
        query = (
            select(room_types.c.hotel_id, room_types.c.code, inventory.c.night, inventory.c.available,
                   inventory.c.held, inventory.c.price_minor, inventory.c.min_stay, inventory.c.max_stay,
                   inventory.c.closed_to_arrival, inventory.c.closed_to_departure, inventory.c.stop_sell,
                   inventory.c.version, inventory.c.updated_at)
            .join(room_types, room_types.c.id == inventory.c.room_type_id)
            .where(room_types.c.hotel_id.in_(hotel_ids), room_types.c.code.in_(codes),
                   inventory.c.night >= min(d for _, d, _ in missing),
                   inventory.c.night <= max(d for _, d, _ in missing))
        )
        async with self.db.reading() as conn:
            result = await conn.execute(query)
            # Stamped with when the night last changed, not when we read it: an old mirror stays old.
            return {(r.hotel_id, r.night, r.code): CachedNight(
                sellable(r.available, r.held), r.price_minor, _aware(r.updated_at).timestamp(), r.version,
                (r.min_stay, r.max_stay, bool(r.closed_to_arrival), bool(r.closed_to_departure), bool(r.stop_sell)))
                for r in result}

    async def _fill_cache(self, rows: dict[Key, CachedNight]) -> None:
        grouped: dict[tuple[str, str], list] = defaultdict(list)
        for (hotel_id, night, code), value in rows.items():
            grouped[(hotel_id, code)].append((night, value))
        for (hotel_id, code), nights in grouped.items():
            await self.cache.put_nights(hotel_id, code, nights)

    async def _stale_mirrors(self, hotel_ids: set[str]) -> list[str]:
        """Mirrored hotels we have not heard from (webhook or poll) within the freshness bound."""
        if not hotel_ids:
            return []
        query = (select(hotels.c.id, sync_cursors.c.last_polled_at, sync_cursors.c.updated_at)
                 .outerjoin(sync_cursors, sync_cursors.c.hotel_id == hotels.c.id)
                 .where(hotels.c.id.in_(sorted(hotel_ids))))
        limit = self.clock.now() - self.freshness
        async with self.db.reading() as conn:
            rows = (await conn.execute(query)).all()
        # Heard from last: the later of the last poll and the last applied event (webhook or poll).
        heard = {r.id: max((_aware(t) for t in (r.last_polled_at, r.updated_at) if t is not None), default=None)
                 for r in rows}
        return [hotel_id for hotel_id, when in heard.items() if when is None or when < limit]

    async def _from_channel_manager(self, hotel: HotelInfo, missing: list[Key], read: dict[Key, NightView],
                                    now: float) -> dict[Key, NightView]:
        client = self.clients.get(hotel.channel_manager_id or "")
        days = sorted({d for h, d, _ in missing if h == hotel.hotel_id})
        if client is None or not days:
            return {}
        try:
            code = await self._hotel_code(hotel.hotel_id)
            ari = await client.availability(code, days[0], days[-1] + timedelta(days=1))
        except (ChannelManagerUnavailable, ChannelManagerError) as error:
            log.warning("channel manager not reachable for a stale mirror", extra={"hotel_id": hotel.hotel_id,
                                                                                     "error": str(error)})
            return {k: NightView(v.night, STALE) for k, v in read.items() if k[0] == hotel.hotel_id}
        live = {}
        for room_type in ari.room_types:
            for n in room_type.nights:
                r = n.restrictions
                live[(hotel.hotel_id, n.date, room_type.code)] = NightView(CachedNight(
                    n.available, n.price_minor, now, 0,
                    (r.min_stay, r.max_stay, r.closed_to_arrival, r.closed_to_departure, r.stop_sell)), LIVE)
        return live

    async def _hotel_code(self, hotel_id: str) -> str:
        async with self.db.reading() as conn:
            query = select(hotels.c.channel_manager_hotel_code).where(hotels.c.id == hotel_id)
            return (await conn.execute(query)).scalar_one()

    def unreachable(self, hotel: HotelInfo) -> bool:
        """Whether the hotel's channel manager's breaker is open."""
        client = self.clients.get(hotel.channel_manager_id or "")
        return client is not None and _breaker_open(client)

    def _flag_unreachable(self, views: dict[Key, NightView], candidates) -> dict[Key, NightView]:
        """While a channel manager's breaker is open, what we show of its hotels is only the last known state."""
        down = {h.hotel_id for h, _ in candidates if self.unreachable(h)}
        if not down:
            return views
        return {k: (NightView(v.night, STALE) if k[0] in down else v) for k, v in views.items()}


def _breaker_open(client: ChannelManagerClient) -> bool:
    breaker = getattr(client, "breaker", None)
    return bool(breaker is not None and breaker.is_open)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
