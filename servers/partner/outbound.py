"""Outbound distribution: ARI changes of direct hotels become deliveries to the partners listing them.

`mark_change` runs in the transaction of every inventory change (a ChangeHub transaction listener): it
merges the change into the open delivery of each (partner, hotel) and, when it opened (or re-armed) one,
writes an outbox message. The worker takes the message off the bus, leases the delivery, waits its turn
under the partner's rate limit (changes keep merging meanwhile: that is the coalescing), reads the
window's ARI as it is now, sends it under a key bound to the delivery's version, and marks it delivered
unless changes came in while it was on the wire (then it goes again).

Failures: a 429 waits the partner's Retry-After (not an attempt); no answer or a 5xx raises, so the bus
retries after its delay tiers and parks after the last; a refusal for good parks at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from itertools import groupby

from sqlalchemy.engine import Row

from clients.breaker import AsyncCircuitBreaker
from clients.partners import (
    AriNight, AriUpdate, PartnerClient, PartnerRateLimited, PartnerRejected, RoomAri, partner_client)
from servers.messaging import outbox
from servers.messaging.bus import Bus, Permanent, describe
from servers.messaging.outbox import Message
from servers.partner import deliveries, store
from servers.partner.domain import PARKED, RETRYING
from servers.partner.rate_limit import RateLimiter, spaced
from servers.storage.database import Database, UnitOfWork

log = logging.getLogger("hotelagg.partner.outbound")

TOPIC = "partner.delivery"
LEASE_SECONDS = 30.0


def _now() -> datetime:
    return datetime.now(timezone.utc)


def message_key(partner_id: str, hotel_id: str) -> str:
    return f"partner:{partner_id}:hotel:{hotel_id}"


async def announce(uow: UnitOfWork, bus: Bus | None, delivery_id: str, partner_id: str, hotel_id: str,
                   delay_seconds: float = 0) -> None:
    """Writes the outbox message that gets a delivery sent (through `bus`, to wake it, if this process has one)."""
    payload = {"delivery_id": delivery_id, "partner_id": partner_id, "hotel_id": hotel_id}
    write = bus.enqueue if bus is not None else outbox.enqueue
    await write(uow, TOPIC, message_key(partner_id, hotel_id), payload, delay_seconds)


def change_marker(bus_of: Callable[[], Bus | None]):
    """The ChangeHub transaction listener: every change of a listed hotel's ARI reaches its partners."""

    async def mark_change(uow: UnitOfWork, change) -> None:
        partner_ids = await deliveries.partners_listing(uow.connection, change.hotel_id)
        if not partner_ids:
            return
        start = min(n.night for n in change.nights)
        end = max(n.night for n in change.nights) + timedelta(days=1)
        now = _now()
        for partner_id in partner_ids:
            delivery_id = await deliveries.merge_change(uow, partner_id, change.hotel_id, start, end, 1, now)
            if delivery_id is not None:
                await announce(uow, bus_of(), delivery_id, partner_id, change.hotel_id)

    return mark_change


def ari_updates(rows: list[Row], key: str) -> list[AriUpdate]:
    """One update per partner property code; available is what a new booking could take."""
    updates = []
    for property_code, by_property in groupby(rows, key=lambda r: r.partner_property_code):
        rooms = []
        for room_code, nights in groupby(by_property, key=lambda r: r.partner_room_code):
            nights = list(nights)
            rooms.append(RoomAri(room_code, nights[0].currency_code, tuple(
                AriNight(n.night, max(n.available - n.held, 0), n.price_minor, n.min_stay, n.max_stay,
                         bool(n.closed_to_arrival), bool(n.closed_to_departure), bool(n.stop_sell))
                for n in nights)))
        updates.append(AriUpdate(property_code, tuple(rooms), key if len(updates) == 0 else f"{key}:{property_code}"))
    return updates


def _target(delivery: Row) -> tuple[str, str, str]:
    return delivery.id, delivery.partner_id, delivery.hotel_id


class PartnerClients:
    """One client (and circuit breaker) per partner, rebuilt when the partner's endpoint changes."""

    def __init__(self, fail_max: int, reset_seconds: float, timeout: float) -> None:
        self._fail_max, self._reset_seconds, self._timeout = fail_max, reset_seconds, timeout
        self._clients: dict[str, tuple[tuple, PartnerClient]] = {}

    async def get(self, partner: Row) -> PartnerClient:
        shape = (partner.protocol, partner.endpoint_url)
        known = self._clients.get(partner.id)
        if known is not None and known[0] == shape:
            return known[1]
        if known is not None:
            await known[1].aclose()
        breaker = AsyncCircuitBreaker(f"partner:{partner.id}", fail_max=self._fail_max,
                                      reset_timeout=self._reset_seconds)
        client = partner_client(partner.protocol, partner.endpoint_url, breaker, self._timeout)
        self._clients[partner.id] = (shape, client)
        return client

    async def aclose(self) -> None:
        for _, client in self._clients.values():
            await client.aclose()
        self._clients.clear()


class DeliveryWorker:
    def __init__(self, db: Database, bus: Bus, limiter: RateLimiter, clients: PartnerClients) -> None:
        self.db, self.bus, self.limiter, self.clients = db, bus, limiter, clients

    async def handle(self, message: Message) -> None:
        target = (str(message.payload.get("delivery_id", "")), str(message.payload.get("partner_id", "")),
                  str(message.payload.get("hotel_id", "")))
        while True:
            lease = await deliveries.lease(self.db, target[0], _now(), LEASE_SECONDS)
            if lease.row is None:
                if lease.busy_for:  # another worker has it; look again once its lease is over
                    await self._later(None, target, lease.busy_for)
                return
            if await self._send_once(lease.row, message):
                return

    async def _send_once(self, delivery: Row, message: Message) -> bool:
        """One round; True when there is nothing more to do for this message."""
        async with self.db.reading_primary() as conn:
            partner = await store.get_partner(conn, delivery.partner_id)
            rows = await deliveries.read_ari(conn, delivery.partner_id, delivery.hotel_id,
                                             delivery.window_start, delivery.window_end)
        updates = ari_updates(rows, f"{delivery.idempotency_key}:{delivery.version}")
        client = await self.clients.get(partner)
        cost = sum(2 if partner.protocol == "ota_xml" else 1 for _ in updates)
        wait = await self.limiter.acquire(f"partner-out:{partner.id}:{delivery.hotel_id}",
                                          *spaced(partner.requests_per_minute, max(cost, 1)), cost=cost) if cost else 0
        if wait > 0:
            await self._later(delivery, _target(delivery), wait)
            return True
        try:
            requests = 0
            for update in updates:
                requests += (await client.send_ari(update)).requests
        except PartnerRateLimited as error:
            await self._later(delivery, _target(delivery), error.retry_after, error=describe(error))
            return True
        except PartnerRejected as error:
            await self._failed(delivery, PARKED, error, None)
            raise Permanent(str(error)) from error
        except Exception as error:
            delay = self.bus.policy.delay_after(message.attempt)
            await self._failed(delivery, RETRYING if delay is not None else PARKED, error, delay)
            raise
        return await deliveries.finish(self.db, delivery, requests, _now())

    async def _later(self, delivery: Row | None, target: tuple[str, str, str], seconds: float,
                     error: str | None = None) -> None:
        """Sends it again in `seconds` (its lease let go meanwhile, so changes keep merging into it)."""
        now = _now()
        retry_at = now + timedelta(seconds=seconds)
        async with self.db.unit_of_work() as uow:
            if delivery is not None and error is None:
                await deliveries.release(uow, delivery.id, retry_at, now)
            elif delivery is not None:
                await deliveries.record_failure(uow, delivery.id, RETRYING, error, retry_at, now, attempt=False)
            await announce(uow, self.bus, *target, delay_seconds=seconds)
            await uow.commit()

    async def _failed(self, delivery: Row, status: str, error: BaseException, delay: float | None) -> None:
        now = _now()
        retry_at = now + timedelta(seconds=delay) if delay is not None else None
        async with self.db.unit_of_work() as uow:
            await deliveries.record_failure(uow, delivery.id, status, describe(error), retry_at, now)
            await uow.commit()
        log.warning("delivery to partner failed", extra={
            "delivery_id": delivery.id, "partner_id": delivery.partner_id, "status": status,
            "error": describe(error)})
