"""Telling hotelagg about every revision of a reservation until it accepts or refuses it for good.

The first attempt is made while the admin call waits, so its answer says how it went; a transient
failure is then retried in the background with backoff (or the delay hotelagg asked for). A newer
revision supersedes the older one's retries: hotelagg ignores an older revision anyway.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from typing import Protocol

from .reservations import NotifyState, Reservation

log = logging.getLogger("sandbox.partner")

ACCEPTED, TRANSIENT, PERMANENT = "accepted", "transient", "permanent"


@dataclass(frozen=True)
class Verdict:
    """What one attempt got back."""

    kind: str  # ACCEPTED | TRANSIENT | PERMANENT
    booking_id: str | None = None
    over_capacity: bool = False
    error: dict | None = None  # {code, reason, message} when not accepted
    retry_after: float | None = None  # what hotelagg asked for (RetryInfo, Retry-After)


class Sender(Protocol):
    def prepare(self, reservation: Reservation) -> object:
        """The request for the reservation's current revision, made once so retries send the same."""

    async def send(self, payload: object) -> Verdict: ...

    async def close(self) -> None: ...


@dataclass
class RetryPolicy:
    first_delay: float = 0.5
    max_delay: float = 30.0
    max_asked: float = 300.0  # a longer RetryInfo / Retry-After is capped, not obeyed blindly

    def delay(self, failures: int, asked: float | None, rng: random.Random) -> float:
        if asked is not None:
            return min(max(asked, 0.0), self.max_asked)
        backoff = min(self.max_delay, self.first_delay * 2 ** (failures - 1))
        return backoff * (0.5 + rng.random() / 2)  # jitter keeps many retries from syncing up


def record(notify: NotifyState, verdict: Verdict) -> None:
    notify.attempts += 1
    if verdict.kind == ACCEPTED:
        notify.state, notify.booking_id, notify.over_capacity = "accepted", verdict.booking_id, verdict.over_capacity
    else:
        notify.state = "refused" if verdict.kind == PERMANENT else "pending"
        notify.last_error = verdict.error


class Notifier:
    def __init__(self, sender: Sender, policy: RetryPolicy, rng: random.Random) -> None:
        self.sender = sender
        self._policy = policy
        self._rng = rng
        self._retries: dict[str, asyncio.Task] = {}

    async def notify(self, reservation: Reservation) -> Verdict:
        """The first attempt for the current revision; retries go on in the background."""
        self._stop(reservation.reservation_id)
        revision, payload = reservation.revision, self.sender.prepare(reservation)
        verdict = await self._attempt(reservation, revision, payload)
        if verdict.kind == TRANSIENT and reservation.revision == revision:
            task = asyncio.create_task(self._retry(reservation, revision, payload, verdict),
                                       name=f"notify-{reservation.reservation_id}:{revision}")
            self._retries[reservation.reservation_id] = task
            task.add_done_callback(lambda done: self._forget(reservation.reservation_id, done))
        return verdict

    async def _attempt(self, reservation: Reservation, revision: int, payload: object) -> Verdict:
        try:
            verdict = await self.sender.send(payload)
        except Exception as error:  # noqa: BLE001 - a sender bug must not end the retries silently
            log.exception("notify %s:%d failed unexpectedly", reservation.reservation_id, revision)
            verdict = Verdict(TRANSIENT, error={"code": "SEND_FAILED", "reason": "", "message": repr(error)})
        if reservation.revision == revision:  # a newer revision started while this one was on the wire
            record(reservation.notify, verdict)
        if verdict.kind != ACCEPTED:
            log.info("notify %s:%d %s: %s", reservation.reservation_id, revision, verdict.kind, verdict.error)
        return verdict

    async def _retry(self, reservation: Reservation, revision: int, payload: object, verdict: Verdict) -> None:
        while verdict.kind == TRANSIENT and reservation.revision == revision:
            await asyncio.sleep(self._policy.delay(reservation.notify.attempts, verdict.retry_after, self._rng))
            if reservation.revision != revision:
                return
            verdict = await self._attempt(reservation, revision, payload)

    def _stop(self, reservation_id: str) -> None:
        task = self._retries.pop(reservation_id, None)
        if task is not None:
            task.cancel()

    def _forget(self, reservation_id: str, done: asyncio.Task) -> None:
        if self._retries.get(reservation_id) is done:
            del self._retries[reservation_id]

    def pending(self) -> int:
        return len(self._retries)

    async def stop_all(self) -> None:
        tasks = list(self._retries.values())
        self._retries.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def close(self) -> None:
        await self.stop_all()
        await self.sender.close()
