"""gRPC errors of our services, decoded: the canonical code and the ErrorInfo reason and metadata."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import grpc
from google.rpc import error_details_pb2, status_pb2

T = TypeVar("T")


class HotelaggError(Exception):
    def __init__(self, code: grpc.StatusCode, reason: str, message: str, metadata: dict[str, str],
                 retry_after_seconds: float | None = None) -> None:
        super().__init__(f"{code.name} {reason}: {message}")
        self.code = code
        self.reason = reason
        self.message = message
        self.metadata = metadata
        self.retry_after_seconds = retry_after_seconds

    @classmethod
    def from_rpc_error(cls, error: grpc.aio.AioRpcError) -> HotelaggError:
        raw = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
        reason, metadata, retry_after = "", {}, None
        if raw:
            for detail in status_pb2.Status.FromString(raw).details:
                if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                    info = error_details_pb2.ErrorInfo()
                    detail.Unpack(info)
                    reason, metadata = info.reason, dict(info.metadata)
                elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                    retry = error_details_pb2.RetryInfo()
                    detail.Unpack(retry)
                    retry_after = retry.retry_delay.ToTimedelta().total_seconds()
        return cls(error.code(), reason, error.details() or "", metadata, retry_after)


async def decoded(call: Awaitable[T]) -> T:
    try:
        return await call
    except grpc.aio.AioRpcError as error:
        raise HotelaggError.from_rpc_error(error) from None
