"""The deliveries repository on SQL (delivery_rounds.Deliveries): deliveries.py's statements, each call
in the transaction it had in the worker, so nothing changes on the wire or in the database."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Row

from servers.partner import deliveries, store
from servers.partner.delivery_rounds import Round
from servers.partner.domain import RETRYING
from servers.partner.outbound import announce
from servers.storage.database import Database


class SqlDeliveries:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def lease_round(self, delivery_ids: list[str], now: datetime, seconds: float) -> Round:
        return await deliveries.lease_round(self.db, delivery_ids, now, seconds)

    async def finish_round(self, sent: dict[str, tuple[Row, int]], released: dict[str, datetime],
                           now: datetime) -> set[str]:
        return await deliveries.finish_round(self.db, sent, released, now)

    async def record_failure(self, delivery_id: str, status: str, error: str, retry_at: datetime | None,
                             now: datetime) -> None:
        async with self.db.unit_of_work() as uow:
            await deliveries.record_failure(uow, delivery_id, status, error, retry_at, now)
            await uow.commit()

    async def send_later(self, bus: Any, delivery_id: str, partner_id: str, hotel_id: str, seconds: float,
                         now: datetime, *, leased: bool, error: str | None = None) -> None:
        # The message and the lease let go commit together: a delivery is never left released with no
        # message to send it, nor announced while still held.
        retry_at = now + timedelta(seconds=seconds)
        async with self.db.unit_of_work() as uow:
            if leased and error is not None:
                await deliveries.record_failure(uow, delivery_id, RETRYING, error, retry_at, now, attempt=False)
            elif leased:
                await deliveries.release(uow, delivery_id, retry_at, now)
            await announce(uow, bus, delivery_id, partner_id, hotel_id, delay_seconds=seconds)
            await uow.commit()

    async def partner(self, partner_id: str) -> Row:
        async with self.db.reading_primary() as conn:
            return await store.get_partner(conn, partner_id)

    async def merge_change(self, partner_ids: list[str], hotel_id: str, start: date, end: date, changes: int,
                           now: datetime) -> list[tuple[str, str]]:
        """In a transaction of its own (the change marker merges inside the change's: deliveries.merge_change)."""
        async with self.db.unit_of_work() as uow:
            opened = await deliveries.merge_change(uow, partner_ids, hotel_id, start, end, changes, now)
            await uow.commit()
        return opened

    async def get(self, delivery_id: str) -> Row:
        async with self.db.reading_primary() as conn:
            return await deliveries.get(conn, delivery_id)
