"""An error one of our own services answered, passed on by the service that called it."""

from __future__ import annotations

from clients.hotelagg import HotelaggError
from servers.runtime.errors import ApiError, Code


def relayed(error: HotelaggError, default_reason: str) -> ApiError:
    """Same code, reason, metadata and retry advice: the caller's caller sees what went wrong."""
    code = Code[error.code.name] if error.code.name in Code.__members__ else Code.INTERNAL
    return ApiError(code, error.reason or default_reason, error.message, dict(error.metadata),
                    retry_after_seconds=error.retry_after_seconds)
