"""Partner aggregators (sandbox/partner/PROTOCOL.md): outbound ARI clients and the inbound OTA
reservation codec.

Import from here: `from clients.partners import AriUpdate, partner_client, PartnerUnavailable`.
"""

from __future__ import annotations

from clients.breaker import AsyncCircuitBreaker
from clients.partners.base import (
    AriNight,
    AriUpdate,
    PartnerClient,
    PartnerRateLimited,
    PartnerRejected,
    PartnerUnavailable,
    Receipt,
    RoomAri,
)
from clients.partners.json_rest import JsonRestPartnerClient
from clients.partners.ota_common import OtaAnswer, OtaFormatError, OtaNotice, read_ota_answer
from clients.partners.ota_reservations import (
    ResNotif,
    ResStatus,
    build_res_notif_rq,
    parse_res_notif,
    res_notif_error,
    res_notif_success,
)
from clients.partners.ota_xml import OtaXmlPartnerClient

PROTOCOLS = {"json_rest": JsonRestPartnerClient, "ota_xml": OtaXmlPartnerClient}


def partner_client(protocol: str, endpoint_url: str, breaker: AsyncCircuitBreaker,
                   timeout: float = 5.0) -> PartnerClient:
    """The client for `protocol` ("json_rest" or "ota_xml"); one breaker per partner endpoint."""
    try:
        client_class = PROTOCOLS[protocol]
    except KeyError:
        raise ValueError(f"unknown partner protocol {protocol!r}; known: {', '.join(PROTOCOLS)}") from None
    return client_class(endpoint_url, breaker, timeout)


__all__ = [
    "AriNight",
    "AriUpdate",
    "JsonRestPartnerClient",
    "OtaAnswer",
    "OtaFormatError",
    "OtaNotice",
    "OtaXmlPartnerClient",
    "PROTOCOLS",
    "PartnerClient",
    "PartnerRateLimited",
    "PartnerRejected",
    "PartnerUnavailable",
    "Receipt",
    "ResNotif",
    "ResStatus",
    "RoomAri",
    "build_res_notif_rq",
    "parse_res_notif",
    "partner_client",
    "read_ota_answer",
    "res_notif_error",
    "res_notif_success",
]
