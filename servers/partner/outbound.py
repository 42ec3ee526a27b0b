"""Outbound distribution: ARI changes of direct hotels become deliveries to the partners listing them.

`mark_change` runs in the transaction of every inventory change (a ChangeHub transaction listener): it
merges the change into the open delivery of each (partner, hotel), one statement for every partner
listing the hotel, and, when it opened (or re-armed) one, writes an outbox message. The delivery worker
(sender.py) takes the message off the bus and sends the delivery; changes keep merging into it until
it is sent, which is the coalescing.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import groupby

from sqlalchemy.engine import Row

from clients.breaker import AsyncCircuitBreaker
from clients.partners import AriNight, AriUpdate, PartnerClient, RoomAri, partner_client
from servers.hotel.nights import sellable
from servers.messaging import outbox
from servers.messaging.bus import Bus
from servers.partner import deliveries
from servers.runtime.clock import SYSTEM_CLOCK, Clock
from servers.storage.database import UnitOfWork

TOPIC = "partner.delivery"


def message_key(partner_id: str, hotel_id: str) -> str:
    return f"partner:{partner_id}:hotel:{hotel_id}"


async def announce(uow: UnitOfWork, bus: Bus | None, delivery_id: str, partner_id: str, hotel_id: str,
                   delay_seconds: float = 0) -> None:
    """Writes the outbox message that gets a delivery sent (through `bus`, to wake it, if this process has one)."""
    payload = {"delivery_id": delivery_id, "partner_id": partner_id, "hotel_id": hotel_id}
    write = bus.enqueue if bus is not None else outbox.enqueue
    await write(uow, TOPIC, message_key(partner_id, hotel_id), payload, delay_seconds)


def change_marker(bus: Bus | None, clock: Clock = SYSTEM_CLOCK):
    """The ChangeHub transaction listener: every change of a listed hotel's ARI reaches its partners
    (through `bus`, to wake it, when this process sends deliveries; else the outbox alone)."""

    async def mark_change(uow: UnitOfWork, change) -> None:
        partner_ids = await deliveries.partners_listing(uow.connection, change.hotel_id)
        if not partner_ids:
            return
        start = min(n.night for n in change.nights)
        end = max(n.night for n in change.nights) + timedelta(days=1)
        for delivery_id, partner_id in await deliveries.merge_change(uow, partner_ids, change.hotel_id, start, end,
                                                                      1, clock.now()):
            await announce(uow, bus, delivery_id, partner_id, change.hotel_id)

    return mark_change


def ari_updates(rows: list[Row], key: str) -> list[AriUpdate]:
    """One update per partner property code; available is what a new booking could take."""
    updates: list[AriUpdate] = []
    for property_code, by_property in groupby(rows, key=lambda r: r.partner_property_code):
        rooms: list[RoomAri] = []
        for room_code, of_room in groupby(by_property, key=lambda r: r.partner_room_code):
            nights = list(of_room)
            rooms.append(RoomAri(room_code, nights[0].currency_code, tuple(
                AriNight(n.night, sellable(n.available, n.held), n.price_minor, n.min_stay, n.max_stay,
                         bool(n.closed_to_arrival), bool(n.closed_to_departure), bool(n.stop_sell))
                for n in nights)))
        updates.append(AriUpdate(property_code, tuple(rooms), key if len(updates) == 0 else f"{key}:{property_code}"))
    return updates


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
