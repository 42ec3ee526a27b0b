"""Idempotency keys: the first answer given under a key, replayed byte for byte for every retry."""

from __future__ import annotations

from dataclasses import dataclass

from ..common.idempotency import AnswerStore


@dataclass(frozen=True)
class StoredAnswer:
    stored_at: float
    status: int
    body: bytes


class IdempotencyStore(AnswerStore[tuple[str, str], StoredAnswer]):
    """Keys are scoped by the operation (method and path) so one key may serve reserve and confirm."""

    def get(self, scope: str, key: str) -> StoredAnswer | None:
        return self._answers.get((scope, key))

    def put(self, scope: str, key: str, status: int, body: bytes) -> None:
        self._keep_first((scope, key), StoredAnswer(self._clock(), status, body))
