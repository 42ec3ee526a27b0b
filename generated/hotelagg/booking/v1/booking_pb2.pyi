import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from hotelagg.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BookingStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BOOKING_STATUS_UNSPECIFIED: _ClassVar[BookingStatus]
    BOOKING_STATUS_PENDING: _ClassVar[BookingStatus]
    BOOKING_STATUS_HELD: _ClassVar[BookingStatus]
    BOOKING_STATUS_CONFIRMED: _ClassVar[BookingStatus]
    BOOKING_STATUS_CANCELLED: _ClassVar[BookingStatus]
    BOOKING_STATUS_EXPIRED: _ClassVar[BookingStatus]
    BOOKING_STATUS_FAILED: _ClassVar[BookingStatus]
    BOOKING_STATUS_CANCELLING: _ClassVar[BookingStatus]
BOOKING_STATUS_UNSPECIFIED: BookingStatus
BOOKING_STATUS_PENDING: BookingStatus
BOOKING_STATUS_HELD: BookingStatus
BOOKING_STATUS_CONFIRMED: BookingStatus
BOOKING_STATUS_CANCELLED: BookingStatus
BOOKING_STATUS_EXPIRED: BookingStatus
BOOKING_STATUS_FAILED: BookingStatus
BOOKING_STATUS_CANCELLING: BookingStatus

class Guest(_message.Message):
    __slots__ = ("given_name", "family_name", "email", "phone")
    GIVEN_NAME_FIELD_NUMBER: _ClassVar[int]
    FAMILY_NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    given_name: str
    family_name: str
    email: str
    phone: str
    def __init__(self, given_name: _Optional[str] = ..., family_name: _Optional[str] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ...) -> None: ...

class Booking(_message.Message):
    __slots__ = ("booking_id", "user_id", "hotel_id", "room_type_code", "check_in", "check_out", "rooms", "guests", "lead_guest", "status", "expire_time", "total_amount", "paid_amount", "fee_amount", "channel", "channel_manager_reservation_id", "payment_reference", "etag", "create_time", "update_time")
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    HOTEL_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    CHECK_IN_FIELD_NUMBER: _ClassVar[int]
    CHECK_OUT_FIELD_NUMBER: _ClassVar[int]
    ROOMS_FIELD_NUMBER: _ClassVar[int]
    GUESTS_FIELD_NUMBER: _ClassVar[int]
    LEAD_GUEST_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    TOTAL_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PAID_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    FEE_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_MANAGER_RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    user_id: str
    hotel_id: str
    room_type_code: str
    check_in: _common_pb2.Date
    check_out: _common_pb2.Date
    rooms: int
    guests: int
    lead_guest: Guest
    status: BookingStatus
    expire_time: _timestamp_pb2.Timestamp
    total_amount: _common_pb2.Money
    paid_amount: _common_pb2.Money
    fee_amount: _common_pb2.Money
    channel: str
    channel_manager_reservation_id: str
    payment_reference: str
    etag: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, booking_id: _Optional[str] = ..., user_id: _Optional[str] = ..., hotel_id: _Optional[str] = ..., room_type_code: _Optional[str] = ..., check_in: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., check_out: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., rooms: _Optional[int] = ..., guests: _Optional[int] = ..., lead_guest: _Optional[_Union[Guest, _Mapping]] = ..., status: _Optional[_Union[BookingStatus, str]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., total_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., paid_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., fee_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., channel: _Optional[str] = ..., channel_manager_reservation_id: _Optional[str] = ..., payment_reference: _Optional[str] = ..., etag: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateBookingRequest(_message.Message):
    __slots__ = ("request_id", "user_id", "hotel_id", "room_type_code", "check_in", "check_out", "rooms", "guests", "lead_guest", "payment_token")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    HOTEL_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    CHECK_IN_FIELD_NUMBER: _ClassVar[int]
    CHECK_OUT_FIELD_NUMBER: _ClassVar[int]
    ROOMS_FIELD_NUMBER: _ClassVar[int]
    GUESTS_FIELD_NUMBER: _ClassVar[int]
    LEAD_GUEST_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    user_id: str
    hotel_id: str
    room_type_code: str
    check_in: _common_pb2.Date
    check_out: _common_pb2.Date
    rooms: int
    guests: int
    lead_guest: Guest
    payment_token: str
    def __init__(self, request_id: _Optional[str] = ..., user_id: _Optional[str] = ..., hotel_id: _Optional[str] = ..., room_type_code: _Optional[str] = ..., check_in: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., check_out: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., rooms: _Optional[int] = ..., guests: _Optional[int] = ..., lead_guest: _Optional[_Union[Guest, _Mapping]] = ..., payment_token: _Optional[str] = ...) -> None: ...

class CreateBookingResponse(_message.Message):
    __slots__ = ("booking", "access_token")
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    booking: Booking
    access_token: str
    def __init__(self, booking: _Optional[_Union[Booking, _Mapping]] = ..., access_token: _Optional[str] = ...) -> None: ...

class ConfirmBookingRequest(_message.Message):
    __slots__ = ("request_id", "booking_id", "etag")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    booking_id: str
    etag: str
    def __init__(self, request_id: _Optional[str] = ..., booking_id: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class ConfirmBookingResponse(_message.Message):
    __slots__ = ("booking",)
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    booking: Booking
    def __init__(self, booking: _Optional[_Union[Booking, _Mapping]] = ...) -> None: ...

class CancelBookingRequest(_message.Message):
    __slots__ = ("request_id", "booking_id", "reason", "etag")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    booking_id: str
    reason: str
    etag: str
    def __init__(self, request_id: _Optional[str] = ..., booking_id: _Optional[str] = ..., reason: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class CancelBookingResponse(_message.Message):
    __slots__ = ("booking",)
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    booking: Booking
    def __init__(self, booking: _Optional[_Union[Booking, _Mapping]] = ...) -> None: ...

class GetBookingRequest(_message.Message):
    __slots__ = ("booking_id",)
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    def __init__(self, booking_id: _Optional[str] = ...) -> None: ...

class GetBookingResponse(_message.Message):
    __slots__ = ("booking",)
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    booking: Booking
    def __init__(self, booking: _Optional[_Union[Booking, _Mapping]] = ...) -> None: ...

class ListBookingsRequest(_message.Message):
    __slots__ = ("user_id", "hotel_id", "statuses", "page_size", "page_token")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    HOTEL_ID_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    hotel_id: str
    statuses: _containers.RepeatedScalarFieldContainer[BookingStatus]
    page_size: int
    page_token: str
    def __init__(self, user_id: _Optional[str] = ..., hotel_id: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[BookingStatus, str]]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListBookingsResponse(_message.Message):
    __slots__ = ("bookings", "next_page_token")
    BOOKINGS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    bookings: _containers.RepeatedCompositeFieldContainer[Booking]
    next_page_token: str
    def __init__(self, bookings: _Optional[_Iterable[_Union[Booking, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
