"""ApplyChannelUpdates: the gRPC twin of the webhook receiver (and the bulk ARI ingest path)."""

from __future__ import annotations

from hotelagg.inventory.v1 import inventory_pb2 as pb

from servers.hotel.ids import check_hotel_id
from servers.inventory.api import channel_events
from servers.inventory.flows.mirror import Mirror
from servers.inventory.reasons import InventoryReason
from servers.inventory.store import catalog
from servers.runtime.clock import Clock
from servers.runtime.errors import ApiError, Violations, failed_precondition, not_found
from servers.storage.database import UnitOfWork
from servers.storage.idempotency import Idempotency

SCOPE = "hotelagg.inventory.v1.InventoryService/"
MAX_UPDATES = 1000


class SyncRpcs:
    def __init__(self, idempotency: Idempotency, mirror: Mirror, clock: Clock) -> None:
        self.idempotency = idempotency
        self.mirror = mirror
        self.clock = clock

    async def ApplyChannelUpdates(self, request: pb.ApplyChannelUpdatesRequest, context
                                  ) -> pb.ApplyChannelUpdatesResponse:
        v = Violations()
        check_hotel_id(v, request.hotel_id)
        v.check(0 < len(request.updates) <= MAX_UPDATES, "updates", f"1 to {MAX_UPDATES} updates")
        now = self.clock.now()
        events = [channel_events.from_proto(v, "", u, f"updates[{i}]", now=now)
                  for i, u in enumerate(request.updates)]
        v.raise_if_any()

        async def work(uow: UnitOfWork) -> pb.ApplyChannelUpdatesResponse:
            hotel = await catalog.hotel_row(uow.connection, request.hotel_id)
            if hotel is None:
                raise not_found(InventoryReason.HOTEL_NOT_FOUND, f"hotel {request.hotel_id}", hotel_id=request.hotel_id)
            if hotel.channel_manager_id is None:
                raise failed_precondition(InventoryReason.NOT_CHANNEL_MANAGED,
                                          "a direct hotel takes UpdateInventory, not channel updates",
                                          hotel_id=request.hotel_id)
            outcome = await self.mirror.apply(uow, hotel, [e for e in events if e is not None])
            channel_events.check_nights(events)  # those not applied (duplicates, stale) are checked too
            return pb.ApplyChannelUpdatesResponse(
                applied_count=outcome.applied, duplicate_count=outcome.duplicates, stale_count=outcome.stale,
                last_sequence=outcome.last_sequence, gap_detected=outcome.gap,
            )

        try:
            return await self.idempotency.run(SCOPE + "ApplyChannelUpdates", request, pb.ApplyChannelUpdatesResponse,
                                              work)
        except (ApiError, channel_events.BadNights):
            # Snapshot nights are read as they are applied (channel_events.ProtoNights); a bad request is
            # still told INVALID_ARGUMENT, naming every bad night, before any other error, as if read first.
            channel_events.check_nights(events)
            raise
