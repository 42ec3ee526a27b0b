"""Nights as plain tuples ("rows") on the bulk ARI path: from the request to COPY, from the merge to the cache.

A full load is hundreds of thousands of nights, and at that size an object per night (two frozen
dataclasses, a Night and its Restrictions) costs more than the database's work. Rows are built once
and objects only for whoever asks for them (WatchInventory, an event kept whole while it waits for a gap).
Plain tuples also matter to the garbage collector: it stops tracking a tuple of atomic values (never an
instance of a tuple subclass, such as a NamedTuple), so rows held for a while cost no collection time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
from operator import itemgetter
from typing import Any

from clients.channel_managers import Night as ChannelNight
from clients.channel_managers import Restrictions as ChannelRestrictions
from servers.cache.base import CacheRow
from servers.hotel.nights import Night, Restrictions, sellable

# A channel-manager night: (date, total, available, price_minor, min_stay, max_stay, closed_to_arrival,
# closed_to_departure, stop_sell).
ChannelRow = tuple[date, int, int, int, int, int, bool, bool, bool]
# What the merge returns per night (bulk._RETURNED): (room_type_id, night, total, available, held,
# price_minor, min_stay, max_stay, closed_to_arrival, closed_to_departure, stop_sell, version).
MergedRow = tuple


class NightRows(Sequence):
    """A sequence of nights kept as rows; the night objects are built on first use, all at once."""

    __slots__ = ("_rows", "_make", "_objects")

    def __init__(self, rows: list[tuple] | None, make: Callable[[tuple], Any]) -> None:
        self._rows = rows
        self._make = make
        self._objects: tuple | None = None

    @property
    def rows(self) -> list[tuple]:
        """The rows (a subclass may read them only now, when first asked)."""
        return self._rows  # type: ignore[return-value]

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index):
        return self._built()[index]

    def __iter__(self) -> Iterator:
        return iter(self._built())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(self._built())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)!r})"

    def _built(self) -> tuple:
        if self._objects is None:
            self._objects = tuple(map(self._make, self.rows))
        return self._objects


def channel_nights(rows: list[ChannelRow]) -> NightRows:
    """Channel-manager nights (a Snapshot's) made from rows."""
    return NightRows(rows, channel_night)


def channel_night(row: ChannelRow) -> ChannelNight:
    return ChannelNight(row[0], row[1], row[2], row[3], ChannelRestrictions(*row[4:9]))


def channel_rows(nights: Sequence[ChannelNight]) -> list[tuple]:
    """A snapshot's nights as rows; the price None (never from a request) is left for the caller."""
    if isinstance(nights, NightRows):
        return nights.rows
    return [(n.date, n.total, n.available, n.price_minor, n.restrictions.min_stay, n.restrictions.max_stay,
             n.restrictions.closed_to_arrival, n.restrictions.closed_to_departure, n.restrictions.stop_sell)
            for n in nights]


class MergedNights(NightRows):
    """One room type's nights as a merge left them, with their cache rows made beside (while the
    database worked on something else): the cache write-through after commit only stores them."""

    __slots__ = ("cache_rows",)

    def __init__(self) -> None:
        super().__init__([], _merged_night)
        self.cache_rows: list[CacheRow] = []

    def add(self, rows: list[MergedRow], stamp: float) -> None:
        """Rows of this room type returned by the merge; `stamp` is when the merge wrote them."""
        self.rows.extend(rows)
        # As changes.cached_night makes them: the sellable rooms (available, held) of the kernel's rule.
        self.cache_rows.extend([(r[1], sellable(r[3], r[4]), r[5], stamp, r[11], r[6], r[7], r[8], r[9],
                                 r[10]) for r in rows])

    def _built(self) -> tuple:
        if self._objects is None:
            self.rows.sort(key=_NIGHT)  # announced in night order, like every other change
        return super()._built()


_NIGHT = itemgetter(1)


def _merged_night(r: MergedRow) -> Night:
    return Night(r[1], r[2], r[3], r[4], r[5], Restrictions(r[6], r[7], r[8], r[9], r[10]), r[11])
