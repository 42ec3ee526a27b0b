"""Idempotency keys of applied ARI requests: a replay is answered from here and changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from ..common.idempotency import AnswerStore


@dataclass(frozen=True)
class Applied:
    stored_at: float
    nights: int


class AppliedKeys(AnswerStore[tuple[str, str], Applied]):
    """Keys are scoped by the protocol message, so an OTA avail and rates request never collide.

    Only applied requests are kept: a refused one changed nothing, so the same key again is judged
    afresh (and refused again if it is still wrong)."""

    def get(self, message: str, key: str) -> Applied | None:
        return self._answers.get((message, key))

    def put(self, message: str, key: str, nights: int) -> None:
        self._keep_first((message, key), Applied(self._clock(), nights))

    def clear(self) -> None:
        self._answers.clear()
