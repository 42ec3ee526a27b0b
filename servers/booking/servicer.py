"""BookingService: reserve → pay → confirm (built by issue 4)."""

from __future__ import annotations

from hotelagg.booking.v1 import booking_pb2_grpc

from servers.runtime.errors import not_built_yet


class BookingServicer(booking_pb2_grpc.BookingServiceServicer):
    CreateBooking = not_built_yet("CreateBooking")
    ConfirmBooking = not_built_yet("ConfirmBooking")
    CancelBooking = not_built_yet("CancelBooking")
    GetBooking = not_built_yet("GetBooking")
    ListBookings = not_built_yet("ListBookings")
