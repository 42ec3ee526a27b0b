"""Idempotency keys: the first answer given under a key, replayed byte for byte for every retry.

A key is global (as at Stripe), and remembers which request it was first used for: the same key on
another request is the caller's bug and is refused, never answered with a different payment.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..common.idempotency import KEEP_SECONDS, AnswerStore
from .model import PaymentError


def fingerprint(method: str, path: str, body: dict) -> str:
    """What makes two requests the same: key order and whitespace in the JSON do not."""
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class StoredAnswer:
    fingerprint: str
    stored_at: float
    status: int
    body: bytes


class IdempotencyStore(AnswerStore[str, StoredAnswer]):
    def __init__(self, clock: Callable[[], float] = time.time, keep_seconds: float = KEEP_SECONDS) -> None:
        super().__init__(clock, keep_seconds)
        self._in_flight: dict[str, str] = {}  # key -> fingerprint, while a request under it awaits

    def replay(self, key: str, fingerprint: str) -> StoredAnswer | None:
        """The stored answer for this request, None for a first attempt, or a 409 for a misuse."""
        stored = self._answers.get(key)
        owner = stored.fingerprint if stored is not None else self._in_flight.get(key)
        if owner is not None and owner != fingerprint:
            raise PaymentError("idempotency_key_reused",
                               "this Idempotency-Key was used for a different request")
        if stored is None and owner is not None:
            raise PaymentError("idempotency_key_in_use",
                               "a request with this Idempotency-Key is still being processed")
        return stored

    def begin(self, key: str, fingerprint: str) -> None:
        self._in_flight[key] = fingerprint

    def finish(self, key: str, fingerprint: str, status: int, body: bytes | None) -> None:
        """Ends the attempt; `body` None stores nothing, so a retry is a first attempt again."""
        self._in_flight.pop(key, None)
        if body is not None:
            self._keep_first(key, StoredAnswer(fingerprint, self._clock(), status, body))
