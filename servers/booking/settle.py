"""ConfirmBooking, CancelBooking and what finishes or undoes a booking later (retries, expiry).

Never paid without a room, never a room without payment: a confirm sells the rooms here first (our
hold can then no longer lapse under a charged card), charges the card, and confirms at the channel
manager; a booking charged is finished or refunded and cancelled. Each step is written down
(`step_in_flight`) before it is called, so whoever picks the booking up after a crash or a lost
answer (the client's retry, the retry queue, the expiry and reconciliation jobs) carries it on.
"""

from __future__ import annotations

import logging
from datetime import datetime

from clients.channel_managers import ChannelManagerError, ChannelManagerUnavailable
from clients.hotelagg import HotelaggError
from clients.payments import PaymentError, PaymentInProgress
from servers.booking import domain
from servers.booking.bookings import Booking
from servers.booking.deps import BookingDeps
from servers.booking.reasons import BookingReason
from servers.booking.reserve import cancel_at_channel_manager, release_everything, void_authorization
from servers.booking.to_the_end import run_to_the_end
from servers.hotel import reasons as hotel_reasons
from servers.hotel.reasons import HOLD_LAPSED, HotelReason
from servers.runtime.errors import aborted, failed_precondition
from servers.runtime.reasons import ApiReason

log = logging.getLogger("hotelagg.booking")

FINISH_TOPIC = "booking.finish"


def _check_etag(booking: Booking, etag: str) -> None:
    from servers.booking.mapping import booking_etag

    if etag and etag != booking_etag(booking):
        raise aborted(ApiReason.ETAG_MISMATCH, "the booking changed since this etag was read", booking_id=booking.id)


async def confirm_booking(deps: BookingDeps, booking_id: str, etag: str) -> Booking:
    return await run_to_the_end(_confirm(deps, booking_id, etag))


async def _confirm(deps: BookingDeps, booking_id: str, etag: str) -> Booking:
    async with deps.locks.holding([f"booking:{booking_id}"], ttl_seconds=60, wait_seconds=10):
        booking = await deps.bookings.read(booking_id)
        if booking.status == domain.CONFIRMED:
            return booking
        _check_etag(booking, etag)
        domain.check_transition(booking.status, domain.CONFIRMED, booking.id)
        now = deps.clock.now()
        if booking.paid_minor == 0 and booking.step_in_flight is None:
            if booking.expires_at <= now:
                raise _hold_expired(booking)
            booking = await deps.bookings.change(booking, now, step_in_flight=domain.COMMIT_STEP)
        booking = await carry_on(deps, booking)
        if booking.status == domain.EXPIRED:
            raise _hold_expired(booking)
        return booking


def _hold_expired(booking: Booking):
    return failed_precondition(HotelReason.HOLD_EXPIRED, "the booking's hold expired before it was confirmed",
                               booking_id=booking.id,
                               expire_time=booking.expires_at.isoformat() if booking.expires_at else "")


async def carry_on(deps: BookingDeps, booking: Booking) -> Booking:
    """Takes a confirm on from the step it reached: rooms sold here, card charged, confirmed at the
    channel manager. A hold that lapsed before its rooms were sold expires the booking, uncharged.
    Every step is keyed by the booking, so carrying on after a crash repeats nothing."""
    now = deps.clock.now()
    if booking.step_in_flight == domain.COMMIT_STEP:
        try:
            await deps.our_inventory().commit(f"{booking.id}:commit", booking.hold_id)
        except HotelaggError as error:
            if hotel_reasons.parse(error.reason) in HOLD_LAPSED:
                return await expire(deps, booking)
            raise
        booking = await deps.bookings.change(booking, now, step_in_flight=domain.CAPTURE_STEP)
    if booking.step_in_flight == domain.CAPTURE_STEP and booking.paid_minor == 0:
        booking = await _capture(deps, booking, now)
    return await finish_or_queue(deps, booking)


async def _capture(deps: BookingDeps, booking: Booking, now: datetime) -> Booking:
    try:
        payment = await deps.our_payments().capture(booking.payment_reference, booking.total_minor,
                                              f"{booking.id}:capture")
    except PaymentInProgress:
        raise  # the first attempt is still at the gateway: its answer comes to whoever asks next
    except PaymentError as refusal:
        booking = await capture_known(deps, booking)  # refused because an earlier attempt took it?
        if booking.paid_minor == 0:
            # The card cannot be charged (the authorization lapsed or was voided): the rooms go back,
            # and the confirm is answered with the gateway's refusal.
            await refund_and_cancel(deps, booking, f"the payment could not be captured ({refusal.code})")
            raise
        return booking
    return await deps.bookings.change(booking, now, paid_minor=payment.captured_minor,
                                      step_in_flight=domain.CONFIRM_STEP)


async def capture_known(deps: BookingDeps, booking: Booking) -> Booking:
    """A booking whose capture's answer was lost, with what the gateway says it took written down: a
    cancel then refunds it instead of voiding a captured payment (which the gateway refuses)."""
    if booking.step_in_flight != domain.CAPTURE_STEP or booking.paid_minor > 0:
        return booking
    payment = await deps.our_payments().payment(booking.payment_reference)
    if payment.captured_minor == 0:
        return booking
    return await deps.bookings.change(booking, deps.clock.now(), paid_minor=payment.captured_minor,
                                      step_in_flight=domain.CONFIRM_STEP)


async def carry_on_alone(deps: BookingDeps, booking_id: str) -> Booking:
    """carry_on for the expiry job, which finds a booking by its hold's end, not by how long it sat
    still: under the booking's lock, so that a confirm still running is never overtaken."""
    async with deps.locks.holding([f"booking:{booking_id}"], ttl_seconds=60, wait_seconds=10):
        return await carry_on_if_held(deps, booking_id)


async def carry_on_if_held(deps: BookingDeps, booking_id: str) -> Booking:
    booking = await deps.bookings.read(booking_id)
    return await carry_on(deps, booking) if booking.status == domain.HELD else booking


# The channel manager's refusals that mean "this reservation cannot be confirmed" (PROTOCOL.md);
# any other 4xx (a rotated API key, a bad request of ours) is our problem, not the guest's.
FINAL_REFUSALS = ("hold_expired", "cancelled", "unknown_reservation")


async def finish(deps: BookingDeps, booking: Booking) -> Booking:
    """Sells the rooms here and confirms at the channel manager; idempotent, safe to repeat."""
    now = deps.clock.now()
    try:
        await deps.our_inventory().commit(f"{booking.id}:commit", booking.hold_id)
    except HotelaggError as error:
        if hotel_reasons.parse(error.reason) in HOLD_LAPSED:
            return await refund_and_cancel(deps, booking, f"the hold lapsed before confirmation ({error.reason})")
        raise
    if booking.channel_manager_reservation_id:
        _, client = await deps.channel_manager_of(booking.hotel_id)
        try:
            await client.confirm(booking.channel_manager_reservation_id, f"{booking.id}:confirm")
        except ChannelManagerError as refusal:
            if refusal.code not in FINAL_REFUSALS:
                # Paid and held here: tried again (retry queue, then reconciliation) until it is
                # confirmed or the channel manager says the reservation is gone.
                raise ChannelManagerUnavailable(
                    f"the channel manager refused to confirm ({refusal.status} {refusal.code}); trying again"
                ) from refusal
            # Expired, cancelled or gone there: no room to sell, so the money goes back.
            return await refund_and_cancel(deps, booking, f"the channel manager refused to confirm ({refusal.code})")
    return await deps.bookings.move(booking, domain.CONFIRMED, now, expires_at=None, step_in_flight=None)


async def finish_or_queue(deps: BookingDeps, booking: Booking) -> Booking:
    """Finishes now, or, with the channel manager unreachable, leaves it HELD and paid to the retry queue."""
    try:
        return await finish(deps, booking)
    except ChannelManagerUnavailable:
        await _retry_later(deps, booking)
        return await deps.bookings.read(booking.id)


async def _retry_later(deps: BookingDeps, booking: Booking) -> None:
    if deps.bus is None:
        return  # the reconciliation job finishes it
    await deps.bookings.queue(deps.bus, FINISH_TOPIC, f"booking:{booking.id}", {"booking_id": booking.id})


async def finish_queued(deps: BookingDeps, message) -> None:
    """The retry queue's handler: a raise means try again at the next tier (then parked, then reconciled)."""
    booking = await deps.bookings.read(message.payload["booking_id"])
    if booking.status == domain.CANCELLING:
        await finish_cancelling(deps, booking)
    elif booking.status == domain.HELD and booking.paid_minor > 0:
        await finish(deps, booking)


async def refund_and_cancel(deps: BookingDeps, booking: Booking, reason: str) -> Booking:
    """Undoes a booking that never became a sale (no fee): decided, then done."""
    return await finish_cancelling(deps, await _decide_cancellation(deps, booking, reason, fee_minor=0))


async def _decide_cancellation(deps: BookingDeps, booking: Booking, reason: str, fee_minor: int) -> Booking:
    """CANCELLING, with its reason and fee written down: from here on the booking claims neither its room
    nor its money, whatever the channel manager or the gateway answer next."""
    return await deps.bookings.move(booking, domain.CANCELLING, deps.clock.now(),
                                    fee_minor=fee_minor, cancel_reason=reason[:500], expires_at=None)


async def finish_cancelling(deps: BookingDeps, booking: Booking) -> Booking:
    """Finishes a decided cancellation; idempotent, safe to repeat (every call keyed by the booking).
    The channel manager first, then our rooms: the room goes back on sale here only once the channel
    manager has let it go too, so our mirror never offers a room it still counts as ours."""
    await cancel_at_channel_manager(deps, booking)
    if booking.hold_id:
        # cancel_sale: a committed hold's sold rooms come back too; a held one is simply released.
        await deps.our_inventory().release(f"{booking.id}:release:sale", booking.hold_id, cancel_sale=True)
    refund = booking.paid_minor - booking.fee_minor
    if refund > 0:
        await deps.our_payments().refund(booking.payment_reference, refund, f"{booking.id}:refund")
    elif booking.payment_reference and booking.paid_minor == 0:
        await void_authorization(deps, booking)
    return await deps.bookings.move(booking, domain.CANCELLED, deps.clock.now(),
                                    paid_minor=booking.fee_minor)


async def cancel_booking(deps: BookingDeps, booking_id: str, reason: str, etag: str) -> Booking:
    async with deps.locks.holding([f"booking:{booking_id}"], ttl_seconds=60, wait_seconds=10):
        booking = await deps.bookings.read(booking_id)
        if booking.status == domain.CANCELLED:
            return booking
        if booking.channel != domain.OUR_CHANNEL:
            # Its rooms and money are the partner's business: cancelled here, nothing would go back.
            raise failed_precondition(BookingReason.SOLD_BY_PARTNER,
                                      "a partner sold this booking; the partner cancels it",
                                      booking_id=booking.id, partner_id=booking.channel)
        if booking.status != domain.CANCELLING:
            _check_etag(booking, etag)
            domain.check_transition(booking.status, domain.CANCELLING, booking.id)
            if booking.status == domain.HELD:
                booking = await capture_known(deps, booking)  # a capture whose answer was lost is money paid
            # The fee is decided once, now: a retry after the deadline must not charge more.
            booking = await _decide_cancellation(deps, booking, reason or "cancelled by the guest",
                                                 fee_minor=await _fee(deps, booking))
        try:
            return await finish_cancelling(deps, booking)
        except Exception:  # noqa: BLE001 - the cancellation stands; the retry queue and reconciliation finish it
            log.warning("cancellation not finished yet; retried later", exc_info=True,
                        extra={"booking_id": booking.id})
            await _retry_later(deps, booking)
            return await deps.bookings.read(booking.id)


async def _fee(deps: BookingDeps, booking: Booking) -> int:
    """What the hotel keeps: nothing for a booking that was never confirmed, else its policy's fee."""
    if booking.status != domain.CONFIRMED:
        return 0
    hotel = await deps.hotel(booking.hotel_id)
    fee = domain.cancellation_fee(booking.total_minor, booking.check_in, hotel.time_zone,
                                  hotel.free_cancellation_hours, hotel.cancellation_fee_percent,
                                  deps.clock.now())
    return min(fee, booking.paid_minor)


async def expire(deps: BookingDeps, booking: Booking) -> Booking:
    """A HELD booking whose hold lapsed unpaid: rooms back, authorization voided."""
    await release_everything(deps, booking)
    return await deps.bookings.move(booking, domain.EXPIRED, deps.clock.now(), expires_at=None)

