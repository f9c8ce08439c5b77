"""The layers of design.md §2, as the imports show them: none imports from a layer above it, and
no two packages import each other (directly or round about)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PLUGIN = Path(__file__).parents[2] / "plugin"

# Each part of the plugin and its layer: a part may import only from parts of a lower layer (or itself).
LAYERS: dict[str, int] = {
    "plugin.domain": 0, "plugin.version": 0,
    "plugin.settings": 1, "plugin.security": 1, "plugin.json_bodies": 1, "plugin.config": 1,
    "plugin.input_files": 1, "plugin.logs": 1,
    "plugin.host": 2, "plugin.report_formats": 2, "plugin.report_charts": 2, "plugin.summaries_markdown": 2,
    "plugin.store": 3,
    "plugin.services": 4, "plugin.operator_commands": 4,
    "plugin.http_errors": 5, "plugin.runtime": 5, "plugin.simulate": 5, "plugin.startup": 5,
    "plugin.settings_commands": 5,
    "plugin.observability": 6,
    "plugin.webhooks": 7, "plugin.lifecycle": 7, "plugin.api": 7, "plugin.settings_ui": 7,
    "plugin.app": 8, "plugin.worker": 8, "plugin.supervisor": 8,
    "plugin.serve": 9,  # gunicorn, whose workers build the app
    "plugin.cli": 10,
    "plugin": 11,  # plugin/__init__.py: create_app, imported lazily
}


def part_of(module: str) -> str:
    """The part a module belongs to: its subpackage (plugin.store.…) or itself (plugin.config)."""
    names = module.split(".")
    return ".".join(names[:2]) if len(names) > 1 else module


def module_name(path: Path) -> str:
    relative = path.relative_to(PLUGIN.parent).with_suffix("")
    names = list(relative.parts)
    return ".".join(names[:-1] if names[-1] == "__init__" else names)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """Modules of the plugin that ``path`` imports (at any depth of the file, lazily or not)."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:  # "from plugin import api" imports a module, "from plugin.x import y" a name
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target)
    return {name for name in found if name == "plugin" or name.startswith("plugin.")}


def part_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    modules = {module_name(path) for path in PLUGIN.rglob("*.py")}
    for path in PLUGIN.rglob("*.py"):
        source = part_of(module_name(path))
        for imported in imports_of(path, modules):
            target = imported
            while target not in modules and "." in target:  # "from plugin.x import name"
                target = target.rpartition(".")[0]
            if part_of(target) != source:
                graph[source].add(part_of(target))
    return graph


def test_every_part_of_the_plugin_has_a_layer() -> None:
    parts = {part_of(module_name(path)) for path in PLUGIN.rglob("*.py")}
    assert parts - set(LAYERS) == set()


@pytest.mark.parametrize("part", sorted(set(LAYERS) - {"plugin"}))
def test_no_part_imports_from_a_layer_above_it(part: str) -> None:
    upward = {target for target in part_graph().get(part, set()) if LAYERS[target] >= LAYERS[part]}
    assert upward == set(), f"{part} (layer {LAYERS[part]}) imports {sorted(upward)}"


def test_no_import_cycle_between_parts() -> None:
    graph = part_graph()
    visiting: list[str] = []
    done: set[str] = set()

    def visit(part: str) -> None:
        if part in visiting:
            raise AssertionError(" → ".join([*visiting[visiting.index(part):], part]))
        if part in done:
            return
        visiting.append(part)
        for target in sorted(graph.get(part, ())):
            visit(target)
        visiting.pop()
        done.add(part)

    for part in sorted(graph):
        visit(part)
