"""Channel-manager clients: typed ARI, reservations and change events, webhook signatures.

Import from here: `from clients.channel_managers import HttpChannelManagerClient, SoldOut, parse_event`.
"""

from clients.channel_managers.base import (
    ChangeBatch,
    ChannelEvent,
    ChannelManagerClient,
    ChannelManagerError,
    ChannelManagerUnavailable,
    Delta,
    HoldExpired,
    HotelAri,
    Night,
    NotFound,
    Reservation,
    ReservationStatus,
    Restricted,
    Restrictions,
    RoomTypeAri,
    Snapshot,
    SoldOut,
)
from clients.channel_managers.http import HttpChannelManagerClient
from clients.channel_managers.parsing import MalformedAnswer, parse_change_batch, parse_event
from clients.channel_managers.signatures import header_in_time, sign, verify_signature

__all__ = [
    "ChangeBatch",
    "ChannelEvent",
    "ChannelManagerClient",
    "ChannelManagerError",
    "ChannelManagerUnavailable",
    "Delta",
    "HoldExpired",
    "HotelAri",
    "HttpChannelManagerClient",
    "MalformedAnswer",
    "Night",
    "NotFound",
    "Reservation",
    "ReservationStatus",
    "Restricted",
    "Restrictions",
    "RoomTypeAri",
    "Snapshot",
    "SoldOut",
    "header_in_time",
    "parse_change_batch",
    "parse_event",
    "sign",
    "verify_signature",
]
