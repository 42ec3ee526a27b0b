"""Before a hotel's first full load: which events the mirror can apply, and which must wait for it.

A snapshot is absolute: it can be applied whenever its turn comes. A delta only moves a night we
hold; for a night with no row yet there is nothing to move, and applied anyway it would be lost: the
cursor passes it, and the load, whose ARI may have been read before the sale, writes the night
without it. So until the hotel is loaded, the run of events stops at the first such delta; it and
those after it wait in webhook_events (as behind a gap) and are applied on top of the load, right
after it, in its transaction (mirror.Mirror.load). Deltas the load's ARI already holds are behind the
load's sequence then, and are passed over.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from clients.channel_managers import ChannelEvent, Delta
from clients.channel_managers.http import OUR_CHANNEL  # its deltas change nothing in the mirror anyway
from servers.inventory.store.ari import nights_present
from servers.inventory.store.night_rows import channel_rows
from servers.storage.database import UnitOfWork

Night = tuple[int, date]  # (room type id, date)


async def mirrorable(uow: UnitOfWork, codes: dict[str, int], run: list[ChannelEvent]) -> list[ChannelEvent]:
    """The events of `run` up to the first delta for a night neither in the mirror nor set by a
    snapshot before it in the run."""
    wanted = set(_delta_nights(codes, run))
    if not wanted:
        return run
    held = await nights_present(uow, wanted)
    for index, event in enumerate(run):
        room_type_id = codes.get(event.change.room_type_code)
        if room_type_id is None:
            continue
        if isinstance(event.change, Delta):
            if event.change.channel != OUR_CHANNEL and (room_type_id, event.change.date) not in held:
                return run[:index]
        else:
            held.update((room_type_id, row[0]) for row in channel_rows(event.change.nights))
    return run


def _delta_nights(codes: dict[str, int], run: list[ChannelEvent]) -> Iterable[Night]:
    for event in run:
        change = event.change
        if isinstance(change, Delta) and change.channel != OUR_CHANNEL and change.room_type_code in codes:
            yield codes[change.room_type_code], change.date
