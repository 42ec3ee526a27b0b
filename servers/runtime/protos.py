"""Conversions between our common protobuf messages (Date, Money, Timestamp) and Python values."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import overload

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from hotelagg.common.v1 import common_pb2

from servers.runtime.errors import Violations


def read_date(v: Violations, message: common_pb2.Date, field: str, has: bool = True) -> date | None:
    """The date, or None after recording why it is not one."""
    if not has or (message.year, message.month, message.day) == (0, 0, 0):
        v.add(field, "required")
        return None
    try:
        return date(message.year, message.month, message.day)
    except ValueError:
        v.add(field, f"not a calendar date: {message.year}-{message.month}-{message.day}")
        return None


def read_duration(v: Violations, message: Duration, field: str, low: timedelta, high: timedelta,
                  description: str) -> timedelta | None:
    """The duration if within low..high, or None after recording why not. Checked on the message's
    own numbers first: a timedelta of ~9e13 s overflows, and nanos must be 0..999,999,999 (and
    not of the other sign than seconds) to be a duration at all."""
    seconds, nanos = message.seconds, message.nanos
    well_formed = abs(nanos) < 1_000_000_000 and (seconds == 0 or nanos == 0 or (seconds > 0) == (nanos > 0))
    value = (timedelta(seconds=seconds, microseconds=nanos // 1000)
             if well_formed and abs(seconds) <= _DURATION_BOUND_SECONDS else None)
    if value is None or not low <= value <= high:
        v.add(field, description)
        return None
    return value


# Far beyond any duration we take, far within what a timedelta holds (~8.6e13 s).
_DURATION_BOUND_SECONDS = 10**12


# What a datetime can hold, in Timestamp seconds (0001-01-01 .. 9999-12-31T23:59:59).
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_FIRST_SECOND = int((datetime(1, 1, 1, tzinfo=timezone.utc) - _EPOCH).total_seconds())
_LAST_SECOND = int((datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc) - _EPOCH).total_seconds())


def read_timestamp(v: Violations, message: Timestamp, field: str) -> datetime | None:
    """The moment (UTC), or None after recording why it is none a calendar can hold."""
    if not (_FIRST_SECOND <= message.seconds <= _LAST_SECOND and 0 <= message.nanos < 1_000_000_000):
        v.add(field, "a time between years 1 and 9999")
        return None
    return message.ToDatetime(timezone.utc)


def date_proto(value: date) -> common_pb2.Date:
    return common_pb2.Date(year=value.year, month=value.month, day=value.day)


# A price in gives a Money out: the overloads let callers with an amount they know keep a Money.
@overload
def money_proto(amount_minor: int, currency_code: str) -> common_pb2.Money: ...


@overload
def money_proto(amount_minor: int | None, currency_code: str) -> common_pb2.Money | None: ...


def money_proto(amount_minor: int | None, currency_code: str) -> common_pb2.Money | None:
    if amount_minor is None:
        return None
    return common_pb2.Money(currency_code=currency_code, amount_minor=amount_minor)


def timestamp_proto(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp
