"""Who is calling: one of our own services, an operator, the owner of a booking, or anyone.

Our services send the shared service token as `x-service-token`; operators send
`authorization: Bearer <operator token>`; a booking's owner sends the access token CreateBooking returned
as `x-booking-token` (repeatable, one per booking). The access token is an HMAC of the booking id, so
nothing is stored and every replica that shares the secret can check it.

In the development mode without a service token (one machine, every secret a public default), the
RPCs meant for our own services and a booking's actions are open: there is nothing to keep secret there,
and `make run` must work with nothing configured. Guests' names, emails and phones are shown only to
their booking's owner, operators and our services, in every mode.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from servers.runtime.config import Settings
from servers.runtime.errors import ApiError, Code
from servers.runtime.reasons import ApiReason

SERVICE_TOKEN_HEADER = "x-service-token"
BOOKING_TOKEN_HEADER = "x-booking-token"

# What a guarded RPC needs.
SERVICE = "service"  # our own services only
STAFF = "staff"  # an operator or one of our services


@dataclass(frozen=True)
class Caller:
    service: bool = False
    operator: bool = False
    booking_tokens: tuple[str, ...] = ()

    @property
    def anonymous(self) -> bool:
        return not (self.service or self.operator or self.booking_tokens)


def _unauthenticated(reason: str, message: str) -> ApiError:
    return ApiError(Code.UNAUTHENTICATED, reason, message)


def _denied(reason: str, message: str, **metadata: str) -> ApiError:
    return ApiError(Code.PERMISSION_DENIED, reason, message, dict(metadata))


def _same(presented: str, expected: bytes | None) -> bool:
    return expected is not None and hmac.compare_digest(presented.encode(), expected)


class Credentials:
    def __init__(self, service_token: str | None, operator_token: str, booking_token_secret: str,
                 development: bool) -> None:
        self._service_token = service_token.encode() if service_token else None
        self._operator_token = operator_token.encode()
        self._booking_secret = booking_token_secret.encode()
        # The one-machine default: our services' RPCs need no credentials (see the module's docstring).
        self.open = development and service_token is None

    @classmethod
    def from_settings(cls, settings: Settings) -> Credentials:
        return cls(settings.service_token, settings.operator_token, settings.booking_token_secret,
                   settings.is_development)

    def caller(self, metadata: Iterable[tuple[str, str | bytes]] | None) -> Caller:
        """The credentials sent; a service or operator token that is not ours is refused (BAD_CREDENTIALS)."""
        service = operator = False
        tokens: list[str] = []
        for key, value in metadata or ():
            if not isinstance(value, str):
                continue
            key = key.lower()
            if key == SERVICE_TOKEN_HEADER:
                if not _same(value.strip(), self._service_token):
                    raise _unauthenticated(ApiReason.BAD_CREDENTIALS, "the service token is not valid")
                service = True
            elif key == "authorization":
                scheme, _, token = value.partition(" ")
                if scheme.lower() != "bearer" or not _same(token.strip(), self._operator_token):
                    raise _unauthenticated(ApiReason.BAD_CREDENTIALS, "the operator token is not valid")
                operator = True
            elif key == BOOKING_TOKEN_HEADER:
                tokens.append(value.strip())
        return Caller(service, operator, tuple(tokens))

    def check(self, rule: str, metadata) -> None:
        """Raises unless the caller may call an RPC guarded by `rule` (SERVICE or STAFF)."""
        caller = self.caller(metadata)
        if caller.service or self.open:
            return
        if rule == STAFF and caller.operator:
            return
        if caller.anonymous or not (caller.service or caller.operator):
            needed = "x-service-token" if rule == SERVICE else "authorization: Bearer <operator token>"
            raise _unauthenticated(ApiReason.CREDENTIALS_REQUIRED, f"this call needs credentials: send {needed}")
        raise _denied(ApiReason.SERVICE_ONLY, "this call is made by our own services, with the service token")

    def booking_token(self, booking_id: str) -> str:
        digest = hmac.new(self._booking_secret, b"booking-access:" + booking_id.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def owns(self, caller: Caller, booking_id: str) -> bool:
        expected = self.booking_token(booking_id).encode()
        return any(hmac.compare_digest(token.encode(), expected) for token in caller.booking_tokens)

    def sees_guest(self, caller: Caller, booking_id: str) -> bool:
        return caller.service or caller.operator or self.owns(caller, booking_id)

    def require_booking_access(self, caller: Caller, booking_id: str) -> None:
        """Confirming or cancelling: the owner, an operator or a service (anyone in the open mode)."""
        if self.open or self.sees_guest(caller, booking_id):
            return
        if caller.anonymous:
            raise _unauthenticated(ApiReason.CREDENTIALS_REQUIRED,
                                   "send the booking's access token (x-booking-token) that CreateBooking returned")
        raise _denied(ApiReason.NOT_BOOKING_OWNER, "these credentials are not this booking's", booking_id=booking_id)
