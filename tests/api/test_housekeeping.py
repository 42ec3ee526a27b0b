"""What grows with traffic is purged (issue 14, item 17): a forgotten request id is forgotten on read too,
and the housekeeping job, run by every serving process and any number of workers side by side, removes
what has served its purpose (expired idempotency keys, published outbox messages, applied webhook events,
delivered partner deliveries, ended holds, failed and expired bookings) while keeping what is still in use.
Embedded and production-like."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import grpc
from hotelagg.inventory.v1 import inventory_pb2 as inv
from sqlalchemy import func, insert, select, update

from servers import bootstrap
from servers.runtime.config import Settings
from servers.storage import tables as t
from tests.api.helpers import (
    days_ahead,
    fails,
    hotel_message,
    inventory_stub,
    make_hotel,
    pb_date,
    update_request,
)

NOW = datetime.now(timezone.utc)
OLD = NOW - timedelta(days=40)  # past both retentions below
RETENTION = dict(retention_days=7, ended_booking_retention_days=30)


async def _forget(db, key: str) -> None:
    """The key's time is up (the purge has not come round yet)."""
    async with db.unit_of_work() as uow:
        await uow.connection.execute(update(t.idempotency_keys).where(t.idempotency_keys.c.key == key)
                                     .values(expires_at=NOW - timedelta(seconds=1)))
        await uow.commit()


async def test_an_expired_request_id_is_a_fresh_one(channel, db):
    stub = inventory_stub(channel)
    await stub.CreateHotel(inv.CreateHotelRequest(request_id="key-1", hotel_id="first", hotel=hotel_message()))
    await _forget(db, "key-1")
    again = await stub.CreateHotel(inv.CreateHotelRequest(request_id="key-1", hotel_id="second",
                                                          hotel=hotel_message()))
    assert again.hotel.hotel_id == "second"
    # ... and held on to again like any new key: the same request replays, another is refused.
    replay = await stub.CreateHotel(inv.CreateHotelRequest(request_id="key-1", hotel_id="second",
                                                           hotel=hotel_message()))
    assert replay == again
    refused = await fails(stub.CreateHotel(inv.CreateHotelRequest(request_id="key-1", hotel_id="third",
                                                                  hotel=hotel_message())))
    assert (refused.code, refused.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "IDEMPOTENCY_KEY_REUSED")


async def test_an_expired_hold_request_id_holds_again(channel, db):
    stub = inventory_stub(channel)
    await make_hotel(stub, rooms=5)
    await stub.UpdateInventory(update_request(start=2, nights=2, price={"currency_code": "EUR", "amount_minor": 9000}))

    def hold(quantity: int) -> inv.HoldInventoryRequest:
        return inv.HoldInventoryRequest(request_id="hold-key", hotel_id="test-hotel", room_type_code="STD",
                                        check_in=pb_date(days_ahead(2)), check_out=pb_date(days_ahead(4)),
                                        quantity=quantity)

    first = (await stub.HoldInventory(hold(1))).hold
    await _forget(db, "hold-key")
    second = (await stub.HoldInventory(hold(2))).hold
    assert second.hold_id != first.hold_id and second.quantity == 2


async def _rows(db) -> dict[str, set[str]]:
    """What survives, by table: the label each seeded row carries."""
    queries = {
        "idempotency_keys": select(t.idempotency_keys.c.key),
        "outbox": select(t.outbox.c.message_key),
        "webhook_events": select(t.webhook_events.c.event_id),
        "deliveries": select(t.deliveries.c.idempotency_key),
        "holds": select(t.holds.c.id),
        "bookings": select(t.bookings.c.id),
    }
    async with db.reading() as conn:
        return {name: {r[0] for r in await conn.execute(q)} for name, q in queries.items()}


def _hold(label: str, status: str, at: datetime, room_type_id: int) -> dict:
    return dict(id=label, hotel_id="test-hotel", room_type_id=room_type_id, check_in=days_ahead(2),
                check_out=days_ahead(3), quantity=1, status=status, expires_at=at, created_at=at, updated_at=at)


def _booking(label: str, status: str, at: datetime, room_type_id: int, hold_id: str | None = None) -> dict:
    return dict(id=label, user_id="ada", hotel_id="test-hotel", room_type_id=room_type_id, check_in=days_ahead(2),
                check_out=days_ahead(3), rooms=1, guests=1, status=status, currency_code="EUR", total_minor=100,
                channel="hotelagg", hold_id=hold_id, created_at=at, updated_at=at)


async def _seed(db, room_type_id: int) -> None:
    """Rows past their time ("gone-*") and rows still in use ("kept-*") of every table that grows."""
    rows = {
        t.idempotency_keys: [dict(scope="s", key=key, request_hash="h", status="done", locked_until=at,
                                  created_at=at, expires_at=at + timedelta(days=1))
                             for key, at in (("gone-key", OLD), ("kept-key", NOW))],
        t.outbox: [dict(topic="x", message_key=key, payload={}, status=status, available_at=OLD,
                        published_at=OLD if status == "published" else None, created_at=OLD)
                   for key, status in (("gone-published", "published"), ("kept-parked", "parked"),
                                       ("kept-pending", "pending"))]
        + [dict(topic="x", message_key="kept-published", payload={}, status="published", available_at=NOW,
                published_at=NOW, created_at=NOW)],
        t.webhook_events: [dict(source="cm", event_id=label, hotel_id="test-hotel", received_at=at or OLD,
                                applied_at=at)
                           for label, at in (("gone-applied", OLD), ("kept-applied", NOW), ("kept-waiting", None))],
        t.partners: [dict(id="acme", name="Acme", protocol="json_rest", endpoint_url="http://127.0.0.1:9/",
                          api_key_hash="0" * 64, api_key_prefix="hpk_", requests_per_minute=60,
                          inbound_requests_per_minute=60, created_at=OLD, updated_at=OLD)],
        t.deliveries: [dict(id=str(uuid.uuid4()), partner_id="acme", hotel_id="test-hotel", status=status,
                            idempotency_key=label, delivered_at=at, created_at=OLD, updated_at=at or OLD)
                       for label, status, at in (("gone-delivered", "delivered", OLD),
                                                 ("kept-delivered", "delivered", NOW), ("kept-open", "parked", None))],
        t.holds: [_hold("gone-released", "released", OLD, room_type_id), _hold("gone-expired", "expired", OLD,
                                                                               room_type_id),
                  _hold("gone-of-failed", "released", OLD, room_type_id),
                  _hold("kept-of-confirmed", "released", OLD, room_type_id),
                  _hold("kept-committed", "committed", OLD, room_type_id),
                  _hold("kept-recent", "released", NOW, room_type_id)],
        t.bookings: [_booking("gone-failed", "failed", OLD, room_type_id, "gone-of-failed"),
                     _booking("gone-expired-booking", "expired", OLD, room_type_id),
                     _booking("kept-confirmed", "confirmed", OLD, room_type_id, "kept-of-confirmed"),
                     _booking("kept-cancelled", "cancelled", OLD, room_type_id),
                     _booking("kept-recent-failure", "failed", NOW, room_type_id)],
    }
    async with db.unit_of_work() as uow:
        for table, values in rows.items():
            await uow.connection.execute(insert(table), values)
        await uow.commit()


def _kept_only(found: dict[str, set[str]]) -> bool:
    return all(not label.startswith("gone-") for labels in found.values() for label in labels)


async def test_every_serving_process_purges_what_has_served_its_purpose(db, stack):
    settings = Settings(database_url=db.url, port=0, webhook_port=0, housekeeping_interval_seconds=0.05,
                        **RETENTION, **stack)
    running = await bootstrap.start(settings)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            await make_hotel(inventory_stub(channel))
        async with db.reading() as conn:
            room_type_id = (await conn.execute(select(t.room_types.c.id))).scalar_one()
        await _seed(db, room_type_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while not _kept_only(found := await _rows(db)):
            assert loop.time() < deadline, f"not purged: {found}"
            await asyncio.sleep(0.05)
    finally:
        await running.stop(grace=None)
    kept = {label for labels in found.values() for label in labels if label.startswith("kept-")}
    assert kept == {"kept-key", "kept-parked", "kept-pending", "kept-published", "kept-applied", "kept-waiting",
                    "kept-delivered", "kept-open", "kept-of-confirmed", "kept-committed", "kept-recent",
                    "kept-confirmed", "kept-cancelled", "kept-recent-failure"}


async def test_several_housekeeping_workers_side_by_side(db):
    """Three `python -m servers worker housekeeping --once` at the same moment, over more rows than a batch."""
    from servers.bootstrap import run_worker

    async with db.unit_of_work() as uow:
        await uow.connection.execute(insert(t.idempotency_keys), [
            dict(scope="s", key=f"gone-{i}", request_hash="h", status="done", locked_until=OLD, created_at=OLD,
                 expires_at=OLD) for i in range(2500)])
        await uow.connection.execute(insert(t.idempotency_keys), [dict(
            scope="s", key="kept", request_hash="h", status="done", locked_until=NOW, created_at=NOW,
            expires_at=NOW + timedelta(days=1))])
        await uow.commit()
    settings = Settings(database_url=db.url, housekeeping_batch_size=200, **RETENTION)
    await asyncio.gather(*(run_worker(settings, "housekeeping", once=True) for _ in range(3)))
    async with db.reading() as conn:
        left = [r.key for r in await conn.execute(select(t.idempotency_keys.c.key))]
        assert left == ["kept"]
        assert (await conn.execute(select(func.count()).select_from(t.outbox))).scalar_one() == 0
