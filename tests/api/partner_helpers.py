"""What the PartnerService API tests share: credentials, a partner and a listing of a direct hotel,
reservations, and the rows the gateway and the ledger write."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from hotelagg.inventory.v1 import inventory_pb2 as inv
from hotelagg.partner.v1 import partner_pb2 as pb
from hotelagg.partner.v1 import partner_pb2_grpc
from sqlalchemy import func, select, update

from servers.storage import tables
from tests.api.helpers import days_ahead, inventory_stub, make_hotel, money, pb_date, request_id

OPERATOR = (("authorization", "Bearer hotelagg-dev-operator-token"),)
# Connection refused: deliveries to it fail fast and never reach anything real.
NOWHERE = "http://127.0.0.1:9/"
HOTEL = "test-hotel"


def partner_stub(channel) -> partner_pb2_grpc.PartnerServiceStub:
    return partner_pb2_grpc.PartnerServiceStub(channel)


def as_partner(api_key: str) -> tuple[tuple[str, str], ...]:
    return (("x-api-key", api_key),)


def partner_message(**overrides) -> pb.Partner:
    fields = dict(name="Test Partner", protocol=pb.PARTNER_PROTOCOL_JSON_REST, endpoint_url=NOWHERE)
    fields.update(overrides)
    return pb.Partner(**fields)


async def create_partner(stub, partner_id: str = "acme", **overrides) -> pb.CreatePartnerResponse:
    return await stub.CreatePartner(pb.CreatePartnerRequest(
        request_id=request_id(), partner_id=partner_id, partner=partner_message(**overrides)), metadata=OPERATOR)


def listing_request(partner_id: str = "acme", hotel_id: str = HOTEL, code: str = "STD", property_code: str = "P1",
                    room_code: str = "R1", active: bool = True) -> pb.CreateListingRequest:
    return pb.CreateListingRequest(request_id=request_id(), listing=pb.Listing(
        partner_id=partner_id, hotel_id=hotel_id, room_type_code=code, partner_property_code=property_code,
        partner_room_code=room_code, active=active))


async def create_listing(stub, **fields) -> pb.Listing:
    return (await stub.CreateListing(listing_request(**fields), metadata=OPERATOR)).listing


@dataclass
class Listed:
    """A direct hotel with loaded nights, one partner and its listing of the hotel's STD rooms."""

    stub: partner_pb2_grpc.PartnerServiceStub
    inventory: object
    partner_id: str
    api_key: str
    listing: pb.Listing

    @property
    def auth(self):
        return as_partner(self.api_key)

    async def notify(self, reservation: pb.PartnerReservation, key: str | None = None) -> pb.NotifyReservationResponse:
        return await self.stub.NotifyReservation(pb.NotifyReservationRequest(
            request_id=key or request_id(), reservation=reservation), metadata=self.auth)


async def listed_hotel(channel, rooms: int = 5, start: int = 1, nights: int = 30, partner_id: str = "acme",
                       **partner) -> Listed:
    inventory = inventory_stub(channel)
    await make_hotel(inventory, HOTEL, rooms=rooms)
    await inventory.UpdateInventory(inv.UpdateInventoryRequest(
        request_id=request_id(), hotel_id=HOTEL, room_type_code="STD", start_date=pb_date(days_ahead(start)),
        end_date=pb_date(days_ahead(start + nights)), price=money(10000)))
    stub = partner_stub(channel)
    created = await create_partner(stub, partner_id, **partner)
    listing = await create_listing(stub, partner_id=partner_id)
    return Listed(stub, inventory, partner_id, created.api_key, listing)


def reservation(reservation_id: str = "R-1", revision: int = 1, status: int = pb.RESERVATION_STATUS_BOOKED,
                check_in=10, nights: int = 2, rooms: int = 1, **overrides) -> pb.PartnerReservation:
    """A stay of `nights` from `check_in` days ahead (or the Dates given), under listed_hotel's codes."""
    if isinstance(check_in, int):
        overrides.setdefault("check_out", pb_date(days_ahead(check_in + nights)))
        check_in = pb_date(days_ahead(check_in))
    fields = dict(
        partner_reservation_id=reservation_id, revision=revision, status=status, partner_property_code="P1",
        partner_room_code="R1", check_in=check_in, rooms=rooms, guests=rooms, guest_name="Ada Lovelace",
        total_amount=money(20000 * rooms))
    fields.update(overrides)
    return pb.PartnerReservation(**fields)


async def nights(db, hotel_id: str = HOTEL) -> dict:
    """{date: (available, held, oversold)} of the hotel's nights."""
    t = tables.inventory
    async with db.reading() as conn:
        rows = await conn.execute(select(t.c.night, t.c.available, t.c.held, t.c.oversold)
                                  .where(t.c.hotel_id == hotel_id).order_by(t.c.night))
        return {r.night: (r.available, r.held, r.oversold) for r in rows}


async def stay_nights(db, check_in: int, count: int, hotel_id: str = HOTEL) -> list[tuple[int, int, int]]:
    found = await nights(db, hotel_id)
    return [found[days_ahead(check_in + i)] for i in range(count)]


async def rows(db, table: str, **where) -> list:
    t = tables.metadata.tables[table]
    query = select(t).where(*(t.c[name] == value for name, value in where.items()))
    async with db.reading() as conn:
        return list((await conn.execute(query.order_by(*t.primary_key.columns))).all())


async def count(db, table: str, **where) -> int:
    t = tables.metadata.tables[table]
    query = select(func.count()).select_from(t).where(*(t.c[name] == value for name, value in where.items()))
    async with db.reading() as conn:
        return (await conn.execute(query)).scalar_one()


async def ledger_state(db) -> dict[str, list[tuple]]:
    """What a partner's sale may change: the nights and the bookings."""
    return {name: [tuple(r) for r in await rows(db, name)] for name in ("inventory", "bookings")}


async def set_allowance(db, allowance: int, hotel_id: str = HOTEL) -> None:
    async with db.unit_of_work() as uow:
        await uow.connection.execute(update(tables.hotels).where(tables.hotels.c.id == hotel_id)
                                     .values(overbooking_allowance=allowance))
        await uow.commit()


async def set_delivery(db, delivery_id: str, **values) -> None:
    async with db.unit_of_work() as uow:
        await uow.connection.execute(update(tables.deliveries).where(tables.deliveries.c.id == delivery_id)
                                     .values(**values))
        await uow.commit()


async def open_deliveries(db, partner_id: str = "acme", hotel_id: str = HOTEL) -> list:
    return [r for r in await rows(db, "deliveries", partner_id=partner_id, hotel_id=hotel_id)
            if r.status in ("pending", "retrying", "parked")]


async def eventually(check, timeout: float = 10.0) -> None:
    """Waits until `await check()` is true."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def first_attempt_failed(db, partner_id: str = "acme", hotel_id: str = HOTEL) -> None:
    """The worker tried the open delivery once (at NOWHERE: refused) and waits 5 s before the next try,
    so a test may change the row meanwhile without racing it."""
    async def tried() -> bool:
        found = await open_deliveries(db, partner_id, hotel_id)
        return bool(found) and found[0].attempt_count >= 1 and found[0].lease_until is None
    await eventually(tried)
