"""The reasons only inventory answers with; those its callers read back are in servers/hotel/reasons.py."""

from __future__ import annotations

import enum


class InventoryReason(enum.StrEnum):
    HOTEL_NOT_FOUND = "HOTEL_NOT_FOUND"
    HOTEL_EXISTS = "HOTEL_EXISTS"
    ROOM_TYPE_EXISTS = "ROOM_TYPE_EXISTS"
    # setting ARI
    CHANNEL_MANAGED_HOTEL = "CHANNEL_MANAGED_HOTEL"
    NOT_CHANNEL_MANAGED = "NOT_CHANNEL_MANAGED"
    ROOMS_IN_USE = "ROOMS_IN_USE"
    RESTRICTION_CONFLICT = "RESTRICTION_CONFLICT"
    # bookings partners sell (flows/partner_sales.py)
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    NO_INVENTORY = "NO_INVENTORY"
    OVERBOOKING_LIMIT_EXCEEDED = "OVERBOOKING_LIMIT_EXCEEDED"
    RESERVATION_HOTEL_CHANGED = "RESERVATION_HOTEL_CHANGED"
    RESERVATION_IN_PROGRESS = "RESERVATION_IN_PROGRESS"
    # WatchInventory
    SUBSCRIBER_TOO_SLOW = "SUBSCRIBER_TOO_SLOW"
