"""What a fake outside party is told to do wrong, and the calls it got.

A party can refuse the next calls of an operation (an answer: sold out, declined), time out after
doing them (the work is done, the answer lost: only asking again under the key tells), or be down
(nothing is sent, nothing done) until it comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from clients.errors import ServiceUnavailable


@dataclass(frozen=True)
class Call:
    operation: str
    key: str  # the idempotency key (or the id asked about)
    args: tuple = ()


@dataclass
class Faults:
    # How this party says it cannot answer (ChannelManagerUnavailable, PaymentUnavailable, ...).
    unavailable: Callable[[str, bool], Exception]
    calls: list[Call] = field(default_factory=list)
    down: bool = False
    # Shared by the parties of one test, to assert the order of calls across them: "party.operation".
    journal: list[str] | None = None
    party: str = ""
    _refusals: dict[str, list[Exception]] = field(default_factory=dict)
    _timeouts: dict[str, int] = field(default_factory=dict)

    def refuse(self, operation: str, error: Exception, times: int = 1) -> None:
        """The next `times` calls of operation are answered with error, and do nothing."""
        self._refusals.setdefault(operation, []).extend([error] * times)

    def time_out(self, operation: str, times: int = 1) -> None:
        """The next `times` calls of operation are done, but their answer never comes back."""
        self._timeouts[operation] = self._timeouts.get(operation, 0) + times

    def go_down(self) -> None:
        self.down = True

    def come_back(self) -> None:
        self.down = False

    def called(self, operation: str, key: str, *args: Any) -> None:
        """Records the call and raises what it was told to raise before the work."""
        self.calls.append(Call(operation, key, args))
        if self.journal is not None:
            self.journal.append(f"{self.party}.{operation}")
        if self.down:
            raise self.unavailable(f"{operation}: unreachable", False)
        planned = self._refusals.get(operation)
        if planned:
            raise planned.pop(0)

    def answered(self, operation: str) -> None:
        """Called once the work is done: raises if the answer is to be lost."""
        if self._timeouts.get(operation):
            self._timeouts[operation] -= 1
            raise self.unavailable(f"{operation}: timed out", True)

    def operations(self) -> list[str]:
        return [call.operation for call in self.calls]

    def keys(self, operation: str) -> list[str]:
        return [call.key for call in self.calls if call.operation == operation]


def unavailable(kind: type[ServiceUnavailable]) -> Callable[[str, bool], Exception]:
    return lambda message, maybe_done: kind(message, retry_after=1.0, maybe_done=maybe_done)
