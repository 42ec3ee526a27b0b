"""A served system with a payment gateway, for booking tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import grpc
from hotelagg.booking.v1 import booking_pb2 as bk
from hotelagg.booking.v1 import booking_pb2_grpc
from hotelagg.inventory.v1 import inventory_pb2 as inv

from sandbox.payment_gateway import Config as GatewayConfig
from sandbox.payment_gateway import start as start_gateway
from servers import app
from servers.runtime.config import Settings
from tests.api.helpers import days_ahead, inventory_stub, make_hotel, pb_date, request_id


@dataclass
class BookingRig:
    running: object
    channel: grpc.aio.Channel
    gateway_url: str

    @property
    def bookings(self) -> booking_pb2_grpc.BookingServiceStub:
        return booking_pb2_grpc.BookingServiceStub(self.channel)

    @property
    def inventory(self):
        return inventory_stub(self.channel)

    @property
    def deps(self):
        return self.running.context["components"].booking

    async def gateway_stats(self) -> dict:
        async with aiohttp.ClientSession() as session, session.get(f"{self.gateway_url}/admin/stats") as reply:
            return await reply.json()


@contextlib.asynccontextmanager
async def booking_rig(db, **settings) -> AsyncIterator[BookingRig]:
    gateway, port = await start_gateway(port=0, config=GatewayConfig(), shutdown_timeout=1.0)
    url = f"http://127.0.0.1:{port}"
    config = Settings(database_url=db.url, port=0, webhook_port=0, payment_gateway_url=url,
                      payment_timeout_seconds=2, poll_interval_seconds=3600, reconcile_interval_seconds=3600,
                      **settings)
    running = await app.start(config)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            yield BookingRig(running, channel, url)
    finally:
        await running.stop(grace=None)
        await gateway.cleanup()


async def direct_hotel(rig: BookingRig, hotel_id: str = "book-hotel", rooms: int = 5, price: int = 10000,
                       nights: int = 10) -> None:
    stub = rig.inventory
    await make_hotel(stub, hotel_id, rooms=rooms)
    await stub.UpdateInventory(inv.UpdateInventoryRequest(
        request_id=request_id(), hotel_id=hotel_id, room_type_code="STD", start_date=pb_date(days_ahead(1)),
        end_date=pb_date(days_ahead(1 + nights)), price={"currency_code": "EUR", "amount_minor": price}))


def create_request(hotel_id: str = "book-hotel", first: int = 2, nights: int = 2, rooms: int = 1,
                   token: str = "tok_visa", user: str = "guest-1", **extra) -> bk.CreateBookingRequest:
    return bk.CreateBookingRequest(
        request_id=request_id(), user_id=user, hotel_id=hotel_id, room_type_code="STD",
        check_in=pb_date(days_ahead(first)), check_out=pb_date(days_ahead(first + nights)), rooms=rooms,
        guests=rooms, payment_token=token, lead_guest=bk.Guest(given_name="Ada", family_name="Lovelace"), **extra)
