"""The reasons only the partner gateway answers with, over gRPC and in its OTA XML answers."""

from __future__ import annotations

import enum


class PartnerReason(enum.StrEnum):
    PARTNER_NOT_FOUND = "PARTNER_NOT_FOUND"
    PARTNER_EXISTS = "PARTNER_EXISTS"
    LISTING_NOT_FOUND = "LISTING_NOT_FOUND"
    LISTING_EXISTS = "LISTING_EXISTS"
    LISTING_INACTIVE = "LISTING_INACTIVE"
    DELIVERY_NOT_FOUND = "DELIVERY_NOT_FOUND"
    DELIVERY_NOT_PARKED = "DELIVERY_NOT_PARKED"
    # who may call (auth.py)
    OPERATOR_ONLY = "OPERATOR_ONLY"
    PARTNER_ONLY = "PARTNER_ONLY"
    RATE_LIMITED = "RATE_LIMITED"
    # a reservation message's body (ota_http.py)
    BODY_TOO_LARGE = "BODY_TOO_LARGE"
    BODY_TOO_SLOW = "BODY_TOO_SLOW"
