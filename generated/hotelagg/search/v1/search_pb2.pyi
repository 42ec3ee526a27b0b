import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from hotelagg.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Freshness(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FRESHNESS_UNSPECIFIED: _ClassVar[Freshness]
    FRESHNESS_LIVE: _ClassVar[Freshness]
    FRESHNESS_CACHED: _ClassVar[Freshness]
    FRESHNESS_STALE: _ClassVar[Freshness]
FRESHNESS_UNSPECIFIED: Freshness
FRESHNESS_LIVE: Freshness
FRESHNESS_CACHED: Freshness
FRESHNESS_STALE: Freshness

class GeoCircle(_message.Message):
    __slots__ = ("latitude", "longitude", "radius_km")
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    RADIUS_KM_FIELD_NUMBER: _ClassVar[int]
    latitude: float
    longitude: float
    radius_km: float
    def __init__(self, latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., radius_km: _Optional[float] = ...) -> None: ...

class SearchAvailabilityRequest(_message.Message):
    __slots__ = ("city", "hotel_ids", "near", "check_in", "check_out", "guests", "rooms", "max_total_price", "room_type_codes", "page_size", "page_token")
    CITY_FIELD_NUMBER: _ClassVar[int]
    HOTEL_IDS_FIELD_NUMBER: _ClassVar[int]
    NEAR_FIELD_NUMBER: _ClassVar[int]
    CHECK_IN_FIELD_NUMBER: _ClassVar[int]
    CHECK_OUT_FIELD_NUMBER: _ClassVar[int]
    GUESTS_FIELD_NUMBER: _ClassVar[int]
    ROOMS_FIELD_NUMBER: _ClassVar[int]
    MAX_TOTAL_PRICE_FIELD_NUMBER: _ClassVar[int]
    ROOM_TYPE_CODES_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    city: str
    hotel_ids: _containers.RepeatedScalarFieldContainer[str]
    near: GeoCircle
    check_in: _common_pb2.Date
    check_out: _common_pb2.Date
    guests: int
    rooms: int
    max_total_price: _common_pb2.Money
    room_type_codes: _containers.RepeatedScalarFieldContainer[str]
    page_size: int
    page_token: str
    def __init__(self, city: _Optional[str] = ..., hotel_ids: _Optional[_Iterable[str]] = ..., near: _Optional[_Union[GeoCircle, _Mapping]] = ..., check_in: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., check_out: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., guests: _Optional[int] = ..., rooms: _Optional[int] = ..., max_total_price: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., room_type_codes: _Optional[_Iterable[str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class SearchOption(_message.Message):
    __slots__ = ("hotel_id", "hotel_name", "city", "room_type_code", "room_type_name", "max_occupancy", "nightly_prices", "total_price", "rooms_left", "freshness", "age", "distance_km")
    HOTEL_ID_FIELD_NUMBER: _ClassVar[int]
    HOTEL_NAME_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    ROOM_TYPE_CODE_FIELD_NUMBER: _ClassVar[int]
    ROOM_TYPE_NAME_FIELD_NUMBER: _ClassVar[int]
    MAX_OCCUPANCY_FIELD_NUMBER: _ClassVar[int]
    NIGHTLY_PRICES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PRICE_FIELD_NUMBER: _ClassVar[int]
    ROOMS_LEFT_FIELD_NUMBER: _ClassVar[int]
    FRESHNESS_FIELD_NUMBER: _ClassVar[int]
    AGE_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_KM_FIELD_NUMBER: _ClassVar[int]
    hotel_id: str
    hotel_name: str
    city: str
    room_type_code: str
    room_type_name: str
    max_occupancy: int
    nightly_prices: _containers.RepeatedCompositeFieldContainer[_common_pb2.Money]
    total_price: _common_pb2.Money
    rooms_left: int
    freshness: Freshness
    age: _duration_pb2.Duration
    distance_km: float
    def __init__(self, hotel_id: _Optional[str] = ..., hotel_name: _Optional[str] = ..., city: _Optional[str] = ..., room_type_code: _Optional[str] = ..., room_type_name: _Optional[str] = ..., max_occupancy: _Optional[int] = ..., nightly_prices: _Optional[_Iterable[_Union[_common_pb2.Money, _Mapping]]] = ..., total_price: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., rooms_left: _Optional[int] = ..., freshness: _Optional[_Union[Freshness, str]] = ..., age: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., distance_km: _Optional[float] = ...) -> None: ...

class SearchAvailabilityResponse(_message.Message):
    __slots__ = ("options", "next_page_token")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    options: _containers.RepeatedCompositeFieldContainer[SearchOption]
    next_page_token: str
    def __init__(self, options: _Optional[_Iterable[_Union[SearchOption, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
