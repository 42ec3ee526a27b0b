"""PartnerService over gRPC: who is calling, proto in, a store or delivery call, proto out."""

from __future__ import annotations

import uuid
from datetime import timedelta

from hotelagg.partner.v1 import partner_pb2 as pb
from hotelagg.partner.v1 import partner_pb2_grpc

from servers.hotel import ids
from servers.messaging.bus import Bus
from servers.partner import deliveries, domain, mapping, outbound, store
from servers.partner.auth import Gate
from servers.partner.reasons import PartnerReason
from servers.partner.reservations import Reservations
from servers.runtime.clock import SYSTEM_CLOCK, Clock
from servers.runtime.errors import Violations, failed_precondition, require_uuid
from servers.runtime.paging import PageTokens, page_size
from servers.runtime.protos import read_date
from servers.storage.database import Database, UnitOfWork
from servers.storage.idempotency import Idempotency

SCOPE = "hotelagg.partner.v1.PartnerService/"
# What a new listing (and SyncListing by default) pushes: the year ahead.
FULL_SYNC_NIGHTS = 365
MAX_SYNC_NIGHTS = 366


class PartnerServicer(partner_pb2_grpc.PartnerServiceServicer):
    def __init__(self, db: Database, idempotency: Idempotency, page_tokens: PageTokens, gate: Gate,
                 reservations: Reservations, bus: Bus | None = None, clock: Clock = SYSTEM_CLOCK) -> None:
        self.db, self.idempotency, self.page_tokens, self.clock = db, idempotency, page_tokens, clock
        # The bus sending partner deliveries when this process runs it (started later, with the jobs).
        self.gate, self.reservations, self.bus = gate, reservations, bus

    async def _caller(self, context):
        return await self.gate.caller(context.invocation_metadata() or ())

    async def CreatePartner(self, request: pb.CreatePartnerRequest, context) -> pb.CreatePartnerResponse:
        (await self._caller(context)).require_operator()
        partner = mapping.new_partner(request, request.partner_id or f"p-{uuid.uuid4().hex[:12]}")
        domain.validate_partner(partner)
        issued: list[str] = []

        async def work(uow: UnitOfWork) -> pb.CreatePartnerResponse:
            api_key = domain.new_api_key()
            row = await store.create_partner(uow, partner, domain.key_hash(api_key), domain.key_prefix(api_key),
                                             self.clock.now())
            issued.append(api_key)
            # Stored without the key: only its hash is kept anywhere, so a replay cannot show it again.
            return pb.CreatePartnerResponse(partner=mapping.partner_proto(row))

        response = await self.idempotency.run(SCOPE + "CreatePartner", request, pb.CreatePartnerResponse, work)
        if issued:
            response.api_key = issued[0]
        return response

    async def GetPartner(self, request: pb.GetPartnerRequest, context) -> pb.GetPartnerResponse:
        caller = await self._caller(context)
        _check_partner_id(request.partner_id)
        caller.scope(request.partner_id, "partner", partner_id=request.partner_id)
        async with self.db.reading() as conn:
            row = await store.get_partner(conn, request.partner_id)
        return pb.GetPartnerResponse(partner=mapping.partner_proto(row))

    async def ListPartners(self, request: pb.ListPartnersRequest, context) -> pb.ListPartnersResponse:
        caller = await self._caller(context)
        limit = page_size(request.page_size)
        only = None if caller.is_operator else caller.partner.id
        after = self.page_tokens.read(request.page_token, "partners", {"only": only}, str)  # the last id
        async with self.db.reading() as conn:
            rows = await store.list_partners(conn, after, limit + 1, only)
        token = self._next(rows, limit, "partners", {"only": only}, lambda r: r.id)
        return pb.ListPartnersResponse(partners=[mapping.partner_proto(r) for r in rows[:limit]],
                                       next_page_token=token)

    async def CreateListing(self, request: pb.CreateListingRequest, context) -> pb.CreateListingResponse:
        (await self._caller(context)).require_operator()
        listing = mapping.new_listing(request)
        v = Violations()
        domain.check_listing(v, listing)
        v.check(bool(listing.hotel_id), "listing.hotel_id", "required")
        v.check(bool(listing.room_type_code), "listing.room_type_code", "required")
        v.raise_if_any()

        async def work(uow: UnitOfWork) -> pb.CreateListingResponse:
            now = self.clock.now()
            row = await store.create_listing(uow, listing, now)
            if row.active:  # a partner knows nothing of the room until it has the year ahead
                await self._push_window(uow, row.partner_id, row.hotel_id, now.date(),
                                        now.date() + timedelta(days=FULL_SYNC_NIGHTS), now)
            return pb.CreateListingResponse(listing=mapping.listing_proto(row))

        return await self.idempotency.run(SCOPE + "CreateListing", request, pb.CreateListingResponse, work)

    async def ListListings(self, request: pb.ListListingsRequest, context) -> pb.ListListingsResponse:
        caller = await self._caller(context)
        if request.partner_id:
            _check_partner_id(request.partner_id)
        caller.scope(request.partner_id, "partner", partner_id=request.partner_id)
        partner_id = request.partner_id or (None if caller.is_operator else caller.partner.id)
        limit = page_size(request.page_size)
        filters = {"partner": partner_id, "hotel": request.hotel_id}
        after = self.page_tokens.read(request.page_token, "listings", filters, str)  # the last id
        async with self.db.reading() as conn:
            rows = await store.list_listings(conn, partner_id, request.hotel_id or None, after, limit + 1)
        token = self._next(rows, limit, "listings", filters, lambda r: r.id)
        return pb.ListListingsResponse(listings=[mapping.listing_proto(r) for r in rows[:limit]],
                                       next_page_token=token)

    async def NotifyReservation(self, request: pb.NotifyReservationRequest, context) -> pb.NotifyReservationResponse:
        partner = (await self._caller(context)).require_partner()
        return await self.reservations.notify(partner, request)

    async def ListDeliveries(self, request: pb.ListDeliveriesRequest, context) -> pb.ListDeliveriesResponse:
        caller = await self._caller(context)
        v = Violations()
        if request.partner_id:
            v.check(bool(ids.PARTNER_ID.fullmatch(request.partner_id)), "partner_id", "a partner id")
        for i, status in enumerate(request.statuses):
            v.check(status in mapping.STATUS_NAMES, f"statuses[{i}]", "a delivery status other than UNSPECIFIED")
        v.raise_if_any()
        caller.scope(request.partner_id, "partner", partner_id=request.partner_id)
        partner_id = request.partner_id or (None if caller.is_operator else caller.partner.id)
        statuses = sorted(mapping.STATUS_NAMES[s] for s in request.statuses)
        limit = page_size(request.page_size)
        filters = {"partner": partner_id, "statuses": statuses}
        after = self.page_tokens.read_newest_first(request.page_token, "deliveries", filters)
        async with self.db.reading() as conn:
            rows = await deliveries.list_deliveries(conn, partner_id, statuses, after, limit + 1)
        token = self._next(rows, limit, "deliveries", filters, lambda r: [r.created_at.isoformat(), r.id])
        return pb.ListDeliveriesResponse(deliveries=[mapping.delivery_proto(r) for r in rows[:limit]],
                                         next_page_token=token)

    async def RetryDelivery(self, request: pb.RetryDeliveryRequest, context) -> pb.RetryDeliveryResponse:
        (await self._caller(context)).require_operator()
        require_uuid(request.delivery_id, "delivery_id", "delivery id ListDeliveries returned")

        async def work(uow: UnitOfWork) -> pb.RetryDeliveryResponse:
            now = self.clock.now()
            row = await deliveries.get(uow.connection, request.delivery_id)
            if await deliveries.rearm(uow, row.id, now) is None:
                raise failed_precondition(PartnerReason.DELIVERY_NOT_PARKED,
                                          f"delivery {row.id} is {row.status}; only a "
                                          "parked delivery is sent again by hand", status=row.status)
            await outbound.announce(uow, self.bus, row.id, row.partner_id, row.hotel_id)
            again = await deliveries.get(uow.connection, row.id)
            return pb.RetryDeliveryResponse(delivery=mapping.delivery_proto(again))

        return await self.idempotency.run(SCOPE + "RetryDelivery", request, pb.RetryDeliveryResponse, work)

    async def SyncListing(self, request: pb.SyncListingRequest, context) -> pb.SyncListingResponse:
        caller = await self._caller(context)
        require_uuid(request.listing_id, "listing_id", "listing id CreateListing returned")
        start, end = _sync_window(request, self.clock.now().date())

        async def work(uow: UnitOfWork) -> pb.SyncListingResponse:
            listing = await store.get_listing(uow.connection, request.listing_id)
            caller.scope(listing.partner_id, "listing", listing_id=request.listing_id)
            if not listing.active:
                raise failed_precondition(PartnerReason.LISTING_INACTIVE, f"listing {listing.id} is not active")
            await self._push_window(uow, listing.partner_id, listing.hotel_id, start, end, self.clock.now())
            row = await deliveries.open_for(uow.connection, listing.partner_id, listing.hotel_id)
            assert row is not None  # _push_window opened it (or widened the open one) in this unit of work
            return pb.SyncListingResponse(delivery=mapping.delivery_proto(row))

        scope = SCOPE + "SyncListing" + ("" if caller.is_operator else f"/{caller.partner.id}")
        return await self.idempotency.run(scope, request, pb.SyncListingResponse, work)

    async def _push_window(self, uow: UnitOfWork, partner_id: str, hotel_id: str, start, end, now) -> None:
        for delivery_id, _ in await deliveries.merge_change(uow, [partner_id], hotel_id, start, end, 0, now):
            await outbound.announce(uow, self.bus, delivery_id, partner_id, hotel_id)

    def _next(self, rows, limit: int, kind: str, filters: dict, position) -> str:
        return self.page_tokens.issue(kind, filters, position(rows[limit - 1])) if len(rows) > limit else ""


def _check_partner_id(partner_id: str) -> None:
    v = Violations()
    v.check(bool(ids.PARTNER_ID.fullmatch(partner_id)), "partner_id", "required: a partner id")
    v.raise_if_any()


def _sync_window(request: pb.SyncListingRequest, today):
    v = Violations()
    has_start, has_end = request.HasField("start_date"), request.HasField("end_date")
    start = read_date(v, request.start_date, "start_date") if has_start else today
    end = read_date(v, request.end_date, "end_date") if has_end else (start or today) + timedelta(days=FULL_SYNC_NIGHTS)
    if start and end:
        v.check(start < end, "end_date", "must be after start_date")
        v.check((end - start).days <= MAX_SYNC_NIGHTS, "end_date", f"at most {MAX_SYNC_NIGHTS} nights after start_date")
    v.raise_if_any()
    return start, end
