"""The fallback to webhooks: follows each channel-managed hotel's change feed (ARCHITECTURE §1, §5.6).

Every poll interval each hotel is brought up to the channel manager's latest sequence; a hotel whose
webhooks showed a gap is polled at once. A hotel never loaded is loaded whole first (365 nights),
however far webhooks moved its cursor before (sync_cursors.loaded_at says whether it was).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from clients.breaker import BreakerOpen
from clients.channel_managers import ChannelManagerClient, ChannelManagerError, ChannelManagerUnavailable
from servers.inventory.flows.mirror import Mirror
from servers.inventory.store import sync as sync_store
from servers.inventory.store.catalog import HotelRow, channel_managed_hotels
from servers.runtime.clock import SYSTEM_CLOCK, Clock
from servers.storage.database import Database
from servers.storage.leases import Leases

log = logging.getLogger("hotelagg.inventory.poller")

LOAD_NIGHTS = 365
PAGE = 500


class ChannelPoller:
    def __init__(self, db: Database, mirror: Mirror, clients: dict[str, ChannelManagerClient],
                 interval_seconds: float, leases: Leases, clock: Clock = SYSTEM_CLOCK) -> None:
        self.db = db
        self.leases = leases
        self.clock = clock
        self.mirror = mirror
        self.clients = clients
        self.interval = interval_seconds
        self._urgent: set[str] = set()
        self._wake = asyncio.Event()
        self._locks: dict[str, asyncio.Lock] = {}
        mirror.on_gap = self.request

    def request(self, hotel_id: str) -> None:
        """Poll this hotel as soon as possible."""
        self._urgent.add(hotel_id)
        self._wake.set()

    async def run(self) -> None:
        while True:
            await self.poll_all()
            try:  # asyncio.timeout: 3.11's wait_for can swallow stop()'s cancel (see EmbeddedBus._sleep)
                async with asyncio.timeout(self.interval):
                    await self._wait_urgent()
            except TimeoutError:
                pass

    async def _wait_urgent(self) -> None:
        # Urgent polls run between full rounds, without waiting for the interval.
        while True:
            await self._wake.wait()
            self._wake.clear()
            wanted, self._urgent = self._urgent, set()
            for hotel in await self._hotels():
                if hotel.id in wanted:
                    await self.poll_hotel(hotel)

    async def poll_all(self) -> int:
        """One round over every channel-managed hotel; returns how many events were applied."""
        applied = 0
        for hotel in await self._hotels():
            applied += await self.poll_hotel(hotel)
        return applied

    async def _hotels(self) -> list[HotelRow]:
        async with self.db.reading() as conn:
            return [h for h in await channel_managed_hotels(conn) if h.channel_manager_id in self.clients]

    async def poll_hotel(self, hotel: HotelRow) -> int:
        """Brings one hotel up to its feed, unless another poller (another process) is polling it right now:
        then it is skipped, that poller applies what is there. Within this process a poll waits its turn."""
        lock = self._locks.setdefault(hotel.id, asyncio.Lock())
        async with lock, self.leases.hold(f"channel-poller:{hotel.id}") as held:
            if not held:
                log.debug("another poller holds the hotel; skipping it", extra={"hotel_id": hotel.id})
                return 0
            try:
                return await self._catch_up(hotel, self.clients[hotel.channel_manager_id])
            except (ChannelManagerUnavailable, BreakerOpen) as error:
                log.warning("channel manager unavailable; poll later",
                            extra={"hotel_id": hotel.id, "error": str(error)})
            except ChannelManagerError as error:
                log.error("channel manager refused the poll", extra={"hotel_id": hotel.id, "error": str(error)})
            except Exception:  # noqa: BLE001 - one hotel's failure must not stop the round for the others
                log.exception("poll of a hotel failed; the others go on", extra={"hotel_id": hotel.id})
            return 0

    async def _catch_up(self, hotel: HotelRow, client: ChannelManagerClient) -> int:
        async with self.db.reading() as conn:
            cursor, loaded = await sync_store.cursor_of(conn, hotel.channel_manager_id, hotel.id)
        if not loaded:  # webhooks may have moved the cursor already: it does not say the nights are there
            cursor = await self._load(hotel, client)
        applied, caught_up = await self._follow(hotel, client, cursor)
        if caught_up:
            # In step with the source just now: search trusts the mirror for the freshness bound.
            async with self.db.unit_of_work() as uow:
                await sync_store.mark_polled(uow, hotel.channel_manager_id, hotel.id, self.clock.now())
                await uow.commit()
        else:
            log.warning("poll left the hotel behind its channel manager", extra={"hotel_id": hotel.id})
        return applied

    async def _follow(self, hotel: HotelRow, client: ChannelManagerClient, cursor: int) -> tuple[int, bool]:
        """Applies the feed after `cursor`; returns how many events, and whether it reached the latest."""
        applied = 0
        while True:
            batch = await client.changes(hotel.channel_manager_hotel_code, cursor, PAGE)
            if batch.latest < cursor:
                log.warning("channel manager's sequence went back: reloading the hotel",
                            extra={"hotel_id": hotel.id, "cursor": cursor, "latest": batch.latest})
                cursor = await self._load(hotel, client, restart=True)
                continue
            last = cursor
            if batch.events:
                async with self.db.unit_of_work() as uow:
                    outcome = await self.mirror.apply(uow, hotel, list(batch.events))
                    await uow.commit()
                applied += outcome.applied
                last = outcome.last_sequence
            if batch.unreadable is not None:
                cursor, moved = await self._reload_past_unreadable(hotel, client, max(cursor, last), batch.unreadable)
                if not moved:
                    return applied, False
                continue
            if last >= batch.latest:
                return applied, True
            if last <= cursor:  # the feed did not take us further: a gap it does not fill
                return applied, False
            cursor = last

    async def _reload_past_unreadable(self, hotel: HotelRow, client: ChannelManagerClient, cursor: int,
                                      problem: str) -> tuple[int, bool]:
        """An event no mirror can hold would block the feed for good: its hotel's absolute ARI, read
        now, holds whatever it meant to change, so the hotel is loaded whole past it."""
        log.error("channel manager's feed has an event we cannot read: reloading the hotel whole",
                  extra={"hotel_id": hotel.id, "cursor": cursor, "error": problem})
        reloaded = await self._load(hotel, client)
        return reloaded, reloaded > cursor

    async def _load(self, hotel: HotelRow, client: ChannelManagerClient, restart: bool = False) -> int:
        start = self.clock.now().astimezone().date()  # the machine's local date, as the load always took
        ari = await client.availability(hotel.channel_manager_hotel_code, start, start + timedelta(days=LOAD_NIGHTS))
        async with self.db.unit_of_work() as uow:
            outcome = await self.mirror.load(uow, hotel, ari, restart)
            await uow.commit()
        log.info("hotel loaded from its channel manager",
                 extra={"hotel_id": hotel.id, "sequence": ari.sequence,
                        "nights": sum(len(n) for n in outcome.changed.values())})
        return outcome.last_sequence
