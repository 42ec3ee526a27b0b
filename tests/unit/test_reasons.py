"""Error reasons come from the registries (servers/*/reasons.py) and are matched by member, not by string.

A reason typed as a literal is a reason no registry knows: a typo in one place answers a reason no client
matches, and a typo in a comparison never matches at all. The walk below reads every module under
servers/ and fails on a literal where a reason goes or where a reason is compared.
"""

from __future__ import annotations

import ast
import enum
import re
from pathlib import Path

import pytest

SERVERS = Path(__file__).resolve().parents[2] / "servers"

# The calls that take a reason, and where: the position of the reason argument and its keyword.
REASON_ARGUMENT = {
    "ApiError": (1, "reason"),
    "not_found": (0, "reason"),
    "already_exists": (0, "reason"),
    "failed_precondition": (0, "reason"),
    "aborted": (0, "reason"),
    "relayed": (1, "default_reason"),
    "_unauthenticated": (0, "reason"),
    "_denied": (0, "reason"),
    "unauthenticated": (0, "reason"),
    "res_notif_error": (1, "code"),  # the OTA answer's error code is the reason, in XML
}


def _modules() -> list[Path]:
    return sorted(p for p in SERVERS.rglob("*.py") if "migrations" not in p.parts)


def _called(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _literals(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [s for item in node.elts for s in _literals(item)]
    return []


def _is_reason(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "reason") or (
        isinstance(node, ast.Name) and node.id == "reason")


def _findings(source: str, where: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, where)):
        if isinstance(node, ast.Call) and _called(node) in REASON_ARGUMENT:
            position, keyword = REASON_ARGUMENT[_called(node)]
            given = [node.args[position]] if len(node.args) > position else []
            given += [k.value for k in node.keywords if k.arg == keyword]
            found += [f"{where}:{node.lineno} {_called(node)}({s!r})" for g in given for s in _literals(g)]
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_is_reason(side) for side in sides):
                found += [f"{where}:{node.lineno} compares a reason with {s!r}"
                          for side in sides for s in _literals(side)]
    return found


def test_no_reason_is_a_string_literal():
    found = [f for path in _modules() for f in _findings(path.read_text(), str(path.relative_to(SERVERS.parent)))]
    assert not found, "reasons written as literals; use a member of servers/*/reasons.py:\n" + "\n".join(found)


def _registries() -> dict[str, type[enum.StrEnum]]:
    from servers.booking.reasons import BookingReason
    from servers.hotel.reasons import HotelReason
    from servers.inventory.reasons import InventoryReason
    from servers.partner.reasons import PartnerReason
    from servers.runtime.reasons import ApiReason
    from servers.search.reasons import SearchReason

    return {r.__name__: r for r in (ApiReason, HotelReason, InventoryReason, SearchReason, BookingReason,
                                    PartnerReason)}


def test_every_reasons_module_is_a_registry():
    """A new servers/<svc>/reasons.py is seen by the test of meanings below, or this fails."""
    modules = {p.parent.name for p in SERVERS.glob("*/reasons.py")}
    assert modules == {r.__module__.split(".")[1] for r in _registries().values()}


def test_each_reason_is_upper_snake_and_its_own_name():
    for registry in _registries().values():
        for member in registry:
            assert re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)*", member.value), member
            assert member.name == member.value, f"{registry.__name__}.{member.name} is sent as {member.value!r}"


def test_no_reason_has_two_meanings():
    """One wire value, one registry: a reason that crosses a service boundary lives in servers/hotel/reasons.py
    and is used from there by every service, never declared again in a service's own registry (where it could
    drift to another meaning)."""
    owner: dict[str, str] = {}
    twice = []
    for name, registry in _registries().items():
        for member in registry:
            if member.value in owner:
                twice.append(f"{member.value}: {owner[member.value]} and {name}")
            owner.setdefault(member.value, name)
    assert not twice, twice


@pytest.mark.parametrize("text", ["SOLD_OUT", "HOLD_EXPIRED"])
def test_a_reason_from_the_wire_becomes_its_member(text):
    from servers.hotel.reasons import HotelReason, parse

    assert parse(text) is HotelReason[text]


def test_an_unknown_reason_from_the_wire_stays_as_it_came():
    from servers.hotel.reasons import parse

    assert parse("SOMETHING_NEWER") == "SOMETHING_NEWER"
    assert parse("") == ""


def test_the_walk_sees_literals():
    """The walk itself: a literal reason in a helper call and in a comparison are both found."""
    source = ('failed_precondition("SOLD_OUT", "m")\nApiError(Code.ABORTED, reason="LOCK_BUSY", message="m")\n'
              'ok = error.reason in ("HOLD_EXPIRED", "HOLD_RELEASED")\n')
    assert len(_findings(source, "walked.py")) == 4
