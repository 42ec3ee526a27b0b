"""The part of an idempotency-key store both sandboxes share: first answers kept, then forgotten."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, Protocol, TypeVar

KEEP_SECONDS = 24 * 3600  # as long as hotelagg keeps its own keys (ARCHITECTURE §5 rule 3)


class Stored(Protocol):
    stored_at: float


K = TypeVar("K", bound=Hashable)
A = TypeVar("A", bound=Stored)


class AnswerStore(Generic[K, A]):
    """Answers under keys, kept `keep_seconds`; a subclass says what a key is and when to store."""

    def __init__(self, clock: Callable[[], float] = time.time, keep_seconds: float = KEEP_SECONDS) -> None:
        self._clock = clock
        self._keep = keep_seconds
        # Insertion order is storage order, so pruning only ever looks at the front.
        self._answers: dict[K, A] = {}

    def _keep_first(self, key: K, answer: A) -> None:
        # setdefault: the first answer wins even if two producers ever raced.
        self._answers.setdefault(key, answer)

    def prune(self) -> int:
        cutoff = self._clock() - self._keep
        stale = []
        for key, answer in self._answers.items():
            if answer.stored_at >= cutoff:
                break
            stale.append(key)
        for key in stale:
            del self._answers[key]
        return len(stale)

    def __len__(self) -> int:
        return len(self._answers)
