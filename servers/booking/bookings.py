"""What the booking flows ask of where bookings are kept: the bookings repository.

The flows (reserve, settle, jobs, the servicer) speak only to this; the database behind it is
`servers.booking.store.SqlBookings`, and unit tests hand in `tests.fakes.FakeBookings`, which keeps the
same rules in dicts. The rules every implementation keeps:

- a create's request id is claimed by the booking itself: one booking per request id, the second
  claim gets the first booking back (and a FAILED booking gives its request id up);
- every write is guarded by the version the caller read: a booking changed meanwhile is refused
  (ABORTED CONCURRENT_UPDATE), never overwritten; a change moves the version and updated_at on and
  clears a job's back-off;
- a move is also a legal transition of the state machine (domain.check_transition);
- a job's lists leave out bookings backing off (retry_at still ahead) and take at most a batch.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

# A booking as read: the bookings row with its room type's code (a SQLAlchemy Row for SqlBookings,
# a record of the same attributes for the fakes). The flows only read its attributes.
Booking = Any


class Bookings(Protocol):
    async def claim(self, values: dict, now: datetime) -> tuple[Booking, bool]:
        """The booking for a create's request id: a new PENDING one (True), or the one there already (False)."""
        ...

    async def get(self, booking_id: str) -> Booking:
        """The booking as a replica has it (may lag a moment): for answering queries. BOOKING_NOT_FOUND."""
        ...

    async def read(self, booking_id: str) -> Booking:
        """The booking as it is now (the primary): for the flows, which read right after a change."""
        ...

    async def move(self, booking: Booking, status: str, now: datetime, **values: Any) -> Booking:
        """Moves the booking to status (a legal transition) if nobody changed it since it was read."""
        ...

    async def change(self, booking: Booking, now: datetime, **values: Any) -> Booking:
        """Writes values if nobody changed the booking since it was read; returns it as it is now."""
        ...

    async def page(self, *, user_id: str, hotel_id: str, statuses: list[str],
                   after: tuple[datetime, str] | None, limit: int) -> list[Booking]:
        """A guest's (user_id) or a hotel's bookings, newest first, after the (created_at, id) key."""
        ...

    async def stuck(self, status: str, older_than: datetime, now: datetime) -> list[Booking]:
        """Bookings left in status since before older_than, longest waiting first, none backing off."""
        ...

    async def expired_holds(self, now: datetime) -> list[Booking]:
        """HELD bookings past their hold whose payment was never captured, the longest expired first."""
        ...

    async def confirms_under_way(self, older_than: datetime, now: datetime) -> list[Booking]:
        """HELD bookings a confirm started (a step in flight, or paid) that nothing moved since older_than."""
        ...

    async def back_off(self, booking: Booking, now: datetime) -> None:
        """A job's step failed for this booking: it waits before the next try (10 s, doubling, at most
        10 min). Neither the version nor updated_at move: it is not a change of the booking."""
        ...

    async def queue(self, bus: Any, topic: str, key: str, payload: dict) -> None:
        """Puts a message on the retry queue in a transaction of its own (the bus's outbox lives
        beside the bookings, so the message is kept exactly when it is committed)."""
        ...


def back_off_wait(failed_attempts: int) -> timedelta:
    """How long a booking whose job step failed failed_attempts times before waits: 10 s, doubling,
    at most 10 min, so that a few that keep failing never take the places of the others in a batch."""
    return timedelta(seconds=min(600, 10 * 2 ** min(failed_attempts, 6)))
