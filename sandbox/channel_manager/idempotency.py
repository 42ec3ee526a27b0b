"""Idempotency keys: the first answer given under a key, replayed byte for byte for every retry."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

KEEP_SECONDS = 24 * 3600  # as long as hotelagg keeps its own keys (ARCHITECTURE §5 rule 3)


@dataclass(frozen=True)
class StoredAnswer:
    stored_at: float
    status: int
    body: bytes


class IdempotencyStore:
    """Keys are scoped by the operation (method and path) so one key may serve reserve and confirm."""

    def __init__(self, clock: Callable[[], float] = time.time, keep_seconds: float = KEEP_SECONDS) -> None:
        self._clock = clock
        self._keep = keep_seconds
        # Insertion order is storage order, so pruning only ever looks at the front.
        self._answers: dict[tuple[str, str], StoredAnswer] = {}

    def get(self, scope: str, key: str) -> StoredAnswer | None:
        return self._answers.get((scope, key))

    def put(self, scope: str, key: str, status: int, body: bytes) -> None:
        # setdefault: the first answer wins even if a caller ever races two producers.
        self._answers.setdefault((scope, key), StoredAnswer(self._clock(), status, body))

    def prune(self) -> int:
        cutoff = self._clock() - self._keep
        stale = []
        for k, answer in self._answers.items():
            if answer.stored_at >= cutoff:
                break
            stale.append(k)
        for k in stale:
            del self._answers[k]
        return len(stale)

    def __len__(self) -> int:
        return len(self._answers)
