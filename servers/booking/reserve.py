"""CreateBooking: claim the request id, hold the rooms here and at the channel manager, authorize payment.

Each step's idempotency key derives from the booking id, so a retry after a crash repeats nothing.
A failure undoes what was done (the hold, the channel manager's reservation, the authorization)
and the booking ends FAILED, freeing its request id for a corrected retry.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from hotelagg.booking.v1 import booking_pb2 as pb
from sqlalchemy.engine import Row

from clients.channel_managers import NotFound
from clients.payments import PaymentNotFound
from servers.booking import domain, store
from servers.booking.deps import BookingDeps
from servers.booking.errors import as_api_error, channel_manager_down
from servers.runtime.errors import ApiError, Code, aborted, failed_precondition, not_found
from servers.storage.idempotency import request_hash

log = logging.getLogger("hotelagg.booking")


async def create_booking(deps: BookingDeps, request: pb.CreateBookingRequest, new: domain.NewBooking) -> Row:
    now = datetime.now(timezone.utc)
    if deps.payments is None:
        raise ApiError(Code.UNAVAILABLE, "PAYMENTS_NOT_CONFIGURED",
                       "no payment gateway is configured (HOTELAGG_PAYMENT_GATEWAY_URL)", {}, retry_after_seconds=60)
    hotel = await deps.hotel(new.hotel_id)
    room_type = next((rt for rt in hotel.room_types if rt.code == new.room_type_code), None)
    if room_type is None:
        raise not_found("ROOM_TYPE_NOT_FOUND", f"room type {new.room_type_code}", hotel_id=new.hotel_id)
    domain.check_occupancy(new.guests, new.rooms, room_type.max_occupancy)
    channel_manager = None
    if hotel.HasField("channel_manager"):
        channel_manager = deps.channel_manager(hotel.channel_manager.channel_manager_id)
        if channel_manager is None or channel_manager.breaker.is_open:
            # Fail fast, before any hold, and say when the breaker lets a trial through.
            raise channel_manager_down(retry_after=channel_manager.breaker.retry_after() if channel_manager else 60)
    booking, created = await store.claim(deps.db, _claim_values(request, new, hotel), now)
    if not created:
        return _replay(booking, request_hash(request))
    try:
        return await _reserve(deps, booking, new, hotel, channel_manager, now)
    except Exception as error:
        await undo(deps, await store.read(deps.db, booking.id), str(error))
        raise as_api_error(error) or error


def _claim_values(request: pb.CreateBookingRequest, new: domain.NewBooking, hotel) -> dict:
    return dict(
        request_id=request.request_id, request_hash=request_hash(request), user_id=new.user_id,
        hotel_id=new.hotel_id, room_type_code=new.room_type_code, check_in=new.check_in, check_out=new.check_out, rooms=new.rooms,
        guests=new.guests, lead_guest=new.lead_guest or None, currency_code=hotel.currency_code, total_minor=0,
        channel=domain.OUR_CHANNEL,
    )


def _replay(booking: Row, digest: str) -> Row:
    if booking.request_hash != digest:
        raise failed_precondition("IDEMPOTENCY_KEY_REUSED", "this request_id was used for a different booking",
                                  request_id=booking.request_id)
    if booking.status == domain.PENDING:
        raise aborted("REQUEST_IN_PROGRESS", "a booking with this request_id is being made",
                      request_id=booking.request_id)
    return booking


async def _reserve(deps: BookingDeps, booking: Row, new: domain.NewBooking, hotel, channel_manager,
                   now: datetime) -> Row:
    # Our own hold first, unlocked: the database guards it, and the many who find no room leave at
    # once instead of queueing on a lock for the few who did.
    hold = await deps.inventory.hold(f"{booking.id}:hold", new.hotel_id, new.room_type_code, new.check_in,
                                     new.check_out, new.rooms, deps.hold_ttl)
    booking = await store.change(deps.db, booking, now, hold_id=hold.hold_id,
                                 total_minor=hold.total_price.amount_minor)
    if channel_manager is not None:
        # The lock serializes our calls to the channel manager for these room-nights (sorted order).
        nights = [new.check_in + timedelta(days=i) for i in range((new.check_out - new.check_in).days)]
        keys = [f"{new.hotel_id}:{new.room_type_code}:{night.isoformat()}" for night in nights]
        async with deps.locks.holding(keys, ttl_seconds=30, wait_seconds=10):
            reservation = await channel_manager.reserve(
                hotel.channel_manager.hotel_code, new.room_type_code, new.check_in, new.check_out, new.rooms,
                int(deps.hold_ttl.total_seconds()) + 60, f"{booking.id}:reserve")
        booking = await store.change(deps.db, booking, now,
                                     channel_manager_reservation_id=reservation.reservation_id)
    payment = await deps.payments.authorize(new.payment_token, booking.total_minor, booking.currency_code,
                                            f"{booking.id}:authorize", description=f"booking {booking.id}")
    return await store.move(deps.db, booking, domain.HELD, now, payment_reference=payment.payment_id,
                            expires_at=hold.expire_time.ToDatetime(timezone.utc))


async def undo(deps: BookingDeps, booking: Row, reason: str) -> None:
    """Gives back whatever a failed create took, then marks it FAILED and frees its request id."""
    now = datetime.now(timezone.utc)
    try:
        await release_everything(deps, booking)
    except Exception:  # noqa: BLE001 - the reconciliation job finishes what could not be undone now
        log.exception("could not undo a failed booking; reconciliation will", extra={"booking_id": booking.id})
        return
    await store.move(deps.db, booking, domain.FAILED, now, request_id=None, failure_reason=reason[:500])


async def release_everything(deps: BookingDeps, booking: Row, cancel_sale: bool = False) -> None:
    """Releases the hold, the channel manager's reservation and an uncaptured authorization (idempotent)."""
    if booking.hold_id:
        await deps.inventory.release(f"{booking.id}:release:{'sale' if cancel_sale else 'hold'}", booking.hold_id,
                                     cancel_sale=cancel_sale)
    await cancel_at_channel_manager(deps, booking)
    if booking.payment_reference and booking.paid_minor == 0:
        await void_authorization(deps, booking)


async def cancel_at_channel_manager(deps: BookingDeps, booking: Row) -> None:
    """Cancels the booking's reservation there. One the channel manager does not know (purged, lost in a
    restart) is nothing to cancel: a 404 is done, not a failure to retry forever."""
    if not booking.channel_manager_reservation_id:
        return
    hotel = await deps.hotel(booking.hotel_id)
    client = deps.channel_manager(hotel.channel_manager.channel_manager_id)
    try:
        await client.cancel(booking.channel_manager_reservation_id, f"{booking.id}:cancel")
    except NotFound:
        log.warning("the channel manager does not know the reservation; nothing to cancel there",
                    extra={"booking_id": booking.id, "reservation": booking.channel_manager_reservation_id})


async def void_authorization(deps: BookingDeps, booking: Row) -> None:
    """Voids an uncaptured authorization; one the gateway does not know holds no money to give back."""
    try:
        await deps.payments.void(booking.payment_reference, f"{booking.id}:void")
    except PaymentNotFound:
        log.warning("the gateway does not know the payment; nothing to void",
                    extra={"booking_id": booking.id, "payment": booking.payment_reference})
