"""What the delivery worker asks of where deliveries are kept: the deliveries repository.

The worker (sender.py) speaks only to this; the database behind it is `servers.partner.deliveries.
SqlDeliveries`, and unit tests hand in `tests.fakes.FakeDeliveries`, which keeps the same rules in dicts.
The rules every implementation keeps:

- one open (pending, retrying or parked) delivery per (partner, hotel): a change widens its window of
  nights and moves its version on; a change to a parked one re-arms it with a fresh retry budget;
- a round leases the open deliveries nobody holds (or whose lease ran out by the clock) and reads
  their windows' ARI; one held by another worker says how long until its lease is over;
- closing a round delivers a delivery only if its version did not move while it was on the wire: else
  it stays open, leased to nobody, for the next round (a partner never keeps older ARI than ours);
- a failure, a release for later (rate limit) and a close all let the lease go, so changes keep merging.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

# A delivery as read: the deliveries row (a SQLAlchemy Row for SqlDeliveries, a record of the same
# attributes for the fake). The worker only reads its attributes; so with a night's ARI and a partner.
Delivery = Any
NightAri = Any
Partner = Any


@dataclass(frozen=True)
class Round:
    """Several deliveries leased at once, with what to send for each."""

    leased: dict[str, Delivery]  # delivery id → its row, now leased to us
    ari: dict[str, list[NightAri]]  # delivery id → its window's nights, by property, room, night
    # Delivery id → seconds until another worker's lease on it runs out. Ids in neither: nothing to send.
    busy_for: dict[str, float]


class Deliveries(Protocol):
    # ------------------------------------------------------------------------------- the worker's

    async def lease_round(self, delivery_ids: list[str], now: datetime, seconds: float) -> Round:
        """Leases every one of delivery_ids that is open, not parked and not leased, for `seconds`, and
        reads what each must send (one transaction)."""
        ...

    async def finish_round(self, sent: dict[str, tuple[Delivery, int]], released: dict[str, datetime],
                           now: datetime) -> set[str]:
        """Closes a round (one transaction). `sent`: delivery id → (its leased row, requests sent), each
        delivered unless its version moved; `released`: delivery id → when to try again. The ids delivered."""
        ...

    async def record_failure(self, delivery_id: str, status: str, error: str, retry_at: datetime | None,
                             now: datetime) -> None:
        """A send failed: the delivery goes to status (retrying, or parked) with one attempt more."""
        ...

    async def send_later(self, bus: Any, delivery_id: str, partner_id: str, hotel_id: str, seconds: float,
                         now: datetime, *, leased: bool, error: str | None = None) -> None:
        """A new message for the delivery in `seconds`, in the transaction that lets our lease go (when
        `leased`): retrying with the partner's error (its 429), or released (our own rate), attempts unchanged."""
        ...

    async def partner(self, partner_id: str) -> Partner:
        """The partner a delivery goes to (its endpoint, protocol and rate), as it is now. PARTNER_NOT_FOUND."""
        ...

    # ------------------------------------------------------------------------- the changes' side

    async def merge_change(self, partner_ids: list[str], hotel_id: str, start: date, end: date, changes: int,
                           now: datetime) -> list[tuple[str, str]]:
        """Merges nights into each partner's open delivery for the hotel (or opens one); the (delivery id,
        partner id)s to announce: the ones opened and the parked ones re-armed."""
        ...

    async def get(self, delivery_id: str) -> Delivery:
        """The delivery as it is now. DELIVERY_NOT_FOUND."""
        ...
