"""BookingService over gRPC: proto in, the booking flows, proto out."""

from __future__ import annotations

from hotelagg.booking.v1 import booking_pb2 as pb
from hotelagg.booking.v1 import booking_pb2_grpc

from servers.booking import domain, mapping, reserve, settle
from servers.booking.deps import BookingDeps
from servers.booking.errors import as_api_error
from servers.hotel.ids import check_hotel_id
from servers.runtime.credentials import Caller, Credentials
from servers.runtime.errors import ApiError, Violations, require_uuid
from servers.runtime.paging import PageTokens, page_size
from servers.storage.idempotency import Idempotency

SCOPE = "hotelagg.booking.v1.BookingService/"


def _check_booking_id(booking_id: str) -> None:
    require_uuid(booking_id, "booking_id", "booking_id CreateBooking returned")


async def _answering(call):
    """What went wrong in a call we made (inventory, channel manager, payments), as our API's error."""
    try:
        return await call
    except ApiError:
        raise
    except Exception as error:
        answer = as_api_error(error)
        if answer is None:
            raise
        raise answer from error


class BookingServicer(booking_pb2_grpc.BookingServiceServicer):
    def __init__(self, deps: BookingDeps, idempotency: Idempotency, page_tokens: PageTokens,
                 credentials: Credentials) -> None:
        self.deps = deps
        self.idempotency = idempotency
        self.page_tokens = page_tokens
        self.credentials = credentials

    def _caller(self, context) -> Caller:
        return self.credentials.caller(context.invocation_metadata())

    def _shown_to(self, caller: Caller, booking: pb.Booking) -> pb.Booking:
        """The booking as this caller may see it: the lead guest only for its owner, operators and services."""
        if not self.credentials.sees_guest(caller, booking.booking_id):
            booking.ClearField("lead_guest")
        return booking

    def _acting(self, context, booking_id: str) -> Caller:
        caller = self._caller(context)
        self.credentials.require_booking_access(caller, booking_id)
        return caller

    async def CreateBooking(self, request: pb.CreateBookingRequest, context) -> pb.CreateBookingResponse:
        v = Violations()
        v.check(0 < len(request.request_id) <= 128 and request.request_id.isprintable(), "request_id",
                "required: an idempotency key of at most 128 printable characters")
        new = mapping.new_booking(v, request)
        domain.validate(new, self.deps.clock.now().date(), v)
        booking = await _answering(reserve.create_booking(self.deps, request, new))
        # Whoever created it (or replays the very same request) is its owner: full guest, and the token.
        return pb.CreateBookingResponse(booking=mapping.booking_proto(booking),
                                        access_token=self.credentials.booking_token(booking.id))

    async def ConfirmBooking(self, request: pb.ConfirmBookingRequest, context) -> pb.ConfirmBookingResponse:
        _check_booking_id(request.booking_id)
        caller = self._acting(context, request.booking_id)

        async def work() -> pb.ConfirmBookingResponse:
            booking = await _answering(settle.confirm_booking(self.deps, request.booking_id, request.etag))
            return pb.ConfirmBookingResponse(booking=mapping.booking_proto(booking))

        # A confirm left HELD (paid, the channel manager unreachable) is finished later: its answer is not
        # kept, so a retry with the same request id tells how it ended instead of HELD forever.
        answer = await self.idempotency.run_outside(
            SCOPE + "ConfirmBooking", request, pb.ConfirmBookingResponse, work,
            final=lambda answer: answer.booking.status != pb.BOOKING_STATUS_HELD)
        return pb.ConfirmBookingResponse(booking=self._shown_to(caller, answer.booking))

    async def CancelBooking(self, request: pb.CancelBookingRequest, context) -> pb.CancelBookingResponse:
        _check_booking_id(request.booking_id)
        v = Violations()
        v.check(len(request.reason) <= 500, "reason", "at most 500 characters")
        v.raise_if_any()
        caller = self._acting(context, request.booking_id)

        async def work() -> pb.CancelBookingResponse:
            booking = await _answering(settle.cancel_booking(self.deps, request.booking_id, request.reason,
                                                             request.etag))
            return pb.CancelBookingResponse(booking=mapping.booking_proto(booking))

        answer = await self.idempotency.run_outside(
            SCOPE + "CancelBooking", request, pb.CancelBookingResponse, work,
            final=lambda answer: answer.booking.status == pb.BOOKING_STATUS_CANCELLED)
        return pb.CancelBookingResponse(booking=self._shown_to(caller, answer.booking))

    async def GetBooking(self, request: pb.GetBookingRequest, context) -> pb.GetBookingResponse:
        _check_booking_id(request.booking_id)
        caller = self._caller(context)
        booking = await self.deps.bookings.get(request.booking_id)
        return pb.GetBookingResponse(booking=self._shown_to(caller, mapping.booking_proto(booking)))

    async def ListBookings(self, request: pb.ListBookingsRequest, context) -> pb.ListBookingsResponse:
        v = Violations()
        if bool(request.user_id) == bool(request.hotel_id):
            v.add("user_id", "exactly one of user_id and hotel_id")
        elif request.hotel_id:
            check_hotel_id(v, request.hotel_id)
        else:
            v.check(bool(domain.USER_ID.fullmatch(request.user_id)), "user_id", "1 to 63 letters, digits and _.@:-")
        for i, status in enumerate(request.statuses):
            v.check(status in mapping.STATUS_NAMES, f"statuses[{i}]", "a booking status other than UNSPECIFIED")
        v.raise_if_any()
        caller = self._caller(context)
        limit = page_size(request.page_size)
        statuses = sorted(mapping.STATUS_NAMES[s] for s in request.statuses)
        filters = {"user": request.user_id, "hotel": request.hotel_id, "statuses": statuses}
        after = self.page_tokens.read_newest_first(request.page_token, "bookings", filters)
        rows = await self.deps.bookings.page(user_id=request.user_id, hotel_id=request.hotel_id, statuses=statuses,
                                             after=after, limit=limit + 1)
        token = ""
        if len(rows) > limit:
            rows = rows[:limit]
            token = self.page_tokens.issue("bookings", filters, [rows[-1].created_at.isoformat(), rows[-1].id])
        return pb.ListBookingsResponse(bookings=[self._shown_to(caller, mapping.booking_proto(r)) for r in rows],
                                       next_page_token=token)
