"""The deliveries repository in dicts, with the rules SqlDeliveries keeps (servers/partner/delivery_rounds.py):
one open delivery per partner and hotel, versions that move with every change, leases that run out by
the clock, delivered only when the version did not move on the wire."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from servers.partner.delivery_rounds import Round
from servers.partner.domain import DELIVERED, OPEN, PARKED, PENDING, RETRYING
from servers.partner.outbound import announce
from servers.partner.reasons import PartnerReason
from servers.runtime.errors import not_found


@dataclasses.dataclass(frozen=True)
class DeliveryRecord:
    """One deliveries row (the columns of servers.storage.tables.deliveries, their server defaults included)."""

    id: str
    partner_id: str
    hotel_id: str
    status: str
    idempotency_key: str
    window_start: date  # nullable in the table, but every delivery is opened with its window
    window_end: date
    created_at: datetime
    updated_at: datetime
    attempt_count: int = 0
    change_count: int = 0
    lease_until: datetime | None = None
    requests_sent: int = 0
    payload: dict | None = None
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    version: int = 1


@dataclasses.dataclass(frozen=True)
class NightAriRecord:
    """One night of a listed room as a round reads it (deliveries._ARI_COLUMNS)."""

    partner_property_code: str
    partner_room_code: str
    currency_code: str
    night: date
    available: int = 5
    held: int = 0
    price_minor: int = 10000
    min_stay: int = 0  # 0: no limit (the inventory table's defaults)
    max_stay: int = 0
    closed_to_arrival: bool = False
    closed_to_departure: bool = False
    stop_sell: bool = False


@dataclasses.dataclass(frozen=True)
class PartnerRecord:
    """The partners row's columns the worker reads."""

    id: str
    protocol: str = "json_rest"
    endpoint_url: str = "http://partner.invalid"
    requests_per_minute: int = 60
    name: str = ""


class FakeDeliveries:
    def __init__(self) -> None:
        self.rows: dict[str, DeliveryRecord] = {}
        self.partners: dict[str, PartnerRecord] = {}
        # (partner id, hotel id) → the nights its active listings of the hotel show that partner.
        self.nights: dict[tuple[str, str], list[NightAriRecord]] = {}
        self.rounds = 0  # lease_round calls: each is one transaction for a whole round

    # -------------------------------------------------------------------------- what tests set up

    def add_partner(self, partner_id: str, **values: Any) -> PartnerRecord:
        self.partners[partner_id] = PartnerRecord(partner_id, **values)
        return self.partners[partner_id]

    def list_nights(self, partner_id: str, hotel_id: str, nights: list[NightAriRecord]) -> None:
        """What the partner's active listings of the hotel show (inventory and listings, in the database)."""
        self.nights.setdefault((partner_id, hotel_id), []).extend(nights)

    def put(self, record: DeliveryRecord) -> DeliveryRecord:
        self.rows[record.id] = record
        return record

    def write(self, delivery_id: str, **values: Any) -> DeliveryRecord:
        """A test's direct write (like api tests' set_delivery): e.g. parked by an operator, a lease left by a crash."""
        return self.put(dataclasses.replace(self.rows[delivery_id], **values))

    def now_of(self, delivery_id: str) -> DeliveryRecord:
        return self.rows[delivery_id]

    # ----------------------------------------------------------------------------- the repository

    async def lease_round(self, delivery_ids: list[str], now: datetime, seconds: float) -> Round:
        self.rounds += 1
        leased: dict[str, DeliveryRecord] = {}
        busy_for: dict[str, float] = {}
        for delivery_id in dict.fromkeys(delivery_ids):
            row = self.rows.get(delivery_id)
            if row is None or row.status not in (PENDING, RETRYING):
                continue
            if row.lease_until is None or row.lease_until < now:
                leased[delivery_id] = self.put(dataclasses.replace(row, lease_until=now + timedelta(seconds=seconds)))
            else:
                busy_for[delivery_id] = max((row.lease_until - now).total_seconds(), 0.0) + 0.05
        return Round(leased, {i: self._window(row) for i, row in leased.items()}, busy_for)

    def _window(self, row: DeliveryRecord) -> list[NightAriRecord]:
        nights = [n for n in self.nights.get((row.partner_id, row.hotel_id), [])
                  if row.window_start <= n.night < row.window_end]
        return sorted(nights, key=lambda n: (n.partner_property_code, n.partner_room_code, n.night))

    async def finish_round(self, sent: dict[str, tuple[DeliveryRecord, int]], released: dict[str, datetime],
                           now: datetime) -> set[str]:
        delivered: set[str] = set()
        for delivery_id, (leased, requests) in sent.items():
            row = self.rows.get(delivery_id)
            if row is None:
                continue
            closed: dict[str, Any] = {"attempt_count": row.attempt_count + 1, "lease_until": None,
                                      "requests_sent": row.requests_sent + requests, "updated_at": now}
            if row.version == leased.version:
                closed.update(status=DELIVERED, delivered_at=now, next_attempt_at=None, last_error=None)
                delivered.add(delivery_id)
            self.put(dataclasses.replace(row, **closed))  # changed on the wire: open, leased to nobody
        for delivery_id, at in released.items():
            if delivery_id in self.rows:
                self.write(delivery_id, lease_until=None, next_attempt_at=at, updated_at=now)
        return delivered

    async def record_failure(self, delivery_id: str, status: str, error: str, retry_at: datetime | None,
                             now: datetime) -> None:
        self._failed(delivery_id, status, error, retry_at, now, attempt=True)

    def _failed(self, delivery_id: str, status: str, error: str, retry_at: datetime | None, now: datetime, *,
                attempt: bool) -> None:
        row = self.rows.get(delivery_id)
        if row is None:
            return
        self.write(delivery_id, status=status, last_error=error, next_attempt_at=retry_at, lease_until=None,
                 updated_at=now, attempt_count=row.attempt_count + (1 if attempt else 0))

    async def send_later(self, bus: Any, delivery_id: str, partner_id: str, hotel_id: str, seconds: float,
                         now: datetime, *, leased: bool, error: str | None = None) -> None:
        retry_at = now + timedelta(seconds=seconds)
        if leased and error is not None:
            self._failed(delivery_id, RETRYING, error, retry_at, now, attempt=False)
        elif leased and delivery_id in self.rows:
            self.write(delivery_id, lease_until=None, next_attempt_at=retry_at, updated_at=now)
        # No transaction here: the fake bus keeps the message as it is told (the uow only reaches its enqueue).
        await announce(None, bus, delivery_id, partner_id, hotel_id, delay_seconds=seconds)  # type: ignore[arg-type]

    async def partner(self, partner_id: str) -> PartnerRecord:
        partner = self.partners.get(partner_id)
        if partner is None:
            raise not_found(PartnerReason.PARTNER_NOT_FOUND, f"partner {partner_id}", partner_id=partner_id)
        return partner

    async def merge_change(self, partner_ids: list[str], hotel_id: str, start: date, end: date, changes: int,
                           now: datetime) -> list[tuple[str, str]]:
        to_send = []
        for partner_id in partner_ids:
            row = self.open_for(partner_id, hotel_id)
            if row is None:
                row = self.put(DeliveryRecord(
                    id=str(uuid.uuid4()), partner_id=partner_id, hotel_id=hotel_id, status=PENDING,
                    idempotency_key=str(uuid.uuid4()), created_at=now, updated_at=now, window_start=start,
                    window_end=end, change_count=changes))
                to_send.append((row.id, partner_id))
                continue
            row = self.write(row.id, change_count=row.change_count + changes, window_start=min(row.window_start, start),
                           window_end=max(row.window_end, end), version=row.version + 1, updated_at=now)
            if row.status == PARKED:  # a fresh change is a fresh reason to try
                self.write(row.id, status=PENDING, attempt_count=0, next_attempt_at=None, version=row.version + 1,
                         updated_at=now)
                to_send.append((row.id, partner_id))
        return to_send

    async def get(self, delivery_id: str) -> DeliveryRecord:
        row = self.rows.get(delivery_id)
        if row is None:
            raise not_found(PartnerReason.DELIVERY_NOT_FOUND, f"delivery {delivery_id}", delivery_id=delivery_id)
        return row

    def open_for(self, partner_id: str, hotel_id: str) -> DeliveryRecord | None:
        """The one open delivery of the partner for the hotel, if any (deliveries.open_for)."""
        return next((row for row in self.rows.values() if row.partner_id == partner_id
                     and row.hotel_id == hotel_id and row.status in OPEN), None)
