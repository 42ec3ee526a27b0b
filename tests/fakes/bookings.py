"""The bookings repository in dicts, with the rules SqlBookings keeps (servers/booking/bookings.py):
the request-id claim, version-guarded changes, legal moves, the jobs' due lists and back-off."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime
from typing import Any

from servers.booking import store
from servers.booking.bookings import back_off_wait
from servers.booking.domain import HELD, PENDING, check_transition
from servers.runtime.errors import aborted, not_found


@dataclasses.dataclass(frozen=True)
class BookingRecord:
    """One bookings row with its room type's code, as the flows read it (the columns of
    servers.storage.tables.bookings, their server defaults included)."""

    id: str
    user_id: str
    hotel_id: str
    room_type_code: str
    check_in: date
    check_out: date
    rooms: int
    guests: int
    status: str
    currency_code: str
    total_minor: int
    channel: str
    created_at: datetime
    updated_at: datetime
    lead_guest: dict | None = None
    expires_at: datetime | None = None
    paid_minor: int = 0
    fee_minor: int = 0
    hold_id: str | None = None
    channel_manager_reservation_id: str | None = None
    payment_reference: str | None = None
    step_in_flight: str | None = None
    payment_token: str | None = None
    partner_reservation_id: str | None = None
    partner_revision: int | None = None
    over_capacity: bool = False
    request_id: str | None = None
    request_hash: str | None = None
    failure_reason: str | None = None
    cancel_reason: str | None = None
    failed_attempts: int = 0
    retry_at: datetime | None = None
    version: int = 1


class FakeBookings:
    def __init__(self) -> None:
        self.rows: dict[str, BookingRecord] = {}
        self.writes = 0  # changes and moves that went through: a replay must add none

    # -------------------------------------------------------------------------- what tests set up

    def put(self, record: BookingRecord) -> BookingRecord:
        """A booking as a test wants it to be (e.g. one a partner sold, one left stuck by a crash)."""
        self.rows[record.id] = record
        return record

    def now_of(self, booking_id: str) -> BookingRecord:
        return self.rows[booking_id]

    # ----------------------------------------------------------------------------- the repository

    async def claim(self, values: dict, now: datetime) -> tuple[BookingRecord, bool]:
        existing = next((row for row in self.rows.values()
                         if row.request_id is not None and row.request_id == values["request_id"]), None)
        if existing is not None:
            return existing, False
        row = BookingRecord(id=str(uuid.uuid4()), status=PENDING, created_at=now, updated_at=now, **values)
        self.rows[row.id] = row
        return row, True

    async def get(self, booking_id: str) -> BookingRecord:
        return await self.read(booking_id)

    async def read(self, booking_id: str) -> BookingRecord:
        row = self.rows.get(booking_id)
        if row is None:
            raise not_found("BOOKING_NOT_FOUND", f"booking {booking_id}", booking_id=booking_id)
        return row

    async def move(self, booking: BookingRecord, status: str, now: datetime, **values: Any) -> BookingRecord:
        check_transition(booking.status, status, booking.id)
        return await self.change(booking, now, status=status, **values)

    async def change(self, booking: BookingRecord, now: datetime, **values: Any) -> BookingRecord:
        current = self.rows.get(booking.id)
        if current is None or current.version != booking.version:
            raise aborted("CONCURRENT_UPDATE", "the booking changed meanwhile; read it again", booking_id=booking.id)
        row = dataclasses.replace(current, version=current.version + 1, updated_at=now, retry_at=None, **values)
        self.rows[row.id] = row
        self.writes += 1
        return row

    async def page(self, *, user_id: str, hotel_id: str, statuses: list[str],
                   after: tuple[datetime, str] | None, limit: int) -> list[BookingRecord]:
        rows = [row for row in self.rows.values()
                if (row.user_id == user_id if user_id else row.hotel_id == hotel_id)
                and (not statuses or row.status in statuses)
                and (after is None or (row.created_at, row.id) < after)]
        return sorted(rows, key=lambda row: (row.created_at, row.id), reverse=True)[:limit]

    async def stuck(self, status: str, older_than: datetime, now: datetime) -> list[BookingRecord]:
        return self._batch([row for row in self._due(now) if row.status == status and row.updated_at < older_than],
                           lambda row: (row.updated_at, row.id))

    async def expired_holds(self, now: datetime) -> list[BookingRecord]:
        return self._batch([row for row in self._due(now)
                            if row.status == HELD and row.expires_at is not None and row.expires_at <= now
                            and row.paid_minor == 0], lambda row: (row.expires_at, row.id))

    async def confirms_under_way(self, older_than: datetime, now: datetime) -> list[BookingRecord]:
        return self._batch([row for row in self._due(now)
                            if row.status == HELD and row.updated_at < older_than
                            and (row.step_in_flight is not None or row.paid_minor > 0)],
                           lambda row: (row.updated_at, row.id))

    async def back_off(self, booking: BookingRecord, now: datetime) -> None:
        current = self.rows[booking.id]
        self.rows[booking.id] = dataclasses.replace(
            current, failed_attempts=current.failed_attempts + 1,
            retry_at=now + back_off_wait(booking.failed_attempts))

    async def queue(self, bus, topic: str, key: str, payload: dict) -> None:
        await bus.enqueue(None, topic, key, payload)

    def _due(self, now: datetime) -> list[BookingRecord]:
        return [row for row in self.rows.values() if row.retry_at is None or row.retry_at <= now]

    @staticmethod
    def _batch(rows: list[BookingRecord], key) -> list[BookingRecord]:
        return sorted(rows, key=key)[:store.JOB_BATCH]  # read at call time: tests shrink the batch
