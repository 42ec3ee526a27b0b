"""InventoryService over gRPC: one thin servicer, each RPC handed to its group (catalogue_rpcs.py,
hold_rpcs.py, sync_rpcs.py, partner_rpcs.py), each group built here with what it needs."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from datetime import timedelta

from hotelagg.inventory.v1 import inventory_pb2 as pb
from hotelagg.inventory.v1 import inventory_pb2_grpc

from servers.inventory.api.catalogue_rpcs import CatalogueRpcs
from servers.inventory.api.hold_rpcs import HoldRpcs
from servers.inventory.api.partner_rpcs import PartnerRpcs
from servers.inventory.api.sync_rpcs import SyncRpcs
from servers.inventory.flows.changes import ChangeHub
from servers.inventory.flows.holds import HoldBatcher
from servers.inventory.flows.mirror import Mirror
from servers.runtime.clock import SYSTEM_CLOCK, Clock
from servers.runtime.credentials import SERVICE, STAFF
from servers.runtime.paging import PageTokens
from servers.storage.database import Database, UnitOfWork
from servers.storage.idempotency import Idempotency

# Who may call what (checked by the server's interceptor); the reads not named here are public.
GUARDED = {
    # Called only by our own services: Booking holds, releases and commits; the Partner Gateway records
    # partners' sales; the mirror's gRPC twin of the webhook receiver; the change stream for subscribers.
    "HoldInventory": SERVICE, "ReleaseHold": SERVICE, "CommitHold": SERVICE,
    "ApplyPartnerReservation": SERVICE, "ApplyChannelUpdates": SERVICE, "WatchInventory": SERVICE,
    # The catalogue and direct hotels' ARI: operators (hotels have no credentials of their own yet).
    "CreateHotel": STAFF, "CreateRoomType": STAFF, "UpdateInventory": STAFF,
}


async def _no_readers(uow: UnitOfWork) -> None:
    """A catalogue change with no reader of static hotel data to tell."""


class InventoryServicer(inventory_pb2_grpc.InventoryServiceServicer):
    def __init__(self, db: Database, idempotency: Idempotency, page_tokens: PageTokens, hub: ChangeHub,
                 mirror: Mirror, hold_batcher: HoldBatcher, default_hold_ttl: timedelta = timedelta(minutes=15),
                 catalog_changed: Callable[[UnitOfWork], Awaitable[None]] = _no_readers,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        self.catalogue = CatalogueRpcs(db, idempotency, page_tokens, hub, mirror, catalog_changed, clock)
        # hold_batcher is built by the composition root (servers/bootstrap.py)
        self.holds = HoldRpcs(idempotency, hub, hold_batcher, default_hold_ttl, clock)
        self.channel_updates = SyncRpcs(idempotency, mirror, clock)
        self.partner_sales = PartnerRpcs(db, idempotency, hub, clock)

    async def CreateHotel(self, request: pb.CreateHotelRequest, context) -> pb.CreateHotelResponse:
        return await self.catalogue.CreateHotel(request, context)

    async def GetHotel(self, request: pb.GetHotelRequest, context) -> pb.GetHotelResponse:
        return await self.catalogue.GetHotel(request, context)

    async def ListHotels(self, request: pb.ListHotelsRequest, context) -> pb.ListHotelsResponse:
        return await self.catalogue.ListHotels(request, context)

    async def CreateRoomType(self, request: pb.CreateRoomTypeRequest, context) -> pb.CreateRoomTypeResponse:
        return await self.catalogue.CreateRoomType(request, context)

    async def UpdateInventory(self, request: pb.UpdateInventoryRequest, context) -> pb.UpdateInventoryResponse:
        return await self.catalogue.UpdateInventory(request, context)

    async def GetAvailability(self, request: pb.GetAvailabilityRequest, context) -> pb.GetAvailabilityResponse:
        return await self.catalogue.GetAvailability(request, context)

    async def HoldInventory(self, request: pb.HoldInventoryRequest, context) -> pb.HoldInventoryResponse:
        return await self.holds.HoldInventory(request, context)

    async def ReleaseHold(self, request: pb.ReleaseHoldRequest, context) -> pb.ReleaseHoldResponse:
        return await self.holds.ReleaseHold(request, context)

    async def CommitHold(self, request: pb.CommitHoldRequest, context) -> pb.CommitHoldResponse:
        return await self.holds.CommitHold(request, context)

    async def WatchInventory(self, request: pb.WatchInventoryRequest, context):
        # An async generator itself (gRPC streams from one); closing it closes the group's stream,
        # which leaves the hub's subscription at once.
        async with contextlib.aclosing(self.holds.WatchInventory(request, context)) as responses:
            async for response in responses:
                yield response

    async def ApplyChannelUpdates(self, request: pb.ApplyChannelUpdatesRequest, context
                                  ) -> pb.ApplyChannelUpdatesResponse:
        return await self.channel_updates.ApplyChannelUpdates(request, context)

    async def ApplyPartnerReservation(self, request: pb.ApplyPartnerReservationRequest, context
                                      ) -> pb.ApplyPartnerReservationResponse:
        return await self.partner_sales.ApplyPartnerReservation(request, context)
