"""The ids and codes every service reads the same way (a hotel id in a search is the one inventory keeps),
with the rule texts a refused field carries."""

from __future__ import annotations

import re

from servers.runtime.errors import Violations

HOTEL_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
ROOM_TYPE_CODE = re.compile(r"^[A-Z0-9_]{1,32}$")
COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")
# Channel managers and partners are named like hotels: lower-case, digits and dashes.
CHANNEL_MANAGER_ID = HOTEL_ID
PARTNER_ID = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")

HOTEL_ID_RULE = "3 to 63 lower-case letters, digits and dashes, not starting or ending with a dash"
ROOM_TYPE_CODE_RULE = "1 to 32 upper-case letters, digits and underscores, e.g. DBL"
CHANNEL_MANAGER_ID_RULE = "3 to 63 lower-case letters, digits and dashes"


def check_hotel_id(v: Violations, hotel_id: str, field: str = "hotel_id") -> bool:
    return v.check(bool(HOTEL_ID.fullmatch(hotel_id)), field, f"required: {HOTEL_ID_RULE}" if not hotel_id
                   else HOTEL_ID_RULE)


def check_room_type_code(v: Violations, code: str, field: str = "room_type_code") -> bool:
    return v.check(bool(ROOM_TYPE_CODE.fullmatch(code)), field, f"required: {ROOM_TYPE_CODE_RULE}" if not code
                   else ROOM_TYPE_CODE_RULE)
