"""Conversions between our common protobuf messages (Date, Money, Timestamp) and Python values."""

from __future__ import annotations

from datetime import date, datetime

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


def date_proto(value: date) -> common_pb2.Date:
    return common_pb2.Date(year=value.year, month=value.month, day=value.day)


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
