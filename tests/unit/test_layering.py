"""The house plan, as the code shows it: read from the source of servers/ (an ast walk, nothing imported).

- A service (inventory, search, booking, partner) does not import another: what they share about hotels,
  stays and nights is the hotel kernel, servers/hotel.
- The kernel imports no service and no transport or storage: neither grpc, sqlalchemy nor the generated
  protos (hotelagg.*); from servers it takes only itself and the plain errors (runtime.errors and
  runtime.reasons) and clock.
- Domain modules (servers/*/domain.py and the kernel) import neither grpc nor sqlalchemy.
- The sellable rule (`available - held`, never below 0) is written once, in servers/hotel/nights.py;
  the SQL guard on table columns (`inventory.c.available - inventory.c.held >= n`) is its form in
  statements and is not counted.
- Inventory is in layers (servers/inventory/): api/ (gRPC, protos, the webhook receiver) on flows/ (what
  happens) on store/ (the SQL), with its pure rules (domain.py, reasons.py) at the package root. No
  layer imports one above it; flows hold neither SQL (sqlalchemy) nor protos or grpc; the store no
  protos or grpc; the api no SQL: it reads and writes through the store; the root none of the layers.
  These count every import statement, typing-only ones too: a layer's types are part of its plan.
- No import cycle among servers' modules through module-level imports. Imports inside functions are
  left out: the composition root's (servers/bootstrap.py) are held by test_composition.py, which
  walks them too. Imports under `if TYPE_CHECKING:` never run: left out too.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

SERVERS = Path(__file__).resolve().parents[2] / "servers"
SERVICES = ("inventory", "search", "booking", "partner")
KERNEL = "hotel"
# What the kernel may take from the rest of servers/: plain values with no I/O behind them.
KERNEL_MAY_IMPORT = ("servers.runtime.errors", "servers.runtime.reasons", "servers.runtime.clock")
TRANSPORT_AND_STORAGE = ("grpc", "sqlalchemy")


@dataclass(frozen=True)
class Import:
    module: str  # the module the statement names, resolved to a dotted servers.* name where it is ours
    line: int
    top_level: bool  # runs when the importing module is loaded (not inside a function or `if TYPE_CHECKING:`)


@dataclass(frozen=True)
class Module:
    source: str
    is_package: bool = False


def module_name(path: Path) -> str:
    parts = path.relative_to(SERVERS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Module]:
    return {module_name(path): Module(path.read_text(), path.name == "__init__.py")
            for path in sorted(SERVERS.rglob("*.py"))}


def _resolve(importer: str, is_package: bool, level: int, module: str | None) -> str:
    if not level:
        return module or ""
    base = importer.split(".")
    base = base[: len(base) - level + (1 if is_package else 0)]
    return ".".join(base + ([module] if module else []))


def _for_type_checkers(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(node: ast.AST, deferred: bool = False):
    """Every import statement under node, and whether it waits (in a function) or never runs (typing only)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, deferred
        nested = deferred or _for_type_checkers(child) or isinstance(
            child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        yield from _walk(child, nested)


def imports(name: str, module: Module, known: dict[str, Module]) -> list[Import]:
    """Every module an import statement of `name` loads; `from package import name` counts as the
    submodule when there is one (`from servers.partner import domain` is servers.partner.domain)."""
    found = []
    for node, deferred in _walk(ast.parse(module.source, name)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = _resolve(name, module.is_package, node.level, node.module)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        found += [Import(target, node.lineno, not deferred) for target in targets]
    return found


def _is(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _service_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "servers" and parts[1] in SERVICES else None


def service_crossings(known: dict[str, Module]) -> list[str]:
    return [f"{name}:{i.line} imports {i.module}"
            for name, module in known.items() if _service_of(name)
            for i in imports(name, module, known)
            if _service_of(i.module) not in (None, _service_of(name))]


def kernel_trespasses(known: dict[str, Module]) -> list[str]:
    kernel = f"servers.{KERNEL}"
    return [f"{name}:{i.line} imports {i.module}"
            for name, module in known.items() if _is(name, kernel)
            for i in imports(name, module, known)
            if any(_is(i.module, banned) for banned in (*TRANSPORT_AND_STORAGE, "hotelagg"))
            or (_is(i.module, "servers") and not _is(i.module, kernel)
                and not any(_is(i.module, allowed) for allowed in KERNEL_MAY_IMPORT))]


def domain_trespasses(known: dict[str, Module]) -> list[str]:
    return [f"{name}:{i.line} imports {i.module}"
            for name, module in known.items() if name.endswith(".domain") or _is(name, f"servers.{KERNEL}")
            for i in imports(name, module, known)
            if any(_is(i.module, banned) for banned in TRANSPORT_AND_STORAGE)]


INVENTORY = "servers.inventory"
PROTOS = ("grpc", "hotelagg")  # the transport and the generated protos (import root: generated/)
# What each layer of inventory may not import; its root modules (the pure rules) take none of them.
LAYER_BANS = {
    "api": ("sqlalchemy",),
    "flows": (*PROTOS, "sqlalchemy", f"{INVENTORY}.api"),
    "store": (*PROTOS, f"{INVENTORY}.api", f"{INVENTORY}.flows"),
}
ROOT_BANS = (*PROTOS, "sqlalchemy", f"{INVENTORY}.api", f"{INVENTORY}.flows", f"{INVENTORY}.store")


def _inventory_bans(module: str) -> tuple[str, ...]:
    """What `module` of servers/inventory may not import: its layer's bans, or the root's."""
    layer = module.split(".")[2]
    return LAYER_BANS.get(layer, ROOT_BANS)


def layer_trespasses(known: dict[str, Module]) -> list[str]:
    return [f"{name}:{i.line} imports {i.module}"
            for name, module in known.items() if _is(name, INVENTORY) and name != INVENTORY
            for i in imports(name, module, known)
            if any(_is(i.module, banned) for banned in _inventory_bans(name))]


def _attribute_named(node: ast.AST, attribute: str) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == attribute


def _on_table_columns(node: ast.expr) -> bool:
    """`inventory.c.available`: a column in a statement, the SQL guard's form of the rule."""
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and node.value.attr == "c"


def sellable_arithmetic(source: str) -> list[int]:
    """Lines computing `<x>.available - <x>.held` on Python values, inside max() or not (the shape
    `max(<x>.available - <x>.held, 0)` and its spelled-out variants alike)."""
    return sorted(node.lineno for node in ast.walk(ast.parse(source))
                  if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub)
                  and _attribute_named(node.left, "available") and _attribute_named(node.right, "held")
                  and not (_on_table_columns(node.left) and _on_table_columns(node.right)))


def sellable_rules(known: dict[str, Module]) -> dict[str, list[int]]:
    return {name: lines for name, module in known.items() if (lines := sellable_arithmetic(module.source))}


def test_no_service_imports_another():
    assert service_crossings(modules()) == []


def test_the_kernel_imports_no_service_transport_storage_or_protos():
    known = modules()
    assert f"servers.{KERNEL}" in known, "the hotel kernel's package"
    assert kernel_trespasses(known) == []


def test_domain_modules_import_neither_grpc_nor_sqlalchemy():
    known = modules()
    assert "servers.booking.domain" in known and "servers.search.domain" in known
    assert domain_trespasses(known) == []


def test_the_sellable_rule_is_written_once_in_the_kernel():
    known = modules()
    assert sellable_rules({name: m for name, m in known.items() if not _is(name, f"servers.{KERNEL}")}) == {}
    kernel = ast.parse(known[f"servers.{KERNEL}.nights"].source)
    rule = [node for node in kernel.body if isinstance(node, ast.FunctionDef) and node.name == "sellable"]
    assert [ast.unparse(node.body[-1]) for node in rule] == ["return max(available - held, 0)"]


# What each check catches, on a made-up servers/ tree: every check above passing is only worth
# something if it fails on the layering it forbids (as it did on the code before the kernel).
BROKEN = {
    "servers": Module("", is_package=True),
    "servers.hotel": Module("", is_package=True),
    "servers.hotel.stays": Module("import grpc\nfrom servers.inventory import holds\n"
                                  "from hotelagg.common.v1 import common_pb2\nfrom servers.storage import tables\n"
                                  "from servers.runtime.errors import Violations\nfrom . import nights\n"),
    "servers.hotel.nights": Module(""),
    "servers.inventory": Module("", is_package=True),
    "servers.inventory.holds": Module("from sqlalchemy import update\n"
                                      "guard = inventory.c.available - inventory.c.held >= 1\n"),
    "servers.search": Module("", is_package=True),
    "servers.search.domain": Module("from sqlalchemy import select\n"
                                    "from ..inventory import holds\n"
                                    "def left(night):\n    return max(night.available - night.held, 0)\n"),
    "servers.partner": Module("", is_package=True),
    "servers.partner.outbound": Module("def late():\n    from servers import booking\n"),
    "servers.booking": Module("", is_package=True),
}


def test_each_check_fails_on_the_layering_it_forbids():
    assert service_crossings(BROKEN) == ["servers.search.domain:2 imports servers.inventory.holds",
                                         "servers.partner.outbound:2 imports servers.booking"]
    assert kernel_trespasses(BROKEN) == ["servers.hotel.stays:1 imports grpc",
                                         "servers.hotel.stays:2 imports servers.inventory.holds",
                                         "servers.hotel.stays:3 imports hotelagg.common.v1",
                                         "servers.hotel.stays:4 imports servers.storage"]
    assert domain_trespasses(BROKEN) == ["servers.hotel.stays:1 imports grpc",
                                         "servers.search.domain:1 imports sqlalchemy"]
    assert sellable_rules(BROKEN) == {"servers.search.domain": [4]}


def test_inventory_layers_import_only_downwards():
    known = modules()
    layers = {name.split(".")[2] for name in known if _is(name, INVENTORY) and name.count(".") == 3}
    assert set(LAYER_BANS) <= layers, "servers/inventory/api, flows and store, each with modules"
    assert layer_trespasses(known) == []


# Each layer rule broken once, on a made-up servers/inventory.
BROKEN_LAYERS = {
    "servers": Module("", is_package=True),
    "servers.inventory": Module("", is_package=True),
    "servers.inventory.domain": Module("from servers.inventory.store import holds\n"),
    "servers.inventory.api": Module("", is_package=True),
    "servers.inventory.api.servicer": Module("import grpc\nfrom ..store import holds\nfrom ..flows import holds\n"
                                             "from sqlalchemy import select\n"),
    "servers.inventory.flows": Module("", is_package=True),
    "servers.inventory.flows.holds": Module("from typing import TYPE_CHECKING\nfrom ..store import holds\n"
                                            "if TYPE_CHECKING:\n    from hotelagg.inventory.v1 import inventory_pb2\n"
                                            "def later():\n    from servers.inventory.api import mapping\n"
                                            "from sqlalchemy.engine import Row\n"),
    "servers.inventory.store": Module("", is_package=True),
    "servers.inventory.store.holds": Module("import sqlalchemy\nfrom servers.inventory.flows.holds import X\n"
                                            "from grpc import StatusCode\nfrom servers.inventory import domain\n"),
}


def test_each_layer_rule_fails_on_the_import_it_forbids():
    assert layer_trespasses(BROKEN_LAYERS) == [
        "servers.inventory.domain:1 imports servers.inventory.store.holds",
        "servers.inventory.api.servicer:4 imports sqlalchemy",
        "servers.inventory.flows.holds:4 imports hotelagg.inventory.v1",
        "servers.inventory.flows.holds:6 imports servers.inventory.api",
        "servers.inventory.flows.holds:7 imports sqlalchemy.engine",
        "servers.inventory.store.holds:2 imports servers.inventory.flows.holds",
        "servers.inventory.store.holds:3 imports grpc",
    ]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (or a module importing itself), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm; servers/ is small enough for recursion
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def import_cycles(known: dict[str, Module]) -> list[list[str]]:
    graph = {name: {i.module for i in imports(name, module, known) if i.top_level and i.module in known}
             for name, module in known.items()}
    return cycles(graph)


def test_no_import_cycle_through_module_level_imports():
    assert import_cycles(modules()) == []


def test_the_cycle_check_finds_module_level_cycles_only():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"a"}, "b": set()}) == [["a"]]
    known = {"servers": Module("", is_package=True),
             "servers.app": Module("from servers import workers, hub\n"),
             "servers.workers": Module("def start():\n    from servers.app import Components\n"),
             "servers.jobs": Module("import typing\nif typing.TYPE_CHECKING:\n    from servers.app import X\n"),
             "servers.hub": Module("from servers import jobs\n"),
             "servers.seed": Module("from servers.embedded import run\n"),
             "servers.embedded": Module("from . import seed\n")}
    assert import_cycles(known) == [["servers.embedded", "servers.seed"]]
