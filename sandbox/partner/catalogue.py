"""What the partner lists, when it was started with `--properties`: other codes are refused (404).

Without a list any code is accepted, so a sandbox can take whatever listings hotelagg creates.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from .model import PartnerError
from .validation import CODE


class Catalogue:
    def __init__(self, properties: dict[str, frozenset[str]] | None = None) -> None:
        self.properties = properties

    def check(self, property_code: str, room_codes: Iterable[str] = ()) -> None:
        if self.properties is None:
            return
        rooms = self.properties.get(property_code)
        if rooms is None:
            raise PartnerError("UNKNOWN_PROPERTY", f"this partner does not list property {property_code}",
                               property_code=property_code)
        for room_code in room_codes:
            if room_code not in rooms:
                raise PartnerError("UNKNOWN_ROOM", f"property {property_code} has no room {room_code}",
                                   property_code=property_code, room_code=room_code)


def parse_properties(text: str) -> dict[str, frozenset[str]]:
    """`PROP1:DBL,TWN;PROP2:STD` → {"PROP1": {"DBL", "TWN"}, "PROP2": {"STD"}} (the --properties flag)."""
    properties: dict[str, frozenset[str]] = {}
    for entry in filter(None, (part.strip() for part in text.split(";"))):
        code, sep, rooms = entry.partition(":")
        room_codes = frozenset(filter(None, (r.strip() for r in rooms.split(","))))
        if not sep or not CODE.match(code.strip()) or not room_codes \
                or not all(CODE.match(r) for r in room_codes):
            raise argparse.ArgumentTypeError(f"{entry!r} is not PROPERTY:ROOM[,ROOM...]")
        if code.strip() in properties:
            raise argparse.ArgumentTypeError(f"property {code.strip()} is listed twice")
        properties[code.strip()] = room_codes
    if not properties:
        raise argparse.ArgumentTypeError("no property given")
    return properties
