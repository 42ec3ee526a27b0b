"""HoldInventory, ReleaseHold, CommitHold and WatchInventory: proto in, the hold flow (flows/holds.py)
or store/holds.py, proto out."""

from __future__ import annotations

from datetime import timedelta

from hotelagg.inventory.v1 import inventory_pb2 as pb

from servers.hotel import stays
from servers.hotel.ids import check_hotel_id
from servers.hotel.nights import Night
from servers.inventory.api import mapping
from servers.inventory.domain import MAX_ROOMS_PER_HOLD
from servers.inventory.flows import changes
from servers.inventory.flows.changes import ChangeHub
from servers.inventory.flows.holds import HoldBatcher, HoldWish, Replayed
from servers.inventory.reasons import InventoryReason
from servers.inventory.store import holds
from servers.runtime.clock import Clock
from servers.runtime.errors import ApiError, Code, Violations, require_uuid
from servers.runtime.protos import read_date, read_duration, timestamp_proto
from servers.storage.database import UnitOfWork
from servers.storage.idempotency import Idempotency

SCOPE = "hotelagg.inventory.v1.InventoryService/"
MIN_TTL = timedelta(seconds=30)
MAX_TTL = timedelta(hours=24)

_CAUSES = {
    changes.DIRECT_UPDATE: pb.CHANGE_CAUSE_DIRECT_UPDATE,
    changes.CHANNEL_UPDATE: pb.CHANGE_CAUSE_CHANNEL_UPDATE,
    changes.HOLD: pb.CHANGE_CAUSE_HOLD,
    changes.RELEASE: pb.CHANGE_CAUSE_RELEASE,
    changes.COMMIT: pb.CHANGE_CAUSE_COMMIT,
    changes.EXPIRY: pb.CHANGE_CAUSE_EXPIRY,
    changes.PARTNER_RESERVATION: pb.CHANGE_CAUSE_PARTNER_RESERVATION,
}


def _check_hold_id(hold_id: str) -> None:
    require_uuid(hold_id, "hold_id", "hold_id HoldInventory returned")


class HoldRpcs:
    def __init__(self, idempotency: Idempotency, hub: ChangeHub, hold_batcher: HoldBatcher,
                 default_hold_ttl: timedelta, clock: Clock) -> None:
        self.idempotency = idempotency
        self.hub = hub  # the holds' changes are announced on it; WatchInventory streams from it
        self.hold_batcher = hold_batcher
        self.default_hold_ttl = default_hold_ttl
        self.clock = clock

    async def HoldInventory(self, request: pb.HoldInventoryRequest, context) -> pb.HoldInventoryResponse:
        now = self.clock.now()
        v = Violations()
        check_hotel_id(v, request.hotel_id)
        v.check(bool(request.room_type_code), "room_type_code", "required")
        check_in = read_date(v, request.check_in, "check_in", request.HasField("check_in"))
        check_out = read_date(v, request.check_out, "check_out", request.HasField("check_out"))
        stays.validate_stay(v, check_in, check_out, now.date())
        v.check(1 <= request.quantity <= MAX_ROOMS_PER_HOLD, "quantity",
                f"1 to {MAX_ROOMS_PER_HOLD} rooms")
        ttl = (read_duration(v, request.ttl, "ttl", MIN_TTL, MAX_TTL, "30 seconds to 24 hours")
               if request.HasField("ttl") else self.default_hold_ttl)
        v.raise_if_any()
        # read_date and read_duration recorded why otherwise: raised above.
        assert check_in is not None and check_out is not None and ttl is not None

        wish = HoldWish(request.hotel_id, request.room_type_code, check_in, check_out, request.quantity, ttl)
        claim = self.idempotency.enter(SCOPE + "HoldInventory", request)
        try:
            outcome = await self.hold_batcher.hold(wish, claim, mapping.hold_response)
        finally:
            self.idempotency.leave(claim)
        if isinstance(outcome, Replayed):
            return pb.HoldInventoryResponse.FromString(outcome.stored)
        return mapping.hold_response(outcome)

    async def ReleaseHold(self, request: pb.ReleaseHoldRequest, context) -> pb.ReleaseHoldResponse:
        _check_hold_id(request.hold_id)

        async def work(uow: UnitOfWork) -> pb.ReleaseHoldResponse:
            now = self.clock.now()
            hold, nights = await holds.release_hold(uow, request.hold_id, now, request.cancel_sale)
            currency = await self._announce_hold(uow, hold, changes.RELEASE, nights)
            return pb.ReleaseHoldResponse(hold=mapping.hold_proto(hold, now, currency))

        return await self.idempotency.run(SCOPE + "ReleaseHold", request, pb.ReleaseHoldResponse, work)

    async def CommitHold(self, request: pb.CommitHoldRequest, context) -> pb.CommitHoldResponse:
        _check_hold_id(request.hold_id)

        async def work(uow: UnitOfWork) -> pb.CommitHoldResponse:
            now = self.clock.now()
            hold, nights = await holds.commit_hold(uow, request.hold_id, now)
            currency = await self._announce_hold(uow, hold, changes.COMMIT, nights)
            return pb.CommitHoldResponse(hold=mapping.hold_proto(hold, now, currency))

        return await self.idempotency.run(SCOPE + "CommitHold", request, pb.CommitHoldResponse, work)

    async def _announce_hold(self, uow: UnitOfWork, hold, cause: str, nights: list[Night]) -> str:
        """Publishes the change after commit; returns the hotel's currency."""
        await changes.announce(self.hub, self.clock, uow, hold.hotel_id, hold.room_type_code, hold.currency_code,
                               cause, nights)
        return hold.currency_code

    async def WatchInventory(self, request: pb.WatchInventoryRequest, context):
        v = Violations()
        for i, hotel_id in enumerate(request.hotel_ids):
            check_hotel_id(v, hotel_id, f"hotel_ids[{i}]")
        v.raise_if_any()
        async with self.hub.subscribe(frozenset(request.hotel_ids)) as subscription:
            while True:
                change = await subscription.queue.get()
                if change is not None:  # None: the hub lost track (ChangeHub.lose_track)
                    yield watch_response(change)
                if subscription.overflowed and subscription.queue.empty():
                    raise ApiError(Code.ABORTED, InventoryReason.SUBSCRIBER_TOO_SLOW,
                                   "this stream fell too far behind; subscribe again and re-read availability")


def watch_response(change: changes.InventoryChange) -> pb.WatchInventoryResponse:
    return pb.WatchInventoryResponse(
        hotel_id=change.hotel_id,
        room_type_code=change.room_type_code,
        cause=_CAUSES[change.cause],
        nights=[mapping.night_proto(n, change.currency_code) for n in change.nights],
        change_time=timestamp_proto(change.changed_at),
    )
