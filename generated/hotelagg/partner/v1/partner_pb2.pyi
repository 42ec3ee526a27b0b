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

class PartnerProtocol(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PARTNER_PROTOCOL_UNSPECIFIED: _ClassVar[PartnerProtocol]
    PARTNER_PROTOCOL_JSON_REST: _ClassVar[PartnerProtocol]
    PARTNER_PROTOCOL_OTA_XML: _ClassVar[PartnerProtocol]

class ReservationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESERVATION_STATUS_UNSPECIFIED: _ClassVar[ReservationStatus]
    RESERVATION_STATUS_BOOKED: _ClassVar[ReservationStatus]
    RESERVATION_STATUS_MODIFIED: _ClassVar[ReservationStatus]
    RESERVATION_STATUS_CANCELLED: _ClassVar[ReservationStatus]

class DeliveryStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELIVERY_STATUS_UNSPECIFIED: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_PENDING: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_RETRYING: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_DELIVERED: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_PARKED: _ClassVar[DeliveryStatus]
PARTNER_PROTOCOL_UNSPECIFIED: PartnerProtocol
PARTNER_PROTOCOL_JSON_REST: PartnerProtocol
PARTNER_PROTOCOL_OTA_XML: PartnerProtocol
RESERVATION_STATUS_UNSPECIFIED: ReservationStatus
RESERVATION_STATUS_BOOKED: ReservationStatus
RESERVATION_STATUS_MODIFIED: ReservationStatus
RESERVATION_STATUS_CANCELLED: ReservationStatus
DELIVERY_STATUS_UNSPECIFIED: DeliveryStatus
DELIVERY_STATUS_PENDING: DeliveryStatus
DELIVERY_STATUS_RETRYING: DeliveryStatus
DELIVERY_STATUS_DELIVERED: DeliveryStatus
DELIVERY_STATUS_PARKED: DeliveryStatus

class RateLimit(_message.Message):
    __slots__ = ("requests_per_minute", "inbound_requests_per_minute")
    REQUESTS_PER_MINUTE_FIELD_NUMBER: _ClassVar[int]
    INBOUND_REQUESTS_PER_MINUTE_FIELD_NUMBER: _ClassVar[int]
    requests_per_minute: int
    inbound_requests_per_minute: int
    def __init__(self, requests_per_minute: _Optional[int] = ..., inbound_requests_per_minute: _Optional[int] = ...) -> None: ...

class Partner(_message.Message):
    __slots__ = ("partner_id", "name", "protocol", "endpoint_url", "rate_limit", "api_key_prefix", "etag", "create_time")
    PARTNER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_URL_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    API_KEY_PREFIX_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    partner_id: str
    name: str
    protocol: PartnerProtocol
    endpoint_url: str
    rate_limit: RateLimit
    api_key_prefix: str
    etag: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, partner_id: _Optional[str] = ..., name: _Optional[str] = ..., protocol: _Optional[_Union[PartnerProtocol, str]] = ..., endpoint_url: _Optional[str] = ..., rate_limit: _Optional[_Union[RateLimit, _Mapping]] = ..., api_key_prefix: _Optional[str] = ..., etag: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Listing(_message.Message):
    __slots__ = ("listing_id", "partner_id", "hotel_id", "room_type_code", "partner_property_code", "partner_room_code", "active", "etag", "create_time")
    LISTING_ID_FIELD_NUMBER: _ClassVar[int]
    PARTNER_ID_FIELD_NUMBER: _ClassVar[int]
    HOTEL_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    PARTNER_PROPERTY_CODE_FIELD_NUMBER: _ClassVar[int]
    PARTNER_ROOM_CODE_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    listing_id: str
    partner_id: str
    hotel_id: str
    room_type_code: str
    partner_property_code: str
    partner_room_code: str
    active: bool
    etag: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, listing_id: _Optional[str] = ..., partner_id: _Optional[str] = ..., hotel_id: _Optional[str] = ..., room_type_code: _Optional[str] = ..., partner_property_code: _Optional[str] = ..., partner_room_code: _Optional[str] = ..., active: _Optional[bool] = ..., etag: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PartnerReservation(_message.Message):
    __slots__ = ("partner_reservation_id", "revision", "status", "partner_property_code", "partner_room_code", "check_in", "check_out", "rooms", "guests", "guest_name", "total_amount")
    PARTNER_RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PARTNER_PROPERTY_CODE_FIELD_NUMBER: _ClassVar[int]
    PARTNER_ROOM_CODE_FIELD_NUMBER: _ClassVar[int]
    CHECK_IN_FIELD_NUMBER: _ClassVar[int]
    CHECK_OUT_FIELD_NUMBER: _ClassVar[int]
    ROOMS_FIELD_NUMBER: _ClassVar[int]
    GUESTS_FIELD_NUMBER: _ClassVar[int]
    GUEST_NAME_FIELD_NUMBER: _ClassVar[int]
    TOTAL_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    partner_reservation_id: str
    revision: int
    status: ReservationStatus
    partner_property_code: str
    partner_room_code: str
    check_in: _common_pb2.Date
    check_out: _common_pb2.Date
    rooms: int
    guests: int
    guest_name: str
    total_amount: _common_pb2.Money
    def __init__(self, partner_reservation_id: _Optional[str] = ..., revision: _Optional[int] = ..., status: _Optional[_Union[ReservationStatus, str]] = ..., partner_property_code: _Optional[str] = ..., partner_room_code: _Optional[str] = ..., check_in: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., check_out: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., rooms: _Optional[int] = ..., guests: _Optional[int] = ..., guest_name: _Optional[str] = ..., total_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class Delivery(_message.Message):
    __slots__ = ("delivery_id", "partner_id", "hotel_id", "status", "attempt_count", "last_error", "change_count", "idempotency_key", "create_time", "next_attempt_time", "deliver_time")
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    PARTNER_ID_FIELD_NUMBER: _ClassVar[int]
    HOTEL_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_COUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    CHANGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_TIME_FIELD_NUMBER: _ClassVar[int]
    DELIVER_TIME_FIELD_NUMBER: _ClassVar[int]
    delivery_id: str
    partner_id: str
    hotel_id: str
    status: DeliveryStatus
    attempt_count: int
    last_error: str
    change_count: int
    idempotency_key: str
    create_time: _timestamp_pb2.Timestamp
    next_attempt_time: _timestamp_pb2.Timestamp
    deliver_time: _timestamp_pb2.Timestamp
    def __init__(self, delivery_id: _Optional[str] = ..., partner_id: _Optional[str] = ..., hotel_id: _Optional[str] = ..., status: _Optional[_Union[DeliveryStatus, str]] = ..., attempt_count: _Optional[int] = ..., last_error: _Optional[str] = ..., change_count: _Optional[int] = ..., idempotency_key: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_attempt_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deliver_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreatePartnerRequest(_message.Message):
    __slots__ = ("request_id", "partner_id", "partner")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PARTNER_ID_FIELD_NUMBER: _ClassVar[int]
    PARTNER_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    partner_id: str
    partner: Partner
    def __init__(self, request_id: _Optional[str] = ..., partner_id: _Optional[str] = ..., partner: _Optional[_Union[Partner, _Mapping]] = ...) -> None: ...

class CreatePartnerResponse(_message.Message):
    __slots__ = ("partner", "api_key")
    PARTNER_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    partner: Partner
    api_key: str
    def __init__(self, partner: _Optional[_Union[Partner, _Mapping]] = ..., api_key: _Optional[str] = ...) -> None: ...

class GetPartnerRequest(_message.Message):
    __slots__ = ("partner_id",)
    PARTNER_ID_FIELD_NUMBER: _ClassVar[int]
    partner_id: str
    def __init__(self, partner_id: _Optional[str] = ...) -> None: ...

class GetPartnerResponse(_message.Message):
    __slots__ = ("partner",)
    PARTNER_FIELD_NUMBER: _ClassVar[int]
    partner: Partner
    def __init__(self, partner: _Optional[_Union[Partner, _Mapping]] = ...) -> None: ...

class ListPartnersRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPartnersResponse(_message.Message):
    __slots__ = ("partners", "next_page_token")
    PARTNERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    partners: _containers.RepeatedCompositeFieldContainer[Partner]
    next_page_token: str
    def __init__(self, partners: _Optional[_Iterable[_Union[Partner, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateListingRequest(_message.Message):
    __slots__ = ("request_id", "listing")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    LISTING_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    listing: Listing
    def __init__(self, request_id: _Optional[str] = ..., listing: _Optional[_Union[Listing, _Mapping]] = ...) -> None: ...

class CreateListingResponse(_message.Message):
    __slots__ = ("listing",)
    LISTING_FIELD_NUMBER: _ClassVar[int]
    listing: Listing
    def __init__(self, listing: _Optional[_Union[Listing, _Mapping]] = ...) -> None: ...

class ListListingsRequest(_message.Message):
    __slots__ = ("partner_id", "hotel_id", "page_size", "page_token")
    PARTNER_ID_FIELD_NUMBER: _ClassVar[int]
    HOTEL_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    partner_id: str
    hotel_id: str
    page_size: int
    page_token: str
    def __init__(self, partner_id: _Optional[str] = ..., hotel_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListListingsResponse(_message.Message):
    __slots__ = ("listings", "next_page_token")
    LISTINGS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    listings: _containers.RepeatedCompositeFieldContainer[Listing]
    next_page_token: str
    def __init__(self, listings: _Optional[_Iterable[_Union[Listing, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class NotifyReservationRequest(_message.Message):
    __slots__ = ("request_id", "reservation")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    reservation: PartnerReservation
    def __init__(self, request_id: _Optional[str] = ..., reservation: _Optional[_Union[PartnerReservation, _Mapping]] = ...) -> None: ...

class NotifyReservationResponse(_message.Message):
    __slots__ = ("booking_id", "over_capacity", "revision")
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    OVER_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    over_capacity: bool
    revision: int
    def __init__(self, booking_id: _Optional[str] = ..., over_capacity: _Optional[bool] = ..., revision: _Optional[int] = ...) -> None: ...

class ListDeliveriesRequest(_message.Message):
    __slots__ = ("partner_id", "statuses", "page_size", "page_token")
    PARTNER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    partner_id: str
    statuses: _containers.RepeatedScalarFieldContainer[DeliveryStatus]
    page_size: int
    page_token: str
    def __init__(self, partner_id: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[DeliveryStatus, str]]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDeliveriesResponse(_message.Message):
    __slots__ = ("deliveries", "next_page_token")
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[Delivery]
    next_page_token: str
    def __init__(self, deliveries: _Optional[_Iterable[_Union[Delivery, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RetryDeliveryRequest(_message.Message):
    __slots__ = ("request_id", "delivery_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    delivery_id: str
    def __init__(self, request_id: _Optional[str] = ..., delivery_id: _Optional[str] = ...) -> None: ...

class RetryDeliveryResponse(_message.Message):
    __slots__ = ("delivery",)
    DELIVERY_FIELD_NUMBER: _ClassVar[int]
    delivery: Delivery
    def __init__(self, delivery: _Optional[_Union[Delivery, _Mapping]] = ...) -> None: ...

class SyncListingRequest(_message.Message):
    __slots__ = ("request_id", "listing_id", "start_date", "end_date")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    LISTING_ID_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    listing_id: str
    start_date: _common_pb2.Date
    end_date: _common_pb2.Date
    def __init__(self, request_id: _Optional[str] = ..., listing_id: _Optional[str] = ..., start_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ...) -> None: ...

class SyncListingResponse(_message.Message):
    __slots__ = ("delivery",)
    DELIVERY_FIELD_NUMBER: _ClassVar[int]
    delivery: Delivery
    def __init__(self, delivery: _Optional[_Union[Delivery, _Mapping]] = ...) -> None: ...
