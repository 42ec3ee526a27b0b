"""The reasons that cross a service boundary: what inventory answers about a stay and its holds, and what
booking and partner read back over gRPC (and answer in turn, as for a channel manager's sold-out).

They live here, once, so that inventory's answer and its readers' matches are the same member; no service
registry declares them again. A reason from the wire is a str (clients/hotelagg's HotelaggError): `parse`
it once where it arrives, then match by member.
"""

from __future__ import annotations

import enum

from servers.runtime import reasons


class HotelReason(enum.StrEnum):
    SOLD_OUT = "SOLD_OUT"
    RESTRICTED = "RESTRICTED"
    ROOM_TYPE_NOT_FOUND = "ROOM_TYPE_NOT_FOUND"
    HOTEL_NOT_DIRECT = "HOTEL_NOT_DIRECT"
    # a hold's answers to whoever holds it
    HOLD_NOT_FOUND = "HOLD_NOT_FOUND"
    HOLD_EXPIRED = "HOLD_EXPIRED"
    HOLD_RELEASED = "HOLD_RELEASED"
    HOLD_COMMITTED = "HOLD_COMMITTED"
    HOLD_CHANGED = "HOLD_CHANGED"
    # inventory failed and said no reason: what its caller passes on
    INVENTORY_ERROR = "INVENTORY_ERROR"


# The hold is gone before it was committed: the booking it was for cannot be confirmed on it.
HOLD_LAPSED = frozenset({HotelReason.HOLD_EXPIRED, HotelReason.HOLD_RELEASED})


def parse(reason: str) -> HotelReason | str:
    return reasons.parse(HotelReason, reason)
