"""Keyed rounds: what arrives for a key while that key's round runs goes together in its next round.

Three places want this shape: holds of one room type share a transaction, a hotel's channel-manager
events share one, a partner's deliveries share a lease and a send. One round per key runs at a time
(so rounds of a key never race each other on its rows), keys run side by side, items keep their
arrival order, and an item that arrives while its key is idle goes at once: batching never adds
waiting, it only gathers what would have queued on a lock anyway.

Each submitter waits for its own ticket: the round settles it with a result or fails it with an
exception, or hands it on to a later round (now or after a delay). A round that raises fails the
tickets it had not answered, and the key's next round goes ahead as usual. A submitter that stops
waiting (cancelled) does not take its item back or cancel the round: the others in that round are
still answered, and so is the item, to nobody.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

log = logging.getLogger("hotelagg.batching")

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
R = TypeVar("R")


class Unanswered(RuntimeError):
    """A round ended without settling, failing or handing on one of its tickets (a bug in the round)."""


class Ticket(Generic[K, T, R]):
    """One submitted item, its key, and the outcome its submitter waits for."""

    __slots__ = ("_handed_on", "item", "key", "outcome")

    def __init__(self, key: K, item: T) -> None:
        self.key = key
        self.item = item
        self.outcome: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._handed_on = False  # queued again (or about to be): a later round answers it

    @property
    def done(self) -> bool:
        return self.outcome.done()

    def settle(self, result: R) -> None:
        if not self.outcome.done():
            self.outcome.set_result(result)

    def fail(self, error: BaseException) -> None:
        if not self.outcome.done():
            self.outcome.set_exception(error)

    def _cancel(self) -> None:
        self.outcome.cancel()


Round = Callable[[K, list[Ticket[K, T, R]]], Awaitable[None]]


class KeyedRounds(Generic[K, T, R]):
    """Runs `run_round(key, tickets)` for at most `round_size` tickets of a key at a time, one round per
    key at a time, until nothing of the key waits."""

    def __init__(self, run_round: Round[K, T, R], *, round_size: int, name: str = "round") -> None:
        if round_size < 1:
            raise ValueError("a round takes at least one item")
        self._run_round = run_round
        self.round_size = round_size
        self.name = name
        self._waiting: dict[K, list[Ticket[K, T, R]]] = {}
        self._rounds: dict[K, asyncio.Task[None]] = {}
        self._later: dict[asyncio.TimerHandle, Ticket[K, T, R]] = {}

    async def submit(self, key: K, item: T) -> R:
        """Queues the item under its key and returns its outcome (or raises its failure)."""
        ticket: Ticket[K, T, R] = Ticket(key, item)
        self._queue(ticket)
        # Shielded: a submitter that gives up must not cancel the outcome the round will set (nor, through
        # it, the round); the shield also marks a failure nobody waits for any more as retrieved.
        return await asyncio.shield(ticket.outcome)

    def hand_on(self, ticket: Ticket[K, T, R], after: float = 0.0) -> None:
        """From inside a round: the ticket goes again in a later round of its key (after `after`
        seconds, if given), still answering the same submitter."""
        ticket._handed_on = True
        if after <= 0:
            self._queue(ticket)
            return

        def queue() -> None:
            self._later.pop(timer, None)
            self._queue(ticket)

        timer = asyncio.get_running_loop().call_later(after, queue)
        self._later[timer] = ticket

    @property
    def busy(self) -> bool:
        """Whether any key has a round running, items waiting, or items handed on for later."""
        return bool(self._rounds or self._waiting or self._later)

    async def stop(self) -> None:
        """Cancels what is in hand: rounds running (their items' submitters see the cancellation), items
        waiting for a round and items handed on for later. For a shutdown, after whatever feeds it."""
        for timer, ticket in list(self._later.items()):
            timer.cancel()
            ticket._cancel()
        self._later.clear()
        rounds = list(self._rounds.values())
        for task in rounds:
            task.cancel()
        await asyncio.gather(*rounds, return_exceptions=True)
        self._rounds.clear()  # a round cancelled before it started never ran its own clean-up
        for waiting in list(self._waiting.values()):
            for ticket in waiting:
                ticket._cancel()
        self._waiting.clear()

    def _queue(self, ticket: Ticket[K, T, R]) -> None:
        self._waiting.setdefault(ticket.key, []).append(ticket)
        if ticket.key not in self._rounds:
            self._rounds[ticket.key] = asyncio.create_task(self._serve(ticket.key), name=f"{self.name}-{ticket.key}")

    async def _serve(self, key: K) -> None:
        """Rounds for one key until nothing of it waits."""
        try:
            while self._waiting.get(key):
                waiting = self._waiting[key]
                batch = waiting[: self.round_size]
                del waiting[: self.round_size]
                for ticket in batch:
                    ticket._handed_on = False
                await self._one_round(key, batch)
        finally:
            self._rounds.pop(key, None)
            if not self._waiting.get(key):
                self._waiting.pop(key, None)

    async def _one_round(self, key: K, batch: list[Ticket[K, T, R]]) -> None:
        try:
            await self._run_round(key, batch)
        except asyncio.CancelledError:
            for ticket in batch:
                if not ticket._handed_on:
                    ticket._cancel()
            raise
        except Exception as error:  # noqa: BLE001 - every submitter of the round must get an answer
            for ticket in batch:
                if not ticket._handed_on:
                    ticket.fail(error)
            return
        unanswered = [t for t in batch if not t.done and not t._handed_on]
        if unanswered:
            log.error("a round left items unanswered", extra={"round": self.name, "items": len(unanswered)})
            for ticket in unanswered:
                ticket.fail(Unanswered(f"{self.name}: the round ended without an outcome for this item"))
