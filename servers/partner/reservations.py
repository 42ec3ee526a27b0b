"""NotifyReservation: a booking a partner sold (or its change or cancellation), from gRPC or OTA XML.

The partner's codes name one of its listings; the ledger (InventoryService.ApplyPartnerReservation)
takes or gives back the rooms and records the booking in one transaction, idempotent on the partner,
the reservation id and the revision. A partner may not refuse a sold booking, so neither do we while
the hotel's overbooking allowance lasts: the answer says over_capacity and the booking waits for a person.
"""

from __future__ import annotations

import hashlib
from datetime import date

from hotelagg.inventory.v1 import inventory_pb2
from hotelagg.partner.v1 import partner_pb2 as pb
from sqlalchemy.engine import Row

from clients.hotelagg import HotelaggError, InventoryClient
from servers.hotel.reasons import HotelReason
from servers.hotel.reservations import check_reservation
from servers.partner import domain, mapping, store
from servers.runtime.clock import SYSTEM_CLOCK, Clock
from servers.runtime.errors import Violations
from servers.runtime.upstream import relayed
from servers.storage.database import Database
from servers.storage.idempotency import Idempotency

SCOPE = "hotelagg.partner.v1.PartnerService/NotifyReservation"


def validate(request: pb.NotifyReservationRequest, today: date) -> None:
    """Every field, named as the partner sent it (the ledger checks the same again, under its own names)."""
    v = Violations()
    v.check(0 < len(request.request_id) <= 128, "request_id", "required: 1 to 128 characters")
    r = request.reservation
    if not v.check(request.HasField("reservation"), "reservation", "required"):
        v.raise_if_any()
    v.check(r.status != pb.RESERVATION_STATUS_UNSPECIFIED, "reservation.status", "BOOKED, MODIFIED or CANCELLED")
    for name in ("partner_property_code", "partner_room_code"):
        v.check(bool(domain.PARTNER_CODE.fullmatch(getattr(r, name))), f"reservation.{name}",
                "1 to 100 letters, digits and _ . -")
    check_reservation(v, mapping.partner_reservation(r), r.status == pb.RESERVATION_STATUS_CANCELLED, today,
                      "reservation.")
    v.raise_if_any()


def ledger_request(partner_id: str, listing: Row,
                   r: pb.PartnerReservation) -> inventory_pb2.ApplyPartnerReservationRequest:
    # One key per (partner, reservation, revision): whatever request id the partner retries under, the
    # ledger applies a revision once; a different content under the same revision is refused there.
    key = hashlib.sha256(f"{partner_id}|{r.partner_reservation_id}|{r.revision}".encode()).hexdigest()[:40]
    return inventory_pb2.ApplyPartnerReservationRequest(
        request_id=f"partner-reservation:{key}", hotel_id=listing.hotel_id, room_type_code=listing.room_type_code,
        partner_id=partner_id, partner_reservation_id=r.partner_reservation_id, revision=r.revision,
        cancelled=r.status == pb.RESERVATION_STATUS_CANCELLED, check_in=r.check_in, check_out=r.check_out,
        rooms=r.rooms, guests=r.guests, guest_name=r.guest_name, total_amount=r.total_amount)


class Reservations:
    def __init__(self, db: Database, idempotency: Idempotency, inventory: InventoryClient | None = None,
                 clock: Clock = SYSTEM_CLOCK) -> None:
        self.db = db
        self.clock = clock
        self.idempotency = idempotency
        self.inventory = inventory

    async def notify(self, partner: Row, request: pb.NotifyReservationRequest) -> pb.NotifyReservationResponse:
        validate(request, self.clock.now().date())

        async def work() -> pb.NotifyReservationResponse:
            r = request.reservation
            async with self.db.reading_primary() as conn:
                listing = await store.listing_by_codes(conn, partner.id, r.partner_property_code, r.partner_room_code)
            if self.inventory is None:
                raise RuntimeError("partner reservations were built without the inventory service's client")
            try:
                answer = await self.inventory.apply_partner_reservation(ledger_request(partner.id, listing, r))
            except HotelaggError as error:
                raise relayed(error, HotelReason.INVENTORY_ERROR) from None
            return pb.NotifyReservationResponse(booking_id=answer.booking_id, over_capacity=answer.over_capacity,
                                                revision=answer.revision)

        # Keys are the partner's own: two partners may use the same request id.
        return await self.idempotency.run_outside(f"{SCOPE}/{partner.id}", request,
                                                  pb.NotifyReservationResponse, work)
