"""The composition root imports downwards only: no module it starts from imports another that imports it back.

Imports inside functions count too: they hide a cycle from Python's import machinery, not from the reader."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# servers.app is gone (its Components became bootstrap.py and system.py); listed so that it may not come back
# in a cycle.
ENTRY_POINTS = ("servers.bootstrap", "servers.system", "servers.app", "servers.workers", "servers.embedded",
                "servers.__main__")


def _file_of(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _imports(module: str) -> set[str]:
    """Every servers.* module this one imports, wherever in the file the import statement stands."""
    path = _file_of(module)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = _package_of(module, path).split(".")
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            # `from servers import app` imports the module servers.app; `from servers.x import y` imports servers.x.
            names = [f"{base}.{alias.name}" if _file_of(f"{base}.{alias.name}") else base for alias in node.names]
        else:
            continue
        found.update(name for name in names if name.split(".")[0] == "servers" and _file_of(name))
    found.discard(module)
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    waiting = [m for m in ENTRY_POINTS if _file_of(m)]
    while waiting:
        module = waiting.pop()
        if module not in graph:
            graph[module] = _imports(module)
            waiting.extend(graph[module] - graph.keys())
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle through an entry point's module, or None."""
    done: set[str] = set()

    def visit(module: str, trail: list[str]) -> list[str] | None:
        if module in trail:
            return trail[trail.index(module):] + [module]
        if module in done:
            return None
        for imported in sorted(graph.get(module, ())):
            cycle = visit(imported, trail + [module])
            if cycle:
                return cycle
        done.add(module)
        return None

    for entry in sorted(m for m in ENTRY_POINTS if m in graph):
        cycle = visit(entry, [])
        if cycle:
            return cycle
    return None


def test_the_composition_root_exists():
    assert _file_of("servers.bootstrap") is not None


def test_no_import_cycle_among_the_startup_modules():
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_the_walk_sees_imports_inside_functions():
    # __main__ imports embedded inside main(): a walk that missed it would miss cycles hidden the same way.
    assert "servers.embedded" in _imports("servers.__main__")
