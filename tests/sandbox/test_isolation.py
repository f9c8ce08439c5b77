"""The plugin only ever talks to the sandbox over HTTP: no module of plugin/ imports it."""

from __future__ import annotations

import ast
from pathlib import Path

PLUGIN = Path(__file__).parents[2] / "plugin"


def test_no_plugin_module_imports_the_sandbox() -> None:
    offenders = []
    for path in PLUGIN.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            offenders += [f"{path.relative_to(PLUGIN.parent)}: {name}" for name in names
                          if name == "sandbox" or name.startswith("sandbox.")]
    assert offenders == []
