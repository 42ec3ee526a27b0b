"""Who a caller is, from its metadata (servers/runtime/credentials.py); the API tests show it end to end."""

import pytest

from servers.runtime.credentials import SERVICE, STAFF, Credentials
from servers.runtime.errors import ApiError

TOKEN = "s" * 32
OPERATOR = "operator-token-0123456789"


def _credentials(service_token=TOKEN, development=False, secret="booking-secret-0123456789") -> Credentials:
    return Credentials(service_token, OPERATOR, secret, development)


def _refusal(credentials: Credentials, rule: str, metadata) -> tuple[str, str]:
    with pytest.raises(ApiError) as refused:
        credentials.check(rule, metadata)
    return refused.value.code.value, refused.value.reason


def test_the_one_machine_default_is_open_only_without_a_service_token():
    _credentials(service_token=None, development=True).check(SERVICE, ())
    assert _refusal(_credentials(development=True), SERVICE, ()) == ("UNAUTHENTICATED", "CREDENTIALS_REQUIRED")
    # Even open, a token that is not ours is refused rather than ignored.
    assert _refusal(_credentials(service_token=None, development=True), SERVICE,
                    (("x-service-token", "guess"),)) == ("UNAUTHENTICATED", "BAD_CREDENTIALS")


def test_rules():
    credentials = _credentials()
    credentials.check(SERVICE, (("x-service-token", TOKEN),))
    credentials.check(STAFF, (("x-service-token", TOKEN),))
    credentials.check(STAFF, (("authorization", f"Bearer {OPERATOR}"),))
    assert _refusal(credentials, SERVICE, (("authorization", f"Bearer {OPERATOR}"),)) == \
        ("PERMISSION_DENIED", "SERVICE_ONLY")
    assert _refusal(credentials, STAFF, (("x-booking-token", "anything"),)) == \
        ("UNAUTHENTICATED", "CREDENTIALS_REQUIRED")
    assert _refusal(credentials, STAFF, (("authorization", f"Basic {OPERATOR}"),)) == \
        ("UNAUTHENTICATED", "BAD_CREDENTIALS")


def test_a_booking_token_is_the_same_on_every_replica_and_only_for_its_booking():
    one, other_replica = _credentials(), _credentials()
    token = one.booking_token("b-1")
    assert other_replica.booking_token("b-1") == token != one.booking_token("b-2")
    assert _credentials(secret="another-secret-0123456789").booking_token("b-1") != token
    caller = one.caller((("x-booking-token", "wrong"), ("x-booking-token", token)))
    assert one.sees_guest(caller, "b-1") and not one.sees_guest(caller, "b-2")
