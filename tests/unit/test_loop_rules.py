"""Rules for the event loop that a review would miss: read off the source, so a new module cannot break them."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _calls_of(attribute: str, *folders: str) -> list[str]:
    found = []
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Attribute) and node.attr == attribute:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_asyncio_wait_for_in_the_services():
    """On Python 3.11 wait_for returns normally when a cancel arrives in the same turn as what it waits
    for, so a loop sleeping in it outlives its stop(): asyncio.timeout cancels as asked
    (tests/integration/test_messaging_embedded.py shows the hang it caused)."""
    assert _calls_of("wait_for", "servers", "clients") == []
