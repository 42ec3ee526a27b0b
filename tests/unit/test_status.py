import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from servers.runtime.errors import ApiError, Code, Violations, aborted, not_found
from servers.runtime.status import internal_error, to_grpc_status, to_status_proto

DOMAIN = "hotelagg.inventory.v1"


def unpacked(status: status_pb2.Status, kind):
    found = []
    for detail in status.details:
        if detail.Is(kind.DESCRIPTOR):
            message = kind()
            detail.Unpack(message)
            found.append(message)
    return found


@pytest.mark.parametrize("code, number", [
    (Code.INVALID_ARGUMENT, 3), (Code.NOT_FOUND, 5), (Code.ALREADY_EXISTS, 6), (Code.FAILED_PRECONDITION, 9),
    (Code.ABORTED, 10), (Code.UNAVAILABLE, 14), (Code.RESOURCE_EXHAUSTED, 8), (Code.UNAUTHENTICATED, 16),
    (Code.UNIMPLEMENTED, 12), (Code.INTERNAL, 13),
])
def test_status_carries_the_canonical_code_number(code, number):
    status = to_status_proto(ApiError(code, "SOME_REASON", "what happened"), DOMAIN)
    assert status.code == number == grpc.StatusCode[code.name].value[0]
    assert status.message == "what happened"


def test_status_has_exactly_one_error_info_with_reason_domain_and_metadata():
    error = not_found("HOTEL_NOT_FOUND", "hotel paris-grand", hotel_id="paris-grand")
    status = to_status_proto(error, DOMAIN)
    [info] = unpacked(status, error_details_pb2.ErrorInfo)
    assert (info.reason, info.domain, dict(info.metadata)) == ("HOTEL_NOT_FOUND", DOMAIN, {"hotel_id": "paris-grand"})
    assert len(status.details) == 1


def test_field_violations_become_one_bad_request_in_order():
    error = Violations().add("hotel.name", "required").add("hotel.latitude", "between -90 and 90").error()
    status = to_status_proto(error, DOMAIN)
    [bad] = unpacked(status, error_details_pb2.BadRequest)
    assert [(v.field, v.description) for v in bad.field_violations] == [
        ("hotel.name", "required"), ("hotel.latitude", "between -90 and 90"),
    ]
    [info] = unpacked(status, error_details_pb2.ErrorInfo)
    assert (info.reason, dict(info.metadata)) == ("INVALID_FIELD", {"field": "hotel.name"})


def test_error_without_violations_or_retry_has_no_bad_request_or_retry_info():
    status = to_status_proto(aborted("ETAG_MISMATCH", "read again"), DOMAIN)
    assert unpacked(status, error_details_pb2.BadRequest) == []
    assert unpacked(status, error_details_pb2.RetryInfo) == []


@pytest.mark.parametrize("seconds, expected", [(1.5, (1, 500_000_000)), (30, (30, 0)), (0.25, (0, 250_000_000)),
                                               (0, (0, 0)), (-3, (0, 0))])
def test_retry_after_becomes_retry_info_delay(seconds, expected):
    error = ApiError(Code.UNAVAILABLE, "CHANNEL_MANAGER_UNAVAILABLE", "try later", retry_after_seconds=seconds)
    [retry] = unpacked(to_status_proto(error, DOMAIN), error_details_pb2.RetryInfo)
    assert (retry.retry_delay.seconds, retry.retry_delay.nanos) == expected


def test_grpc_status_has_code_message_and_the_status_in_trailing_metadata():
    error = ApiError(Code.FAILED_PRECONDITION, "SOLD_OUT", "no room left", {"night": "2026-06-01"},
                     retry_after_seconds=2)
    status = to_grpc_status(error, DOMAIN)
    assert status.code is grpc.StatusCode.FAILED_PRECONDITION
    assert status.details == "no room left"
    raw = dict(status.trailing_metadata)["grpc-status-details-bin"]
    assert status_pb2.Status.FromString(raw) == to_status_proto(error, DOMAIN)


def test_internal_error_hides_what_went_wrong():
    error = internal_error()
    assert (error.code, error.reason) == (Code.INTERNAL, "INTERNAL")
    assert "request id" in error.message
    [info] = unpacked(to_status_proto(error, DOMAIN), error_details_pb2.ErrorInfo)
    assert dict(info.metadata) == {}
