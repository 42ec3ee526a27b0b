"""What goes wrong outside the booking service, as the booking API answers it (ARCHITECTURE §7)."""

from __future__ import annotations

from clients.channel_managers import ChannelManagerError, ChannelManagerUnavailable, Restricted, SoldOut
from clients.hotelagg import HotelaggError
from clients.payments import PaymentDeclined, PaymentError, PaymentInProgress, PaymentUnavailable
from servers.booking.reasons import BookingReason
from servers.hotel.reasons import HotelReason
from servers.runtime.errors import ApiError, Code, failed_precondition
from servers.runtime.upstream import relayed


def channel_manager_down(error: ChannelManagerUnavailable | None = None, retry_after: float | None = None) -> ApiError:
    retry = retry_after or getattr(error, "retry_after", None) or 1.0
    return ApiError(Code.UNAVAILABLE, BookingReason.CHANNEL_MANAGER_UNAVAILABLE,
                    "the hotel's channel manager cannot be reached; try again later", {}, retry_after_seconds=retry)


def as_api_error(error: Exception) -> ApiError | None:
    """The answer for a failure of a call we made; None when it is not one we know."""
    if isinstance(error, ApiError):
        return error
    if isinstance(error, HotelaggError):
        return relayed(error, HotelReason.INVENTORY_ERROR)
    if isinstance(error, SoldOut):
        return failed_precondition(HotelReason.SOLD_OUT, "sold out at the hotel's channel manager",
                                   night=error.date.isoformat() if error.date else "")
    if isinstance(error, Restricted):
        return failed_precondition(HotelReason.RESTRICTED, str(error), restriction=error.restriction,
                                   night=error.date.isoformat() if error.date else "")
    if isinstance(error, ChannelManagerUnavailable):
        return channel_manager_down(error)
    if isinstance(error, ChannelManagerError):
        return failed_precondition(BookingReason.CHANNEL_MANAGER_REFUSED, str(error), code=error.code)
    if isinstance(error, PaymentDeclined):
        return failed_precondition(BookingReason.PAYMENT_DECLINED, "the card was declined", decline_reason=error.reason)
    if isinstance(error, PaymentInProgress):
        return ApiError(Code.ABORTED, BookingReason.PAYMENT_IN_PROGRESS,
                        "the payment provider is still working on this payment",
                        {}, retry_after_seconds=getattr(error, "retry_after", None) or 1.0)
    if isinstance(error, PaymentError):
        return failed_precondition(BookingReason.PAYMENT_REFUSED, str(error), code=error.code)
    if isinstance(error, PaymentUnavailable):
        return ApiError(Code.UNAVAILABLE, BookingReason.PAYMENT_UNAVAILABLE,
                        "the payment provider cannot be reached; try again",
                        {}, retry_after_seconds=getattr(error, "retry_after", None) or 1.0)
    return None
