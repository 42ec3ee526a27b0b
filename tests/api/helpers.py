"""What API tests share: stubs, error decoding, and a direct hotel to work on."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import grpc
from google.rpc import error_details_pb2, status_pb2
from hotelagg.common.v1 import common_pb2
from hotelagg.inventory.v1 import inventory_pb2 as inv
from hotelagg.inventory.v1 import inventory_pb2_grpc


def request_id() -> str:
    return uuid.uuid4().hex


def pb_date(value: date) -> common_pb2.Date:
    return common_pb2.Date(year=value.year, month=value.month, day=value.day)


def days_ahead(n: int) -> date:
    return date.today() + timedelta(days=n)


@dataclass
class RpcFailure:
    code: grpc.StatusCode
    reason: str
    domain: str
    metadata: dict[str, str]
    fields: list[str]
    message: str


def failure(error: grpc.aio.AioRpcError) -> RpcFailure:
    """The ErrorInfo and BadRequest an error carries (ARCHITECTURE §7)."""
    raw = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
    assert raw, f"no google.rpc.Status in {error!r}"
    status = status_pb2.Status.FromString(raw)
    info = error_details_pb2.ErrorInfo()
    fields: list[str] = []
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            detail.Unpack(info)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            fields = [v.field for v in bad.field_violations]
    return RpcFailure(error.code(), info.reason, info.domain, dict(info.metadata), fields, status.message)


async def fails(call) -> RpcFailure:
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return failure(error)
    raise AssertionError("the call succeeded; it should have failed")


def inventory_stub(channel: grpc.aio.Channel) -> inventory_pb2_grpc.InventoryServiceStub:
    return inventory_pb2_grpc.InventoryServiceStub(channel)


def hotel_message(**overrides) -> inv.Hotel:
    fields = dict(
        name="Test Hotel", city="Paris", country_code="FR", latitude=48.85, longitude=2.35,
        time_zone="Europe/Paris", currency_code="EUR",
    )
    fields.update(overrides)
    return inv.Hotel(**fields)


async def make_hotel(stub, hotel_id: str = "test-hotel", rooms: int = 10, **overrides) -> inv.Hotel:
    """A direct hotel with one room type, STD, of `rooms` rooms."""
    created = await stub.CreateHotel(
        inv.CreateHotelRequest(request_id=request_id(), hotel_id=hotel_id, hotel=hotel_message(**overrides))
    )
    await stub.CreateRoomType(
        inv.CreateRoomTypeRequest(
            request_id=request_id(), hotel_id=hotel_id,
            room_type=inv.RoomType(code="STD", name="Standard", max_occupancy=2, total_rooms=rooms),
        )
    )
    return created.hotel


# Inventory API tests: what the database holds, and the requests they send most.

from datetime import datetime, timezone  # noqa: E402

from sqlalchemy import select as _select  # noqa: E402

from servers.storage import tables as _tables  # noqa: E402

INVENTORY_TABLES = ("hotels", "room_types", "inventory", "idempotency_keys")


async def db_state(db) -> dict[str, list[tuple]]:
    """Every row the inventory API can write, so a test can show a rejected request changed nothing."""
    state = {}
    async with db.reading() as conn:
        for name in INVENTORY_TABLES:
            table = _tables.metadata.tables[name]
            rows = await conn.execute(_select(table).order_by(*table.primary_key.columns))
            state[name] = [tuple(row) for row in rows]
    return state


async def row_count(db, table_name: str) -> int:
    return len((await db_state(db))[table_name])


async def night_rows(db, hotel_id: str = "test-hotel") -> list:
    nights = _tables.inventory
    query = _select(nights).where(nights.c.hotel_id == hotel_id).order_by(nights.c.room_type_id, nights.c.night)
    async with db.reading() as conn:
        return list((await conn.execute(query)).all())


def money(amount_minor: int, currency_code: str = "EUR") -> common_pb2.Money:
    return common_pb2.Money(currency_code=currency_code, amount_minor=amount_minor)


def update_request(start: int = 10, nights: int = 3, hotel_id: str = "test-hotel", code: str = "STD",
                   **fields) -> inv.UpdateInventoryRequest:
    """Changes `nights` nights of a room type, the first `start` days from today."""
    return inv.UpdateInventoryRequest(
        request_id=request_id(), hotel_id=hotel_id, room_type_code=code,
        start_date=pb_date(days_ahead(start)), end_date=pb_date(days_ahead(start + nights)), **fields,
    )


def availability_request(start: int = 10, nights: int = 3, hotel_id: str = "test-hotel",
                         code: str = "STD") -> inv.GetAvailabilityRequest:
    return inv.GetAvailabilityRequest(
        hotel_id=hotel_id, room_type_code=code,
        start_date=pb_date(days_ahead(start)), end_date=pb_date(days_ahead(start + nights)),
    )


async def load_nights(db, start: int = 10, nights: int = 3, hotel_id: str = "test-hotel", code: str = "STD",
                      **values) -> None:
    """Writes nights straight into the database, as an earlier UpdateInventory would have (version 1)."""
    room_types = _tables.room_types
    async with db.unit_of_work() as uow:
        query = _select(room_types).where(room_types.c.hotel_id == hotel_id, room_types.c.code == code)
        room_type = (await uow.connection.execute(query)).one()
        defaults = dict(room_type_id=room_type.id, hotel_id=hotel_id, total=room_type.total_rooms,
                        available=room_type.total_rooms, updated_at=datetime.now(timezone.utc))
        rows = [{**defaults, "night": days_ahead(start + i), **values} for i in range(nights)]
        await uow.connection.execute(_tables.inventory.insert(), rows)
        await uow.commit()


async def change_night(db, night: date, hotel_id: str = "test-hotel", **values) -> None:
    """Changes one night behind the API's back, e.g. rooms sold or held by another channel."""
    nights = _tables.inventory
    async with db.unit_of_work() as uow:
        await uow.connection.execute(
            nights.update().where(nights.c.hotel_id == hotel_id, nights.c.night == night).values(**values)
        )
        await uow.commit()

