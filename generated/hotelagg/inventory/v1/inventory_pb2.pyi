import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from hotelagg.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class HoldStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HOLD_STATUS_UNSPECIFIED: _ClassVar[HoldStatus]
    HOLD_STATUS_HELD: _ClassVar[HoldStatus]
    HOLD_STATUS_RELEASED: _ClassVar[HoldStatus]
    HOLD_STATUS_COMMITTED: _ClassVar[HoldStatus]
    HOLD_STATUS_EXPIRED: _ClassVar[HoldStatus]

class ChangeCause(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANGE_CAUSE_UNSPECIFIED: _ClassVar[ChangeCause]
    CHANGE_CAUSE_DIRECT_UPDATE: _ClassVar[ChangeCause]
    CHANGE_CAUSE_CHANNEL_UPDATE: _ClassVar[ChangeCause]
    CHANGE_CAUSE_HOLD: _ClassVar[ChangeCause]
    CHANGE_CAUSE_RELEASE: _ClassVar[ChangeCause]
    CHANGE_CAUSE_COMMIT: _ClassVar[ChangeCause]
    CHANGE_CAUSE_EXPIRY: _ClassVar[ChangeCause]
    CHANGE_CAUSE_PARTNER_RESERVATION: _ClassVar[ChangeCause]
HOLD_STATUS_UNSPECIFIED: HoldStatus
HOLD_STATUS_HELD: HoldStatus
HOLD_STATUS_RELEASED: HoldStatus
HOLD_STATUS_COMMITTED: HoldStatus
HOLD_STATUS_EXPIRED: HoldStatus
CHANGE_CAUSE_UNSPECIFIED: ChangeCause
CHANGE_CAUSE_DIRECT_UPDATE: ChangeCause
CHANGE_CAUSE_CHANNEL_UPDATE: ChangeCause
CHANGE_CAUSE_HOLD: ChangeCause
CHANGE_CAUSE_RELEASE: ChangeCause
CHANGE_CAUSE_COMMIT: ChangeCause
CHANGE_CAUSE_EXPIRY: ChangeCause
CHANGE_CAUSE_PARTNER_RESERVATION: ChangeCause

class Hotel(_message.Message):
    __slots__ = ("hotel_id", "name", "city", "country_code", "latitude", "longitude", "time_zone", "currency_code", "channel_manager", "overbooking_allowance", "room_types", "etag", "create_time", "free_cancellation_hours", "cancellation_fee_percent")
    HOTEL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_MANAGER_FIELD_NUMBER: _ClassVar[int]
    OVERBOOKING_ALLOWANCE_FIELD_NUMBER: _ClassVar[int]
    ROOM_TYPES_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    FREE_CANCELLATION_HOURS_FIELD_NUMBER: _ClassVar[int]
    CANCELLATION_FEE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    hotel_id: str
    name: str
    city: str
    country_code: str
    latitude: float
    longitude: float
    time_zone: str
    currency_code: str
    channel_manager: ChannelManagerLink
    overbooking_allowance: int
    room_types: _containers.RepeatedCompositeFieldContainer[RoomType]
    etag: str
    create_time: _timestamp_pb2.Timestamp
    free_cancellation_hours: int
    cancellation_fee_percent: int
    def __init__(self, hotel_id: _Optional[str] = ..., name: _Optional[str] = ..., city: _Optional[str] = ..., country_code: _Optional[str] = ..., latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., time_zone: _Optional[str] = ..., currency_code: _Optional[str] = ..., channel_manager: _Optional[_Union[ChannelManagerLink, _Mapping]] = ..., overbooking_allowance: _Optional[int] = ..., room_types: _Optional[_Iterable[_Union[RoomType, _Mapping]]] = ..., etag: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., free_cancellation_hours: _Optional[int] = ..., cancellation_fee_percent: _Optional[int] = ...) -> None: ...

class ChannelManagerLink(_message.Message):
    __slots__ = ("channel_manager_id", "base_url", "hotel_code")
    CHANNEL_MANAGER_ID_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_FIELD_NUMBER: _ClassVar[int]
    HOTEL_CODE_FIELD_NUMBER: _ClassVar[int]
    channel_manager_id: str
    base_url: str
    hotel_code: str
    def __init__(self, channel_manager_id: _Optional[str] = ..., base_url: _Optional[str] = ..., hotel_code: _Optional[str] = ...) -> None: ...

class RoomType(_message.Message):
    __slots__ = ("hotel_id", "code", "name", "max_occupancy", "total_rooms", "etag")
    HOTEL_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MAX_OCCUPANCY_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ROOMS_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    hotel_id: str
    code: str
    name: str
    max_occupancy: int
    total_rooms: int
    etag: str
    def __init__(self, hotel_id: _Optional[str] = ..., code: _Optional[str] = ..., name: _Optional[str] = ..., max_occupancy: _Optional[int] = ..., total_rooms: _Optional[int] = ..., etag: _Optional[str] = ...) -> None: ...

class Restrictions(_message.Message):
    __slots__ = ("min_stay", "max_stay", "closed_to_arrival", "closed_to_departure", "stop_sell")
    MIN_STAY_FIELD_NUMBER: _ClassVar[int]
    MAX_STAY_FIELD_NUMBER: _ClassVar[int]
    CLOSED_TO_ARRIVAL_FIELD_NUMBER: _ClassVar[int]
    CLOSED_TO_DEPARTURE_FIELD_NUMBER: _ClassVar[int]
    STOP_SELL_FIELD_NUMBER: _ClassVar[int]
    min_stay: int
    max_stay: int
    closed_to_arrival: bool
    closed_to_departure: bool
    stop_sell: bool
    def __init__(self, min_stay: _Optional[int] = ..., max_stay: _Optional[int] = ..., closed_to_arrival: _Optional[bool] = ..., closed_to_departure: _Optional[bool] = ..., stop_sell: _Optional[bool] = ...) -> None: ...

class NightInventory(_message.Message):
    __slots__ = ("date", "total_rooms", "available_rooms", "held_rooms", "sellable_rooms", "price", "restrictions", "version")
    DATE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ROOMS_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_ROOMS_FIELD_NUMBER: _ClassVar[int]
    HELD_ROOMS_FIELD_NUMBER: _ClassVar[int]
    SELLABLE_ROOMS_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    RESTRICTIONS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    date: _common_pb2.Date
    total_rooms: int
    available_rooms: int
    held_rooms: int
    sellable_rooms: int
    price: _common_pb2.Money
    restrictions: Restrictions
    version: int
    def __init__(self, date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., total_rooms: _Optional[int] = ..., available_rooms: _Optional[int] = ..., held_rooms: _Optional[int] = ..., sellable_rooms: _Optional[int] = ..., price: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., restrictions: _Optional[_Union[Restrictions, _Mapping]] = ..., version: _Optional[int] = ...) -> None: ...

class CreateHotelRequest(_message.Message):
    __slots__ = ("request_id", "hotel_id", "hotel")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    HOTEL_ID_FIELD_NUMBER: _ClassVar[int]
    HOTEL_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    hotel_id: str
    hotel: Hotel
    def __init__(self, request_id: _Optional[str] = ..., hotel_id: _Optional[str] = ..., hotel: _Optional[_Union[Hotel, _Mapping]] = ...) -> None: ...

class CreateHotelResponse(_message.Message):
    __slots__ = ("hotel",)
    HOTEL_FIELD_NUMBER: _ClassVar[int]
    hotel: Hotel
    def __init__(self, hotel: _Optional[_Union[Hotel, _Mapping]] = ...) -> None: ...

class GetHotelRequest(_message.Message):
    __slots__ = ("hotel_id",)
    HOTEL_ID_FIELD_NUMBER: _ClassVar[int]
    hotel_id: str
    def __init__(self, hotel_id: _Optional[str] = ...) -> None: ...

class GetHotelResponse(_message.Message):
    __slots__ = ("hotel",)
    HOTEL_FIELD_NUMBER: _ClassVar[int]
    hotel: Hotel
    def __init__(self, hotel: _Optional[_Union[Hotel, _Mapping]] = ...) -> None: ...

class ListHotelsRequest(_message.Message):
    __slots__ = ("city", "country_code", "page_size", "page_token")
    CITY_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    city: str
    country_code: str
    page_size: int
    page_token: str
    def __init__(self, city: _Optional[str] = ..., country_code: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListHotelsResponse(_message.Message):
    __slots__ = ("hotels", "next_page_token")
    HOTELS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    hotels: _containers.RepeatedCompositeFieldContainer[Hotel]
    next_page_token: str
    def __init__(self, hotels: _Optional[_Iterable[_Union[Hotel, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateRoomTypeRequest(_message.Message):
    __slots__ = ("request_id", "hotel_id", "room_type")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    HOTEL_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_TYPE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    hotel_id: str
    room_type: RoomType
    def __init__(self, request_id: _Optional[str] = ..., hotel_id: _Optional[str] = ..., room_type: _Optional[_Union[RoomType, _Mapping]] = ...) -> None: ...

class CreateRoomTypeResponse(_message.Message):
    __slots__ = ("room_type",)
    ROOM_TYPE_FIELD_NUMBER: _ClassVar[int]
    room_type: RoomType
    def __init__(self, room_type: _Optional[_Union[RoomType, _Mapping]] = ...) -> None: ...

class UpdateInventoryRequest(_message.Message):
    __slots__ = ("request_id", "hotel_id", "room_type_code", "start_date", "end_date", "total_rooms", "price", "min_stay", "max_stay", "closed_to_arrival", "closed_to_departure", "stop_sell", "etag")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    HOTEL_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ROOMS_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    MIN_STAY_FIELD_NUMBER: _ClassVar[int]
    MAX_STAY_FIELD_NUMBER: _ClassVar[int]
    CLOSED_TO_ARRIVAL_FIELD_NUMBER: _ClassVar[int]
    CLOSED_TO_DEPARTURE_FIELD_NUMBER: _ClassVar[int]
    STOP_SELL_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    hotel_id: str
    room_type_code: str
    start_date: _common_pb2.Date
    end_date: _common_pb2.Date
    total_rooms: int
    price: _common_pb2.Money
    min_stay: int
    max_stay: int
    closed_to_arrival: bool
    closed_to_departure: bool
    stop_sell: bool
    etag: str
    def __init__(self, request_id: _Optional[str] = ..., hotel_id: _Optional[str] = ..., room_type_code: _Optional[str] = ..., start_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., total_rooms: _Optional[int] = ..., price: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., min_stay: _Optional[int] = ..., max_stay: _Optional[int] = ..., closed_to_arrival: _Optional[bool] = ..., closed_to_departure: _Optional[bool] = ..., stop_sell: _Optional[bool] = ..., etag: _Optional[str] = ...) -> None: ...

class UpdateInventoryResponse(_message.Message):
    __slots__ = ("nights", "etag")
    NIGHTS_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    nights: _containers.RepeatedCompositeFieldContainer[NightInventory]
    etag: str
    def __init__(self, nights: _Optional[_Iterable[_Union[NightInventory, _Mapping]]] = ..., etag: _Optional[str] = ...) -> None: ...

class GetAvailabilityRequest(_message.Message):
    __slots__ = ("hotel_id", "room_type_code", "start_date", "end_date")
    HOTEL_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    hotel_id: str
    room_type_code: str
    start_date: _common_pb2.Date
    end_date: _common_pb2.Date
    def __init__(self, hotel_id: _Optional[str] = ..., room_type_code: _Optional[str] = ..., start_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ...) -> None: ...

class GetAvailabilityResponse(_message.Message):
    __slots__ = ("room_types",)
    ROOM_TYPES_FIELD_NUMBER: _ClassVar[int]
    room_types: _containers.RepeatedCompositeFieldContainer[RoomTypeAvailability]
    def __init__(self, room_types: _Optional[_Iterable[_Union[RoomTypeAvailability, _Mapping]]] = ...) -> None: ...

class RoomTypeAvailability(_message.Message):
    __slots__ = ("room_type_code", "nights", "etag")
    ROOM_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    NIGHTS_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    room_type_code: str
    nights: _containers.RepeatedCompositeFieldContainer[NightInventory]
    etag: str
    def __init__(self, room_type_code: _Optional[str] = ..., nights: _Optional[_Iterable[_Union[NightInventory, _Mapping]]] = ..., etag: _Optional[str] = ...) -> None: ...

class Hold(_message.Message):
    __slots__ = ("hold_id", "hotel_id", "room_type_code", "check_in", "check_out", "quantity", "status", "expire_time", "create_time", "etag", "total_price")
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    HOTEL_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    CHECK_IN_FIELD_NUMBER: _ClassVar[int]
    CHECK_OUT_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PRICE_FIELD_NUMBER: _ClassVar[int]
    hold_id: str
    hotel_id: str
    room_type_code: str
    check_in: _common_pb2.Date
    check_out: _common_pb2.Date
    quantity: int
    status: HoldStatus
    expire_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    etag: str
    total_price: _common_pb2.Money
    def __init__(self, hold_id: _Optional[str] = ..., hotel_id: _Optional[str] = ..., room_type_code: _Optional[str] = ..., check_in: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., check_out: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., quantity: _Optional[int] = ..., status: _Optional[_Union[HoldStatus, str]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ..., total_price: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class HoldInventoryRequest(_message.Message):
    __slots__ = ("request_id", "hotel_id", "room_type_code", "check_in", "check_out", "quantity", "ttl")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    HOTEL_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    CHECK_IN_FIELD_NUMBER: _ClassVar[int]
    CHECK_OUT_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    hotel_id: str
    room_type_code: str
    check_in: _common_pb2.Date
    check_out: _common_pb2.Date
    quantity: int
    ttl: _duration_pb2.Duration
    def __init__(self, request_id: _Optional[str] = ..., hotel_id: _Optional[str] = ..., room_type_code: _Optional[str] = ..., check_in: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., check_out: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., quantity: _Optional[int] = ..., ttl: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class HoldInventoryResponse(_message.Message):
    __slots__ = ("hold",)
    HOLD_FIELD_NUMBER: _ClassVar[int]
    hold: Hold
    def __init__(self, hold: _Optional[_Union[Hold, _Mapping]] = ...) -> None: ...

class ReleaseHoldRequest(_message.Message):
    __slots__ = ("request_id", "hold_id", "cancel_sale")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    CANCEL_SALE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    hold_id: str
    cancel_sale: bool
    def __init__(self, request_id: _Optional[str] = ..., hold_id: _Optional[str] = ..., cancel_sale: _Optional[bool] = ...) -> None: ...

class ReleaseHoldResponse(_message.Message):
    __slots__ = ("hold",)
    HOLD_FIELD_NUMBER: _ClassVar[int]
    hold: Hold
    def __init__(self, hold: _Optional[_Union[Hold, _Mapping]] = ...) -> None: ...

class CommitHoldRequest(_message.Message):
    __slots__ = ("request_id", "hold_id")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    hold_id: str
    def __init__(self, request_id: _Optional[str] = ..., hold_id: _Optional[str] = ...) -> None: ...

class CommitHoldResponse(_message.Message):
    __slots__ = ("hold",)
    HOLD_FIELD_NUMBER: _ClassVar[int]
    hold: Hold
    def __init__(self, hold: _Optional[_Union[Hold, _Mapping]] = ...) -> None: ...

class InventoryDelta(_message.Message):
    __slots__ = ("room_type_code", "date", "available_change")
    ROOM_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_CHANGE_FIELD_NUMBER: _ClassVar[int]
    room_type_code: str
    date: _common_pb2.Date
    available_change: int
    def __init__(self, room_type_code: _Optional[str] = ..., date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., available_change: _Optional[int] = ...) -> None: ...

class InventorySnapshot(_message.Message):
    __slots__ = ("room_type_code", "nights")
    ROOM_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    NIGHTS_FIELD_NUMBER: _ClassVar[int]
    room_type_code: str
    nights: _containers.RepeatedCompositeFieldContainer[NightSnapshot]
    def __init__(self, room_type_code: _Optional[str] = ..., nights: _Optional[_Iterable[_Union[NightSnapshot, _Mapping]]] = ...) -> None: ...

class NightSnapshot(_message.Message):
    __slots__ = ("date", "total_rooms", "available_rooms", "price", "restrictions")
    DATE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ROOMS_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_ROOMS_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    RESTRICTIONS_FIELD_NUMBER: _ClassVar[int]
    date: _common_pb2.Date
    total_rooms: int
    available_rooms: int
    price: _common_pb2.Money
    restrictions: Restrictions
    def __init__(self, date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., total_rooms: _Optional[int] = ..., available_rooms: _Optional[int] = ..., price: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., restrictions: _Optional[_Union[Restrictions, _Mapping]] = ...) -> None: ...

class ChannelUpdate(_message.Message):
    __slots__ = ("event_id", "sequence", "occur_time", "delta", "snapshot")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    sequence: int
    occur_time: _timestamp_pb2.Timestamp
    delta: InventoryDelta
    snapshot: InventorySnapshot
    def __init__(self, event_id: _Optional[str] = ..., sequence: _Optional[int] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delta: _Optional[_Union[InventoryDelta, _Mapping]] = ..., snapshot: _Optional[_Union[InventorySnapshot, _Mapping]] = ...) -> None: ...

class ApplyChannelUpdatesRequest(_message.Message):
    __slots__ = ("request_id", "hotel_id", "updates")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    HOTEL_ID_FIELD_NUMBER: _ClassVar[int]
    UPDATES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    hotel_id: str
    updates: _containers.RepeatedCompositeFieldContainer[ChannelUpdate]
    def __init__(self, request_id: _Optional[str] = ..., hotel_id: _Optional[str] = ..., updates: _Optional[_Iterable[_Union[ChannelUpdate, _Mapping]]] = ...) -> None: ...

class ApplyChannelUpdatesResponse(_message.Message):
    __slots__ = ("applied_count", "duplicate_count", "stale_count", "last_sequence", "gap_detected")
    APPLIED_COUNT_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_COUNT_FIELD_NUMBER: _ClassVar[int]
    STALE_COUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    GAP_DETECTED_FIELD_NUMBER: _ClassVar[int]
    applied_count: int
    duplicate_count: int
    stale_count: int
    last_sequence: int
    gap_detected: bool
    def __init__(self, applied_count: _Optional[int] = ..., duplicate_count: _Optional[int] = ..., stale_count: _Optional[int] = ..., last_sequence: _Optional[int] = ..., gap_detected: _Optional[bool] = ...) -> None: ...

class WatchInventoryRequest(_message.Message):
    __slots__ = ("hotel_ids",)
    HOTEL_IDS_FIELD_NUMBER: _ClassVar[int]
    hotel_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, hotel_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class WatchInventoryResponse(_message.Message):
    __slots__ = ("hotel_id", "room_type_code", "cause", "nights", "change_time")
    HOTEL_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    NIGHTS_FIELD_NUMBER: _ClassVar[int]
    CHANGE_TIME_FIELD_NUMBER: _ClassVar[int]
    hotel_id: str
    room_type_code: str
    cause: ChangeCause
    nights: _containers.RepeatedCompositeFieldContainer[NightInventory]
    change_time: _timestamp_pb2.Timestamp
    def __init__(self, hotel_id: _Optional[str] = ..., room_type_code: _Optional[str] = ..., cause: _Optional[_Union[ChangeCause, str]] = ..., nights: _Optional[_Iterable[_Union[NightInventory, _Mapping]]] = ..., change_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ApplyPartnerReservationRequest(_message.Message):
    __slots__ = ("request_id", "hotel_id", "room_type_code", "partner_id", "partner_reservation_id", "revision", "cancelled", "check_in", "check_out", "rooms", "guests", "guest_name", "total_amount")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    HOTEL_ID_FIELD_NUMBER: _ClassVar[int]
    ROOM_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    PARTNER_ID_FIELD_NUMBER: _ClassVar[int]
    PARTNER_RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    CHECK_IN_FIELD_NUMBER: _ClassVar[int]
    CHECK_OUT_FIELD_NUMBER: _ClassVar[int]
    ROOMS_FIELD_NUMBER: _ClassVar[int]
    GUESTS_FIELD_NUMBER: _ClassVar[int]
    GUEST_NAME_FIELD_NUMBER: _ClassVar[int]
    TOTAL_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    hotel_id: str
    room_type_code: str
    partner_id: str
    partner_reservation_id: str
    revision: int
    cancelled: bool
    check_in: _common_pb2.Date
    check_out: _common_pb2.Date
    rooms: int
    guests: int
    guest_name: str
    total_amount: _common_pb2.Money
    def __init__(self, request_id: _Optional[str] = ..., hotel_id: _Optional[str] = ..., room_type_code: _Optional[str] = ..., partner_id: _Optional[str] = ..., partner_reservation_id: _Optional[str] = ..., revision: _Optional[int] = ..., cancelled: _Optional[bool] = ..., check_in: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., check_out: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., rooms: _Optional[int] = ..., guests: _Optional[int] = ..., guest_name: _Optional[str] = ..., total_amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class ApplyPartnerReservationResponse(_message.Message):
    __slots__ = ("booking_id", "over_capacity", "revision", "applied")
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    OVER_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    over_capacity: bool
    revision: int
    applied: bool
    def __init__(self, booking_id: _Optional[str] = ..., over_capacity: _Optional[bool] = ..., revision: _Optional[int] = ..., applied: _Optional[bool] = ...) -> None: ...
