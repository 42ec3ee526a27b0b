"""A channel manager's absolute count, read into the mirror, where our own holds live in `held`.

The channel manager's `available` is total minus every reservation it has, held or confirmed, on any
channel, ours included. Ours is total minus rooms sold, with our live holds inside it (`held`), so that
a hold's rooms are sold by CommitHold and come back by a release or an expiry. Read as it is, the count
would take our reserved holds twice: once in its `available`, once in our `held` (the last room held by
a booking could then not be sold to that booking). So, per night of a snapshot:

- rooms of our holds reserved at the channel manager go back into `available` (they stay in `held`);
- rooms of our holds it has not heard of (HoldInventory alone) are still free in its count: as given;
- our committed sales are sold there (reserved or confirmed) and here: as given.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from clients.channel_managers import ChannelEvent
from servers.inventory.store.holds import reserved_at_channel_manager
from servers.inventory.store.night_rows import channel_nights, channel_rows
from servers.storage.database import UnitOfWork


async def as_mirrored(uow: UnitOfWork, hotel_id: str, snapshots: list[tuple[int, ChannelEvent]]
                      ) -> list[tuple[int, ChannelEvent]]:
    """The snapshots with our reserved rooms given back to `available` (never above a night's total).

    Called under the hotel's sync cursor lock, in the applying transaction: the holds read are those
    of the moment the snapshot lands. Snapshots of room types without such holds are passed on as they are.
    """
    reserved = await reserved_at_channel_manager(uow.connection, hotel_id)
    if not reserved:
        return snapshots
    room_types = {room_type_id for room_type_id, _ in reserved}
    return [(room_type_id, _given_back(event, room_type_id, reserved) if room_type_id in room_types else event)
            for room_type_id, event in snapshots]


def _given_back(event: ChannelEvent, room_type_id: int, reserved: dict[tuple[int, date], int]) -> ChannelEvent:
    rows = [(r[0], r[1], min(r[1], r[2] + ours), *r[3:]) if (ours := reserved.get((room_type_id, r[0]))) else r
            for r in channel_rows(event.snapshot.nights)]
    return replace(event, change=replace(event.snapshot, nights=channel_nights(rows)))
