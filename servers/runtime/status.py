"""ApiError → google.rpc.Status with ErrorInfo (and BadRequest / RetryInfo), per ARCHITECTURE §7."""

from __future__ import annotations

import collections

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from servers.runtime.errors import ApiError, Code
from servers.runtime.reasons import ApiReason


def to_status_proto(error: ApiError, domain: str) -> status_pb2.Status:
    details = [
        error_details_pb2.ErrorInfo(reason=error.reason, domain=domain, metadata=error.metadata)
    ]
    if error.field_violations:
        details.append(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                    for v in error.field_violations
                ]
            )
        )
    if error.quota_violation is not None:
        subject, description = error.quota_violation
        details.append(error_details_pb2.QuotaFailure(
            violations=[error_details_pb2.QuotaFailure.Violation(subject=subject, description=description)]))
    if error.retry_after_seconds is not None:
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(round(max(error.retry_after_seconds, 0.0) * 1e9))
        details.append(error_details_pb2.RetryInfo(retry_delay=delay))
    packed = []
    for detail in details:
        any_detail = any_pb2.Any()
        any_detail.Pack(detail)
        packed.append(any_detail)
    return status_pb2.Status(
        code=code_pb2.Code.Value(error.code.value), message=error.message, details=packed
    )


class _Status(collections.namedtuple("_Status", ("code", "details", "trailing_metadata")), grpc.Status):
    pass


def to_grpc_status(error: ApiError, domain: str, metadata: tuple[tuple[str, str], ...] = ()) -> grpc.Status:
    """The status to abort with: google.rpc.Status in grpc-status-details-bin, plus `metadata`."""
    status = rpc_status.to_status(to_status_proto(error, domain))
    return _Status(status.code, status.details, (*status.trailing_metadata, *metadata))


def internal_error() -> ApiError:
    # Never leak what went wrong: the log has it under the request id.
    return ApiError(Code.INTERNAL, ApiReason.INTERNAL, "internal error; see the server log for this request id")
