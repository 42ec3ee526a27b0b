"""CreateBooking: claim the request id, hold the rooms here and at the channel manager, authorize payment.

Each step's idempotency key derives from the booking id, so a retry after a crash repeats nothing,
and each step is written down (`step_in_flight`) before it is called: a step whose answer was lost
(it timed out, or the process died) is asked again under its key to learn what it took. A failure
undoes what was done (the hold, the channel manager's reservation, the authorization) and the
booking ends FAILED, freeing its request id for a corrected retry.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import grpc
from hotelagg.booking.v1 import booking_pb2 as pb

from clients.channel_managers import ChannelManagerError, NotFound
from clients.errors import ServiceUnavailable
from clients.hotelagg import HotelaggError
from clients.payments import PaymentError, PaymentInProgress, PaymentNotFound, PaymentStateError, PaymentStatus
from servers.booking import domain
from servers.booking.bookings import Booking
from servers.booking.deps import BookingDeps
from servers.booking.errors import as_api_error, channel_manager_down
from servers.booking.to_the_end import run_to_the_end
from servers.hotel.reasons import HotelReason
from servers.runtime.errors import ApiError, aborted, failed_precondition, not_found
from servers.runtime.reasons import ApiReason
from servers.storage.idempotency import request_hash

log = logging.getLogger("hotelagg.booking")

# Our inventory could not answer: the step's outcome is still unknown.
TRANSIENT_CODES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.ABORTED,
                   grpc.StatusCode.INTERNAL, grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNKNOWN)


async def create_booking(deps: BookingDeps, request: pb.CreateBookingRequest, new: domain.NewBooking) -> Booking:
    now = deps.clock.now()
    deps.our_payments()  # none configured: refused before anything is held
    hotel = await deps.hotel(new.hotel_id)
    room_type = next((rt for rt in hotel.room_types if rt.code == new.room_type_code), None)
    if room_type is None:
        raise not_found(HotelReason.ROOM_TYPE_NOT_FOUND, f"room type {new.room_type_code}", hotel_id=new.hotel_id)
    domain.check_occupancy(new.guests, new.rooms, room_type.max_occupancy)
    channel_manager = None
    if hotel.HasField("channel_manager"):
        channel_manager = deps.channel_manager(hotel.channel_manager.channel_manager_id)
        if channel_manager is None or channel_manager.breaker.is_open:
            # Fail fast, before any hold, and say when the breaker lets a trial through.
            raise channel_manager_down(retry_after=channel_manager.breaker.retry_after() if channel_manager else 60)
    booking, created = await deps.bookings.claim(_claim_values(request, new, hotel), now)
    if not created:
        return _replay(booking, request_hash(request))
    return await run_to_the_end(_create_or_undo(deps, booking, hotel, channel_manager, now))


async def _create_or_undo(deps: BookingDeps, booking: Booking, hotel, channel_manager, now: datetime) -> Booking:
    try:
        return await _reserve(deps, booking, hotel, channel_manager, now)
    except Exception as error:
        await undo(deps, await deps.bookings.read(booking.id), str(error), ask_again=not _took_nothing(error))
        answer = as_api_error(error)
        if answer is None:
            raise
        raise answer from error


def _took_nothing(error: Exception) -> bool:
    """The failed step's own answer says it did nothing, so there is nothing to ask it again."""
    if isinstance(error, ServiceUnavailable):
        return not error.maybe_done
    if isinstance(error, PaymentInProgress):
        return False  # the first attempt is still being worked on
    if isinstance(error, (ChannelManagerError, PaymentError)):
        return True
    if isinstance(error, ApiError):
        return error.reason is ApiReason.LOCK_BUSY  # the channel manager was never called
    return isinstance(error, HotelaggError) and error.code not in TRANSIENT_CODES


def _claim_values(request: pb.CreateBookingRequest, new: domain.NewBooking, hotel) -> dict:
    return dict(
        request_id=request.request_id, request_hash=request_hash(request), user_id=new.user_id,
        hotel_id=new.hotel_id, room_type_code=new.room_type_code, check_in=new.check_in, check_out=new.check_out,
        rooms=new.rooms, guests=new.guests, lead_guest=new.lead_guest or None, currency_code=hotel.currency_code,
        total_minor=0, channel=domain.OUR_CHANNEL, step_in_flight=domain.HOLD_STEP, payment_token=new.payment_token,
    )


def _replay(booking: Booking, digest: str) -> Booking:
    if booking.request_hash != digest:
        raise failed_precondition(ApiReason.IDEMPOTENCY_KEY_REUSED, "this request_id was used for a different booking",
                                  request_id=booking.request_id)
    if booking.status == domain.PENDING:
        raise aborted(ApiReason.REQUEST_IN_PROGRESS, "a booking with this request_id is being made",
                      request_id=booking.request_id)
    return booking


async def _reserve(deps: BookingDeps, booking: Booking, hotel, channel_manager, now: datetime) -> Booking:
    # Our own hold first, unlocked: the database guards it, and the many who find no room leave at
    # once instead of queueing on a lock for the few who did.
    hold = await _hold(deps, booking)
    booking = await deps.bookings.change(
        booking, now, hold_id=hold.hold_id, total_minor=hold.total_price.amount_minor,
        step_in_flight=domain.RESERVE_STEP if channel_manager else domain.AUTHORIZE_STEP)
    if channel_manager is not None:
        reservation = await _reserve_at_channel_manager(deps, booking, hotel, channel_manager)
        booking = await deps.bookings.change(booking, now, channel_manager_reservation_id=reservation.reservation_id,
                                             step_in_flight=domain.AUTHORIZE_STEP)
    payment = await _authorize(deps, booking)
    return await deps.bookings.move(booking, domain.HELD, now, payment_reference=payment.payment_id,
                                    expires_at=hold.expire_time.ToDatetime(timezone.utc), step_in_flight=None,
                                    payment_token=None)


# Each outside step of a create, sent exactly alike the first time and when asked again.

async def _hold(deps: BookingDeps, booking: Booking):
    return await deps.our_inventory().hold(f"{booking.id}:hold", booking.hotel_id, booking.room_type_code,
                                           booking.check_in, booking.check_out, booking.rooms, deps.hold_ttl)


async def _reserve_at_channel_manager(deps: BookingDeps, booking: Booking, hotel, channel_manager):
    # The lock serializes our calls to the channel manager for these room-nights (sorted order).
    nights = [booking.check_in + timedelta(days=i) for i in range((booking.check_out - booking.check_in).days)]
    keys = [f"{booking.hotel_id}:{booking.room_type_code}:{night.isoformat()}" for night in nights]
    async with deps.locks.holding(keys, ttl_seconds=30, wait_seconds=10):
        return await channel_manager.reserve(
            hotel.channel_manager.hotel_code, booking.room_type_code, booking.check_in, booking.check_out,
            booking.rooms, deps.channel_hold_seconds, f"{booking.id}:reserve")


async def _authorize(deps: BookingDeps, booking: Booking):
    return await deps.our_payments().authorize(booking.payment_token, booking.total_minor, booking.currency_code,
                                         f"{booking.id}:authorize", description=f"booking {booking.id}")


async def undo(deps: BookingDeps, booking: Booking, reason: str, ask_again: bool = True) -> None:
    """Gives back whatever a failed create took, then marks it FAILED and frees its request id.
    `ask_again`: the step in flight may have been done, so it is asked again to learn what it took."""
    now = deps.clock.now()
    learned = True
    if ask_again:
        try:
            booking = await _learn_step_in_flight(deps, booking)
        except Exception:  # noqa: BLE001 - what is known is given back now, the rest when reconciled
            log.exception("a failed booking's last step could not be asked again", extra={"booking_id": booking.id})
            learned = False
    try:
        await release_everything(deps, booking)
    except Exception:  # noqa: BLE001 - the reconciliation job finishes what could not be undone now
        log.exception("could not undo a failed booking; reconciliation will", extra={"booking_id": booking.id})
        return
    if not learned:
        return  # left PENDING: the reconciliation job asks again
    await deps.bookings.move(booking, domain.FAILED, now, request_id=None, failure_reason=reason[:500],
                             step_in_flight=None, payment_token=None)


async def _learn_step_in_flight(deps: BookingDeps, booking: Booking) -> Booking:
    """The step whose answer never came may have been done: asked again under its key, it answers
    what it did (or does it now), so that what it took is written down and can be given back.
    A refusal means it took nothing; a breakdown raises, and the undo is tried again later."""
    step, now = booking.step_in_flight, deps.clock.now()
    try:
        if step == domain.HOLD_STEP and not booking.hold_id:
            hold = await _hold(deps, booking)
            return await deps.bookings.change(booking, now, hold_id=hold.hold_id)
        if step == domain.RESERVE_STEP and not booking.channel_manager_reservation_id:
            hotel, client = await deps.channel_manager_of(booking.hotel_id)
            reservation = await _reserve_at_channel_manager(deps, booking, hotel, client)
            return await deps.bookings.change(booking, now,
                                              channel_manager_reservation_id=reservation.reservation_id)
        if step == domain.AUTHORIZE_STEP and not booking.payment_reference and booking.payment_token:
            payment = await _authorize(deps, booking)
            return await deps.bookings.change(booking, now, payment_reference=payment.payment_id)
    except PaymentInProgress:
        raise  # not a refusal: the first attempt is still being worked on
    except (HotelaggError, ChannelManagerError, PaymentError) as refusal:
        if isinstance(refusal, HotelaggError) and refusal.code in TRANSIENT_CODES:
            raise
        log.info("a create's lost step took nothing", extra={"booking_id": booking.id, "step": step})
    return booking


async def release_everything(deps: BookingDeps, booking: Booking) -> None:
    """Releases the hold, the channel manager's reservation and an uncaptured authorization (idempotent)."""
    if booking.hold_id:
        await deps.our_inventory().release(f"{booking.id}:release:hold", booking.hold_id)
    await cancel_at_channel_manager(deps, booking)
    if booking.payment_reference and booking.paid_minor == 0:
        await void_authorization(deps, booking)


async def cancel_at_channel_manager(deps: BookingDeps, booking: Booking) -> None:
    """Cancels the booking's reservation there. One the channel manager does not know (purged, lost in a
    restart) is nothing to cancel: a 404 is done, not a failure to retry forever."""
    if not booking.channel_manager_reservation_id:
        return
    _, client = await deps.channel_manager_of(booking.hotel_id)
    try:
        await client.cancel(booking.channel_manager_reservation_id, f"{booking.id}:cancel")
    except NotFound:
        log.warning("the channel manager does not know the reservation; nothing to cancel there",
                    extra={"booking_id": booking.id, "reservation": booking.channel_manager_reservation_id})


async def void_authorization(deps: BookingDeps, booking: Booking) -> None:
    """Voids an uncaptured authorization. One the gateway does not know, or already voided or lapsed,
    holds no money: done, not a failure to retry forever. A captured one is not ours to void: raised."""
    try:
        await deps.our_payments().void(booking.payment_reference, f"{booking.id}:void")
    except PaymentNotFound:
        log.warning("the gateway does not know the payment; nothing to void",
                    extra={"booking_id": booking.id, "payment": booking.payment_reference})
    except PaymentStateError as error:
        if error.status not in (PaymentStatus.VOIDED, PaymentStatus.EXPIRED):
            raise
