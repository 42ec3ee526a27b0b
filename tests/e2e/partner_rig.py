"""A direct hotel of ours listed on two sandbox partners (json_rest and ota_xml), wired as in production.

`partner_rig(db, stack)` serves every service over `db` (plus Redis and RabbitMQ on PostgreSQL), starts
both sandbox partners in-process on ports of their own, registers them as partners (their API keys go to
the sandboxes), creates the hotel with NIGHTS priced nights and lists its room on both. The rig then reads
every side (`ours`, `theirs`), steers the sandboxes (`admin`) and waits, always bounded.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import grpc
from hotelagg.common.v1 import common_pb2
from hotelagg.inventory.v1 import inventory_pb2 as inv
from hotelagg.inventory.v1 import inventory_pb2_grpc
from hotelagg.partner.v1 import partner_pb2 as pp
from hotelagg.partner.v1 import partner_pb2_grpc
from sqlalchemy import select

from sandbox.partner.app import start as start_partner
from sandbox.partner.config import Config
from servers import bootstrap
from servers.runtime.config import Settings
from servers.storage.tables import deliveries, inventory
from tests.e2e.process import free_port

HOTEL_ID = "direct-e2e-hotel"
ROOM_TYPE = "DBL"
ROOMS = 6
NIGHTS = 20
OPERATOR = (("authorization", "Bearer hotelagg-dev-operator-token"),)
PARTNERS = {"sbx-json": ("json_rest", "PJ-100", "DOUBLE"), "sbx-ota": ("ota_xml", "PO-200", "DBLROOM")}


def night(offset: int) -> dt.date:
    return dt.date.today() + dt.timedelta(days=1 + offset)


def pb_date(value: dt.date) -> common_pb2.Date:
    return common_pb2.Date(year=value.year, month=value.month, day=value.day)


def rooms(nights: dict) -> list[int]:
    """The rooms of every night, in date order."""
    return [nights[day][0] for day in sorted(nights)]


@dataclass
class Sandbox:
    partner_id: str
    protocol: str
    property_code: str
    room_code: str
    url: str
    runner: object

    async def admin(self, method: str, path: str, body: object = None) -> dict:
        async with aiohttp.ClientSession() as http:
            async with http.request(method, self.url + path, json=body) as reply:
                data = await reply.json()
                assert reply.status < 300, (reply.status, data)
                return data

    async def nights(self) -> dict[dt.date, tuple[int, int | None]]:
        """(rooms, price) per night, as this partner shows them."""
        stored = (await self.admin("GET", "/admin/inventory"))["properties"]
        rooms = stored.get(self.property_code, {}).get(self.room_code, {})
        return {dt.date.fromisoformat(day): (n["available"], n["price_minor"]) for day, n in rooms.items()}

    async def sell(self, start: int, nights: int, rooms: int = 1, **fields) -> dict:
        body = dict(property_code=self.property_code, room_code=self.room_code,
                    check_in=night(start).isoformat(), check_out=night(start + nights).isoformat(), rooms=rooms,
                    guests=rooms, guest_name="Ada Lovelace", total_minor=12000 * nights * rooms, currency="EUR")
        return await self.admin("POST", "/admin/reservations", {**body, **fields})


@dataclass
class PartnerRig:
    db: object
    server: object
    channel: grpc.aio.Channel
    sandboxes: dict[str, Sandbox]

    @property
    def inventory(self) -> inventory_pb2_grpc.InventoryServiceStub:
        return inventory_pb2_grpc.InventoryServiceStub(self.channel)

    @property
    def partners(self) -> partner_pb2_grpc.PartnerServiceStub:
        return partner_pb2_grpc.PartnerServiceStub(self.channel)

    async def ours(self) -> dict[dt.date, tuple[int, int | None]]:
        """What a partner should show per night: rooms a new booking could take, and the price."""
        query = select(inventory.c.night, inventory.c.available, inventory.c.held, inventory.c.price_minor).where(
            inventory.c.hotel_id == HOTEL_ID)
        async with self.db.reading() as conn:
            return {row.night: (max(row.available - row.held, 0), row.price_minor) for row in await conn.execute(query)}

    async def set_rooms(self, start: int, nights: int, rooms: int | None = None, price: int | None = None) -> None:
        request = inv.UpdateInventoryRequest(
            request_id=uuid.uuid4().hex, hotel_id=HOTEL_ID, room_type_code=ROOM_TYPE,
            start_date=pb_date(night(start)), end_date=pb_date(night(start + nights)))
        if rooms is not None:
            request.total_rooms = rooms
        if price is not None:
            request.price.CopyFrom(common_pb2.Money(currency_code="EUR", amount_minor=price))
        await self.inventory.UpdateInventory(request)

    async def converged(self, timeout: float = 20.0) -> float:
        """Waits until every partner shows exactly our nights; returns the seconds it took."""
        began = time.monotonic()
        while True:
            ours = await self.ours()
            theirs = [await sandbox.nights() for sandbox in self.sandboxes.values()]
            if all(side == ours for side in theirs):
                return time.monotonic() - began
            if time.monotonic() - began > timeout:
                raise AssertionError(f"partners did not converge in {timeout}s:\nours {ours}\ntheirs {theirs}")
            await asyncio.sleep(0.1)

    async def delivery_rows(self) -> list:
        async with self.db.reading() as conn:
            return list(await conn.execute(select(deliveries)))


async def _create(rig: PartnerRig, partner_id: str, protocol: str, url: str, rpm: int) -> str:
    created = await rig.partners.CreatePartner(pp.CreatePartnerRequest(
        request_id=uuid.uuid4().hex, partner_id=partner_id, partner=pp.Partner(
            name=partner_id, protocol=pp.PARTNER_PROTOCOL_OTA_XML if protocol == "ota_xml"
            else pp.PARTNER_PROTOCOL_JSON_REST, endpoint_url=url,
            rate_limit=pp.RateLimit(requests_per_minute=rpm, inbound_requests_per_minute=6000))), metadata=OPERATOR)
    return created.api_key


async def _hotel(rig: PartnerRig) -> None:
    await rig.inventory.CreateHotel(inv.CreateHotelRequest(
        request_id=uuid.uuid4().hex, hotel_id=HOTEL_ID, hotel=inv.Hotel(
            name="Direct E2E", city="Lisbon", country_code="PT", latitude=38.7, longitude=-9.1,
            time_zone="Europe/Lisbon", currency_code="EUR")))
    await rig.inventory.CreateRoomType(inv.CreateRoomTypeRequest(
        request_id=uuid.uuid4().hex, hotel_id=HOTEL_ID,
        room_type=inv.RoomType(code=ROOM_TYPE, name="Double", max_occupancy=2, total_rooms=ROOMS)))
    await rig.set_rooms(0, NIGHTS, rooms=ROOMS, price=12000)


@asynccontextmanager
async def partner_rig(db, stack: dict, *, rpm: int = 600, tiers=(0.3, 0.6, 1.2, 2.4),
                      **settings) -> AsyncIterator[PartnerRig]:
    config = Settings(database_url=db.url, port=0, webhook_port=0, retry_tiers_seconds=list(tiers),
                      partner_timeout_seconds=2, breaker_reset_seconds=1, **stack, **settings)
    server = await bootstrap.start(config)
    sandboxes: dict[str, Sandbox] = {}
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            rig = PartnerRig(db, server, channel, sandboxes)
            await _hotel(rig)
            for partner_id, (protocol, property_code, room_code) in PARTNERS.items():
                port = free_port()
                key = await _create(rig, partner_id, protocol, f"http://127.0.0.1:{port}", rpm)
                runner, _ = await start_partner(port=port, config=Config(
                    protocol=protocol, partner_id=partner_id, api_key=key, requests_per_minute=rpm,
                    hotelagg_target=f"127.0.0.1:{server.port}",
                    hotelagg_webhook_url=f"http://127.0.0.1:{server.system.webhook_port}"))
                sandboxes[partner_id] = Sandbox(partner_id, protocol, property_code, room_code,
                                                f"http://127.0.0.1:{port}", runner)
                await rig.partners.CreateListing(pp.CreateListingRequest(
                    request_id=uuid.uuid4().hex, listing=pp.Listing(
                        partner_id=partner_id, hotel_id=HOTEL_ID, room_type_code=ROOM_TYPE,
                        partner_property_code=property_code, partner_room_code=room_code, active=True)),
                    metadata=OPERATOR)
            yield rig
    finally:
        for sandbox in sandboxes.values():
            await sandbox.runner.cleanup()
        await server.stop(grace=None)
