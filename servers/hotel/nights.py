"""A room type's night, its restrictions, and the one rule for how many of its rooms can still be sold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


def sellable(available: int, held: int) -> int:
    """Rooms a new hold, booking or partner sale can take on a night: the available ones (total - sold)
    not under a hold. Never below 0: held rooms may outnumber the available ones (a channel manager's
    count comes in below what we hold), and nobody is offered fewer than none.

    Every place Python computes it calls this (Night.sellable, the search cache's rows, the ARI sent to
    partners, search's database read, the ledger's partner sales). In SQL statements the same rule is
    the guard `inventory.c.available - inventory.c.held >= n` (inventory's store/hold_batch.py takes holds
    under it; store/partner_sales.py takes free rooms first with the same difference): a database guard,
    checked under the row lock, where a value Python read earlier may already be stale.
    """
    return max(available - held, 0)


@dataclass(frozen=True)
class Restrictions:
    min_stay: int = 0
    max_stay: int = 0
    closed_to_arrival: bool = False
    closed_to_departure: bool = False
    stop_sell: bool = False


@dataclass(frozen=True)
class Night:
    """One room type on one night. available = total - sold; a hold takes from available - held.

    `oversold` counts rooms partners sold beyond total (ARCHITECTURE §5 rule 9): they are in neither
    total nor sold, and rooms coming free on the night go to them first (inventory's free_rooms).
    """

    night: date
    total: int
    available: int
    held: int = 0
    price_minor: int | None = None
    restrictions: Restrictions = Restrictions()
    version: int = 0
    oversold: int = 0

    @property
    def sold(self) -> int:
        return self.total - self.available

    @property
    def sellable(self) -> int:
        return sellable(self.available, self.held)


def nights_between(start: date, end: date) -> list[date]:
    """The nights of [start, end): a stay's, or a range's; the end (the departure day) is not one."""
    return [start + timedelta(days=i) for i in range((end - start).days)]
