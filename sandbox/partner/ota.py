"""OpenTravel (OTA 2003/05) XML: reading requests safely and writing answers and notifications.

Requests are parsed with defusedxml: the partner takes XML from the network, and entity expansion
or external references must never be resolved.
"""

from __future__ import annotations

import datetime as dt
import time
from xml.etree import ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from .model import invalid
from .validation import to_date

NS = "http://www.opentravel.org/OTA/2003/05"
VERSION = "1.0"


def q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def parse_document(raw: bytes, root_name: str) -> ET.Element:
    """The root element, which must be `root_name` in the OTA namespace."""
    try:
        root = fromstring(raw)
    except (ET.ParseError, DefusedXmlException) as error:
        raise invalid("body", f"not acceptable XML ({error})") from None
    if root.tag != q(root_name):
        raise invalid("body", f"the root must be {root_name} in the namespace {NS}")
    return root


def children(element: ET.Element, tag: str) -> list[ET.Element]:
    return element.findall(q(tag))


def one(element: ET.Element, tag: str, path: str) -> ET.Element:
    found = children(element, tag)
    if len(found) != 1:
        raise invalid(f"{path}/{tag}", f"must appear exactly once, not {len(found)} times")
    return found[0]


def at_most_one(element: ET.Element, tag: str, path: str) -> ET.Element | None:
    found = children(element, tag)
    if len(found) > 1:
        raise invalid(f"{path}/{tag}", "must appear at most once")
    return found[0] if found else None


def attr(element: ET.Element, name: str, path: str) -> str:
    value = element.get(name)
    if not value:
        raise invalid(f"{path}/@{name}", "is required")
    return value


def attr_int(element: ET.Element, name: str, path: str, *, hi: int) -> int:
    value = attr(element, name, path)
    # Digits only: int() would also take "+3", " 3" and "3_0".
    if not value.isascii() or not value.isdigit() or int(value) > hi:
        raise invalid(f"{path}/@{name}", f"must be a whole number in [0, {hi}]")
    return int(value)


def attr_date(element: ET.Element, name: str, path: str) -> dt.date:
    return to_date(attr(element, name, path), f"{path}/@{name}")


def timestamp(now: float | None = None) -> str:
    return dt.datetime.fromtimestamp(time.time() if now is None else now, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_message(name: str, echo_token: str | None) -> ET.Element:
    """A message root; children get plain tags and inherit the default OTA namespace."""
    root = ET.Element(name, {"xmlns": NS})
    if echo_token is not None:
        root.set("EchoToken", echo_token)
    root.set("TimeStamp", timestamp())
    root.set("Version", VERSION)
    return root


def to_bytes(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def notice(name: str, echo_token: str | None, *, warnings: tuple[tuple[str, str], ...] = (),
           errors: tuple[tuple[str, str], ...] = ()) -> bytes:
    """An answer (`name` ends in RS): Success (with any warnings) or Errors, each (Code, ShortText)."""
    root = new_message(name, echo_token)
    if errors:
        _listed(root, "Errors", "Error", errors)
    else:
        ET.SubElement(root, "Success")
        if warnings:
            _listed(root, "Warnings", "Warning", warnings)
    return to_bytes(root)


def _listed(root: ET.Element, container: str, tag: str, items: tuple[tuple[str, str], ...]) -> None:
    parent = ET.SubElement(root, container)
    for code, text in items:
        ET.SubElement(parent, tag, {"Type": "3", "Code": code, "ShortText": text})
