"""Errors the API answers with, in plain Python so that domain modules can raise them.

Each error becomes one google.rpc.Status with one ErrorInfo (see runtime/status.py); the code
names are the canonical gRPC ones, the reason is UPPER_SNAKE and stable for clients to match on.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from servers.runtime.reasons import ApiReason


class Code(enum.Enum):
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    ABORTED = "ABORTED"
    UNAVAILABLE = "UNAVAILABLE"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNIMPLEMENTED = "UNIMPLEMENTED"
    INTERNAL = "INTERNAL"


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


@dataclass
class ApiError(Exception):
    code: Code
    # A member of a reason registry (servers/runtime/reasons.py, servers/hotel/reasons.py, a service's own);
    # one relayed from another of our services is the str it came as (runtime/upstream.py).
    reason: str
    message: str
    metadata: dict[str, str] = field(default_factory=dict)
    field_violations: list[FieldViolation] = field(default_factory=list)
    retry_after_seconds: float | None = None
    # RESOURCE_EXHAUSTED: (subject, description) of the quota that ran out, sent as QuotaFailure.
    quota_violation: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.code.value} {self.reason}: {self.message}"


def invalid(field_name: str, description: str) -> ApiError:
    return Violations().add(field_name, description).error()


def not_found(reason: str, what: str, **metadata: str) -> ApiError:
    return ApiError(Code.NOT_FOUND, reason, f"{what} not found", dict(metadata))


def already_exists(reason: str, what: str, **metadata: str) -> ApiError:
    return ApiError(Code.ALREADY_EXISTS, reason, f"{what} already exists", dict(metadata))


def failed_precondition(reason: str, message: str, **metadata: str) -> ApiError:
    return ApiError(Code.FAILED_PRECONDITION, reason, message, dict(metadata))


def aborted(reason: str, message: str, **metadata: str) -> ApiError:
    return ApiError(Code.ABORTED, reason, message, dict(metadata))


class Violations:
    """Collects every bad field of a request, so one answer names them all."""

    def __init__(self) -> None:
        self.items: list[FieldViolation] = []

    def add(self, field_name: str, description: str) -> Violations:
        self.items.append(FieldViolation(field_name, description))
        return self

    def check(self, ok: bool, field_name: str, description: str) -> bool:
        if not ok:
            self.add(field_name, description)
        return ok

    def error(self) -> ApiError:
        first = self.items[0]
        message = "; ".join(f"{v.field}: {v.description}" for v in self.items)
        return ApiError(
            Code.INVALID_ARGUMENT,
            ApiReason.INVALID_FIELD,
            message,
            {"field": first.field},
            list(self.items),
        )

    def raise_if_any(self) -> None:
        if self.items:
            raise self.error()


def require_uuid(value: str, field_name: str, what: str) -> None:
    """Ids we hand out are UUIDs: anything else is bad input, answered before any lookup."""
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        raise invalid(field_name, f"required: the {what}") from None
