"""ApplyPartnerReservation: the Partner Gateway records a partner's sale here, in the ledger's transaction."""

from __future__ import annotations

from hotelagg.inventory.v1 import inventory_pb2 as pb

from servers.hotel.ids import PARTNER_ID, check_hotel_id, check_room_type_code
from servers.hotel.reservations import check_reservation
from servers.inventory.api import mapping
from servers.inventory.domain import PartnerSale
from servers.inventory.flows import changes, partner_sales
from servers.inventory.flows.changes import ChangeHub
from servers.inventory.store import partner_sales as sale_rows
from servers.runtime.clock import Clock
from servers.runtime.errors import Violations
from servers.storage.database import Database, UnitOfWork
from servers.storage.idempotency import Idempotency

SCOPE = "hotelagg.inventory.v1.InventoryService/"


def read_sale(request: pb.ApplyPartnerReservationRequest, today) -> PartnerSale:
    v = Violations()
    check_hotel_id(v, request.hotel_id)
    check_room_type_code(v, request.room_type_code)
    v.check(bool(PARTNER_ID.fullmatch(request.partner_id)), "partner_id", "the partner's id")
    reservation = mapping.partner_reservation(request)
    check_reservation(v, reservation, request.cancelled, today)
    check_in, check_out = reservation.check_in, reservation.check_out
    v.raise_if_any()
    assert check_in is not None and check_out is not None  # check_reservation recorded why otherwise
    money = request.total_amount
    return PartnerSale(
        request.hotel_id, request.room_type_code, request.partner_id, request.partner_reservation_id,
        request.revision, request.cancelled, check_in, check_out, request.rooms, request.guests,
        request.guest_name, money.amount_minor, money.currency_code)


class PartnerRpcs:
    def __init__(self, db: Database, idempotency: Idempotency, hub: ChangeHub, clock: Clock) -> None:
        self.db = db  # a replay reads the reservation's current revision
        self.idempotency = idempotency
        self.hub = hub
        self.clock = clock

    async def ApplyPartnerReservation(self, request: pb.ApplyPartnerReservationRequest, context
                                      ) -> pb.ApplyPartnerReservationResponse:
        now = self.clock.now()
        sale = read_sale(request, now.date())

        ran: list[bool] = []

        async def work(uow: UnitOfWork) -> pb.ApplyPartnerReservationResponse:
            ran.append(True)
            outcome = await partner_sales.record_sale(uow, sale, now)
            announced = [(changes.EXPIRY, code, nights) for code, nights in outcome.expired]
            announced += [(changes.PARTNER_RESERVATION, code, nights) for code, nights in outcome.changed]
            for cause, code, nights in announced:
                if nights:
                    await self.hub.record(uow, changes.InventoryChange(
                        sale.hotel_id, code, sale.currency_code, cause, nights, now))
            return pb.ApplyPartnerReservationResponse(
                booking_id=outcome.booking_id, over_capacity=outcome.over_capacity, revision=outcome.revision,
                applied=outcome.applied)

        answer = await self.idempotency.run(SCOPE + "ApplyPartnerReservation", request,
                                            pb.ApplyPartnerReservationResponse, work)
        if not ran:  # a replay: a newer revision may have been recorded since, and that is what we hold
            async with self.db.reading_primary() as conn:
                current = await sale_rows.current(conn, sale)
            if current is not None and current.partner_revision > answer.revision:
                return pb.ApplyPartnerReservationResponse(
                    booking_id=current.id, over_capacity=bool(current.over_capacity),
                    revision=current.partner_revision, applied=False)
        return answer
