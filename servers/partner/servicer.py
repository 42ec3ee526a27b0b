"""PartnerService: the partner gateway (built by issue 6)."""

from __future__ import annotations

from hotelagg.partner.v1 import partner_pb2_grpc

from servers.runtime.errors import not_built_yet


class PartnerServicer(partner_pb2_grpc.PartnerServiceServicer):
    CreatePartner = not_built_yet("CreatePartner")
    GetPartner = not_built_yet("GetPartner")
    ListPartners = not_built_yet("ListPartners")
    CreateListing = not_built_yet("CreateListing")
    ListListings = not_built_yet("ListListings")
    NotifyReservation = not_built_yet("NotifyReservation")
    ListDeliveries = not_built_yet("ListDeliveries")
    RetryDelivery = not_built_yet("RetryDelivery")
    SyncListing = not_built_yet("SyncListing")
