"""Opaque, tamper-evident page tokens: the position and the filters they belong to, HMAC-signed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from servers.runtime.errors import invalid

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50


def page_size(requested: int, default: int = DEFAULT_PAGE_SIZE, maximum: int = MAX_PAGE_SIZE) -> int:
    if requested < 0 or requested > maximum:
        raise invalid("page_size", f"must be between 0 and {maximum}")
    return requested or default


class PageTokens:
    def __init__(self, secret: str) -> None:
        self._key = secret.encode()

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()[:16]

    def issue(self, kind: str, filters: dict[str, Any], position: Any) -> str:
        body = json.dumps({"k": kind, "f": filters, "p": position}, separators=(",", ":"), sort_keys=True)
        raw = body.encode()
        return base64.urlsafe_b64encode(self._sign(raw) + raw).decode().rstrip("=")

    def read(self, token: str, kind: str, filters: dict[str, Any], shape: type | tuple[type, ...] | None = None) -> Any:
        """The position a token stands for; None for an empty token.

        `shape`: the position's type, or (a tuple) the types of its items, in order. The signature proves who
        issued a token only while the secret stays secret (a default one is in the source), so a reader that
        compares positions says what it compares and gets nothing else.
        """
        if not token:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            signature, body = raw[:16], raw[16:]
            if not hmac.compare_digest(signature, self._sign(body)):
                raise ValueError("bad signature")
            data = json.loads(body)
        except ValueError:
            raise invalid("page_token", "not a page token this server issued") from None
        if not isinstance(data, dict) or (shape is not None and not _has_shape(data.get("p"), shape)):
            raise invalid("page_token", "not a page token this server issued")
        if data.get("k") != kind or data.get("f") != json.loads(json.dumps(filters)):
            raise invalid("page_token", "belongs to another query; keep the filters of the first page")
        return data.get("p")


    def read_newest_first(self, token: str, kind: str, filters: dict[str, Any]) -> tuple[datetime, str] | None:
        """The (created_at, id) of the last row of a newest-first page; None for an empty token."""
        position = self.read(token, kind, filters, (str, str))
        if position is None:
            return None
        try:
            created = datetime.fromisoformat(position[0])
        except ValueError:
            raise invalid("page_token", "not a page token this server issued") from None
        if created.tzinfo is None:  # ours always carry their offset; comparing naive with aware fails
            raise invalid("page_token", "not a page token this server issued")
        return created, position[1]


def _has_shape(position: Any, shape: type | tuple[type, ...]) -> bool:
    if isinstance(shape, type):
        return _is(position, shape)
    if not isinstance(position, list) or len(position) != len(shape):
        return False
    return all(_is(item, kind) for item, kind in zip(position, shape, strict=True))


def _is(value: Any, kind: type) -> bool:
    # bool is an int in Python, and JSON's true is no price or count.
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))
