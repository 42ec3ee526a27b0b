"""Partner Gateway rules in plain Python: what a partner and a listing must look like, API keys,
delivery states, and how a reservation a partner pushes is read."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from servers.hotel.ids import PARTNER_ID
from servers.runtime.errors import Violations

PARTNER_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
PROTOCOLS = ("json_rest", "ota_xml")
DEFAULT_REQUESTS_PER_MINUTE = 60
DEFAULT_INBOUND_PER_MINUTE = 600
MAX_PER_MINUTE = 100_000

PENDING, RETRYING, DELIVERED, PARKED = "pending", "retrying", "delivered", "parked"
OPEN = (PENDING, RETRYING, PARKED)

_KEY_PREFIX = "hpk_"


@dataclass(frozen=True)
class NewPartner:
    partner_id: str
    name: str
    protocol: str
    endpoint_url: str
    requests_per_minute: int
    inbound_requests_per_minute: int


@dataclass(frozen=True)
class NewListing:
    partner_id: str
    hotel_id: str
    room_type_code: str
    property_code: str
    room_code: str
    active: bool


def new_api_key() -> str:
    return _KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(api_key: str) -> str:
    """Only this is stored: a leaked table does not let anyone call us as the partner."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def key_prefix(api_key: str) -> str:
    return api_key[: len(_KEY_PREFIX) + 6]


def validate_partner(p: NewPartner) -> None:
    v = Violations()
    v.check(bool(PARTNER_ID.fullmatch(p.partner_id)), "partner_id",
            "3 to 63 lower-case letters, digits and dashes, not starting or ending with a dash")
    v.check(0 < len(p.name.strip()) <= 200, "partner.name", "1 to 200 characters")
    v.check(p.protocol in PROTOCOLS, "partner.protocol", "JSON_REST or OTA_XML")
    url = urlsplit(p.endpoint_url)
    v.check(url.scheme in ("http", "https") and bool(url.hostname) and len(p.endpoint_url) <= 500,
            "partner.endpoint_url", "an http(s) URL of at most 500 characters")
    for name, value in (("requests_per_minute", p.requests_per_minute),
                        ("inbound_requests_per_minute", p.inbound_requests_per_minute)):
        v.check(1 <= value <= MAX_PER_MINUTE, f"partner.rate_limit.{name}", f"0 (the default) or 1 to {MAX_PER_MINUTE}")
    v.raise_if_any()


def check_listing(v: Violations, listing: NewListing) -> None:
    v.check(bool(PARTNER_ID.fullmatch(listing.partner_id)), "listing.partner_id", "a partner id")
    for name, value in (("partner_property_code", listing.property_code),
                        ("partner_room_code", listing.room_code)):
        v.check(bool(PARTNER_CODE.fullmatch(value)), f"listing.{name}",
                "1 to 100 letters, digits and _ . -")
