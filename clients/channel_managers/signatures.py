"""Webhook signatures: `X-CM-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.

Signing the timestamp with the body stops replays of an old, genuinely signed "room released"
event; the tolerance bounds how old (or, with a skewed sender clock, how far ahead) it may be.
"""

from __future__ import annotations

import hashlib
import hmac

DEFAULT_TOLERANCE_SECONDS = 300
_SHA256_HEX_LENGTH = 64
# Unix seconds fit in 12 digits for the next 30,000 years; a much longer t is no time anyone means,
# and int() of thousands of digits is slow and then refused (ValueError), before any secret is checked.
_MAX_T_DIGITS = 16


def sign(secret: str | bytes, raw_body: bytes, t: int) -> str:
    """The header value a channel manager sends with `raw_body` at unix time `t`."""
    return f"t={int(t)},v1={_digest(secret, str(int(t)), raw_body)}"


def verify_signature(
    secret: str | bytes,
    header: str | None,
    raw_body: bytes,
    now: float,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """True only for a well-formed header, within `tolerance` of `now`, whose v1 matches.

    Several v1 values are accepted (any may match) so a sender can roll its secret without a gap.
    """
    parsed = _parse(header)
    if parsed is None or not _in_time(parsed[0], now, tolerance):
        return False
    t_text, candidates = parsed
    expected = _digest(secret, t_text, raw_body)
    # Compare every candidate, in constant time each, so timing says nothing about which failed.
    matches = [hmac.compare_digest(expected, candidate) for candidate in candidates]
    return any(matches)


def header_in_time(header: str | None, now: float, tolerance: float = DEFAULT_TOLERANCE_SECONDS) -> bool:
    """Whether the header is well-formed and in time, which needs no body: a receiver checks this
    before it reads what an unknown sender sends, and the HMAC (verify_signature) once it has."""
    parsed = _parse(header)
    return parsed is not None and _in_time(parsed[0], now, tolerance)


def _in_time(t_text: str, now: float, tolerance: float) -> bool:
    return abs(now - int(t_text)) <= tolerance


def _parse(header: str | None) -> tuple[str, list[str]] | None:
    if not header or not isinstance(header, str):
        return None
    t_text: str | None = None
    candidates: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            return None
        if key == "t":
            if t_text is not None or not (value.isascii() and value.isdigit()) or len(value) > _MAX_T_DIGITS:
                return None
            t_text = value
        elif key == "v1":
            if len(value) != _SHA256_HEX_LENGTH or not _is_hex(value):
                return None
            candidates.append(value.lower())
        # other schemes (v0, v2...) are ignored: a newer sender may add them
    if t_text is None or not candidates:
        return None
    return t_text, candidates


def _is_hex(text: str) -> bool:
    return text.isascii() and all(char in "0123456789abcdefABCDEF" for char in text)


def _digest(secret: str | bytes, t_text: str, raw_body: bytes) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, t_text.encode() + b"." + raw_body, hashlib.sha256).hexdigest()
