"""JSON field checks that answer a 400 INVALID_REQUEST naming the field.

Used by the json_rest ARI body (unknown fields ignored: hotelagg may send more than a partner reads)
and by admin bodies (unknown fields refused: a typo in a fault setting would otherwise pass silently).
"""

from __future__ import annotations

import re

from ..common.fields import JsonFields
from .model import invalid

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_MINOR = 10**12  # a trillion minor units: no night or stay costs more

# A null field is a value, not a field left out: `price_minor: null` is a night with no rate.
_fields = JsonFields(invalid, null_is_absent=False, quote_bad_date=False)
parse_json = _fields.parse_json
reject_unknown = _fields.reject_unknown
get_str = _fields.get_str
get_int = _fields.get_int
get_number = _fields.get_number
get_bool = _fields.get_bool
get_list = _fields.get_list
get_object = _fields.get_object
get_date = _fields.get_date
to_date = _fields.to_date
