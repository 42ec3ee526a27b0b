"""Request bodies, checked field by field: every refusal names the field (400 bad_request)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .cards import CARDS, TestCard
from .model import bad_request

CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_AMOUNT_MINOR = 10**12
MAX_DESCRIPTION = 500


@dataclass(frozen=True)
class AuthorizeRequest:
    card: TestCard
    amount_minor: int
    currency: str
    description: str = ""


def parse_json(raw: bytes) -> dict:
    """An empty body is `{}`, so void (which takes no body) may be sent with or without one."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("body", "must be a JSON object") from None
    if not isinstance(body, dict):
        raise bad_request("body", "must be a JSON object")
    return body


def reject_unknown(body: dict, known: Iterable[str]) -> None:
    unknown = sorted(set(body) - set(known))
    if unknown:
        raise bad_request(unknown[0], "is not a known field")


def amount(body: dict, required: bool) -> int | None:
    value = body.get("amount_minor")
    if value is None and not required:
        return None
    # bool is an int in Python; `true` is never an amount.
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_AMOUNT_MINOR:
        raise bad_request("amount_minor", f"must be an integer in [1, {MAX_AMOUNT_MINOR}]")
    return value


def parse_authorize(body: dict) -> AuthorizeRequest:
    reject_unknown(body, ("token", "amount_minor", "currency", "description"))
    token = body.get("token")
    if not isinstance(token, str) or token not in CARDS:
        raise bad_request("token", f"unknown test card token; use one of {', '.join(CARDS)}")
    currency = body.get("currency")
    if not isinstance(currency, str) or not CURRENCY.match(currency):
        raise bad_request("currency", "must be an ISO 4217 code such as EUR")
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise bad_request("description", f"must be a string of at most {MAX_DESCRIPTION} characters")
    return AuthorizeRequest(CARDS[token], amount(body, required=True), currency, description)


def parse_amount_only(body: dict) -> int | None:
    """Capture and refund bodies: an optional amount, defaulting to all of it."""
    reject_unknown(body, ("amount_minor",))
    return amount(body, required=False)


def parse_empty(body: dict) -> None:
    reject_unknown(body, ())
