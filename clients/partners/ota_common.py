"""OpenTravel (2003/05) plumbing shared by the ARI messages and the reservation codec.

Parsing goes through defusedxml with DTDs refused: partner bodies are untrusted, and no OTA message
needs a DTD or an entity. Elements are matched on their local name, so an answer that forgets the
namespace is still read; every lookup names the field it serves, so a malformed message raises one
`OtaFormatError` a receiver can answer with, never a KeyError or an AttributeError.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.etree.ElementTree import Element

import defusedxml
import defusedxml.ElementTree as SafeET

OTA_NS = "http://www.opentravel.org/OTA/2003/05"
OTA_VERSION = "1.0"
ERROR_TYPE_BUSINESS = "3"  # OTA code list EWT: "Biz rule", the type every message here uses

_DIGITS = re.compile(r"[0-9]+")  # int() would also take "+3", " 3", "1_000" and non-ASCII digits
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # date.fromisoformat also takes "20261201"


class OtaFormatError(ValueError):
    """An OTA message that does not follow the protocol; `field` names what was wrong.

    `echo_token` is the message's EchoToken when it could still be read, so the error answer can echo it.
    """

    def __init__(self, field: str, message: str, echo_token: str | None = None) -> None:
        self.field = field
        self.message = message
        self.echo_token = echo_token
        super().__init__(f"{field}: {message}")


# ------------------------------------------------------------------------------------------ writing


def element(parent: Element | None, name: str, **attributes: str) -> Element:
    # Plain tags under a root that declares the default namespace: ElementTree's own
    # `default_namespace` refuses the unqualified attributes every OTA message uses.
    if parent is None:
        return Element(name, attributes)
    return ET.SubElement(parent, name, attributes)


def nest(parent: Element, path: str) -> Element:
    """Creates the chain of elements in `path` ("Rates/Rate/BaseByGuestAmts") and returns the last."""
    for name in path.split("/"):
        parent = element(parent, name)
    return parent


def message_root(name: str, echo_token: str | None, timestamp: dt.datetime | None = None) -> Element:
    attributes = {"xmlns": OTA_NS}
    if echo_token is not None:
        attributes["EchoToken"] = echo_token
    return element(None, name, **attributes, TimeStamp=ota_timestamp(timestamp), Version=OTA_VERSION)


def to_bytes(root: Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def ota_timestamp(moment: dt.datetime | None = None) -> str:
    moment = (moment or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def flag(closed: bool) -> str:
    return "Close" if closed else "Open"


# ------------------------------------------------------------------------------------------ reading


def parse_xml(body: bytes) -> Element:
    try:
        return SafeET.fromstring(body, forbid_dtd=True)
    except (ET.ParseError, defusedxml.DefusedXmlException) as error:
        raise OtaFormatError("body", f"not well-formed XML: {error}") from error


def local_name(node: Element) -> str:
    return node.tag.rpartition("}")[2] if isinstance(node.tag, str) else ""


def children(node: Element, name: str) -> list[Element]:
    return [child for child in node if local_name(child) == name]


def only_child(node: Element, name: str, field: str) -> Element:
    found = children(node, name)
    if len(found) != 1:
        raise OtaFormatError(field, f"expected one <{name}> in <{local_name(node)}>, found {len(found)}")
    return found[0]


def descend(node: Element, path: str, field: str) -> Element:
    """`path` like "RoomStays/RoomStay": exactly one element at every step."""
    for name in path.split("/"):
        node = only_child(node, name, field)
    return node


def descend_first(node: Element, path: str, field: str) -> Element:
    """Like `descend`, but the first match at every step: for lists where the first one counts."""
    for name in path.split("/"):
        found = children(node, name)
        if not found:
            raise OtaFormatError(field, f"no <{name}> in <{local_name(node)}>")
        node = found[0]
    return node


def text_attribute(node: Element, name: str, field: str) -> str:
    value = node.get(name)
    if value is None or not value.strip():
        raise OtaFormatError(field, f"<{local_name(node)}> lacks {name}")
    return value.strip()


INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


def int_attribute(node: Element, name: str, field: str, minimum: int, maximum: int = INT32_MAX) -> int:
    """A whole number within minimum..maximum: what the field it books into can hold (counts and
    revisions are 32-bit, amounts 64-bit). Past it the message is wrong, not our server."""
    value = text_attribute(node, name, field)
    # The length first: int() of thousands of digits is refused with a ValueError of its own.
    if not (len(value) <= len(str(maximum)) and _DIGITS.fullmatch(value) and minimum <= int(value) <= maximum):
        raise OtaFormatError(field, f"{name}={value[:40]!r} is not an integer from {minimum} to {maximum}")
    return int(value)


def date_attribute(node: Element, name: str, field: str) -> dt.date:
    value = text_attribute(node, name, field)
    try:
        if _ISO_DATE.fullmatch(value):
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise OtaFormatError(field, f"{name}={value!r} is not a date YYYY-MM-DD")


# ---------------------------------------------------------------------------------------- answers


@dataclass(frozen=True)
class OtaNotice:
    """One <Warning> or <Error>."""

    code: str
    text: str

    def __str__(self) -> str:
        return f"{self.code}: {self.text}" if self.text else self.code


@dataclass(frozen=True)
class OtaAnswer:
    """An OTA ...RS as read: which message, the echoed token, and its verdict."""

    name: str
    echo_token: str | None
    success: bool
    warnings: tuple[OtaNotice, ...]
    errors: tuple[OtaNotice, ...]
    root: Element


def read_ota_answer(body: bytes) -> OtaAnswer:
    root = parse_xml(body)
    success = bool(children(root, "Success"))
    errors = _notices(root, "Errors", "Error")
    if success == bool(errors):
        raise OtaFormatError("body", f"<{local_name(root)}> needs exactly one of <Success/> and <Errors>")
    return OtaAnswer(
        name=local_name(root),
        echo_token=root.get("EchoToken"),
        success=success,
        warnings=_notices(root, "Warnings", "Warning"),
        errors=errors,
        root=root,
    )


def _notices(root: Element, group: str, name: str) -> tuple[OtaNotice, ...]:
    found = [item for holder in children(root, group) for item in children(holder, name)]
    return tuple(
        OtaNotice(code=(item.get("Code") or "UNKNOWN").strip(), text=(item.get("ShortText") or item.text or "").strip())
        for item in found
    )
