"""The package layers, read from the source: no import cycle between the parts of
``shrinkage``, and the Dask engine reaches the in-memory code through public names only.

Both tests parse ``src/shrinkage`` with :mod:`ast` (every ``import``, also the lazy ones
inside functions, since a lazy import is still a dependency), so they run in
milliseconds and do not depend on what happens to be imported already.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import shrinkage

ROOT = Path(shrinkage.__file__).parent



def _module_name(path: Path) -> tuple[str, list[str]]:
    """Dotted name of a source file, and the package its relative imports start from."""
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
        return ".".join(parts), parts
    return ".".join(parts), parts[:-1]


def _imports(path: Path, source: str | None = None):
    """``(imported module, imported name or None)`` for every import in a file."""
    _, package = _module_name(path)
    source = path.read_text(encoding="utf-8") if source is None else source
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                if _is_module(submodule):  # ``from . import linear`` imports a module
                    yield submodule, None
                else:
                    yield module, alias.name


def _is_module(dotted: str) -> bool:
    if not dotted.startswith("shrinkage."):
        return False
    path = ROOT.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _unit(dotted: str) -> str:
    """The part of the library a module belongs to: a subpackage or a top-level module."""
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else "shrinkage"


def _graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        source = _unit(_module_name(path)[0])
        for module, _ in _imports(path):
            if module.startswith("shrinkage") and _unit(module) != source:
                edges.setdefault(source, set()).add(_unit(module))
    return edges


def _find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the directed graph as a list of nodes, or None (depth-first search)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_cycle_finder_finds_a_cycle():
    # The check below is only as good as this search.
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_the_parts_of_the_library_import_each_other_without_cycles():
    edges = _graph()
    # The graph is real: the estimators dispatch to the Dask engine, which uses the solvers.
    assert "distributed" in edges["_dispatch"]
    assert "solvers" in edges["distributed"]
    cycle = _find_cycle(edges)
    assert cycle is None, f"import cycle between parts of shrinkage: {' -> '.join(cycle)}"


def test_the_dask_engine_imports_no_private_name_of_another_package():
    offences = []
    for path in sorted((ROOT / "distributed").glob("*.py")):
        for module, name in _imports(path):
            if not module.startswith("shrinkage.") or _unit(module) == "distributed":
                continue
            # Private modules inside another subpackage (``linear_model._ridge``) and
            # private names anywhere outside this package are off limits; the
            # library-wide helpers at the top (``shrinkage._validation``) are the base
            # layer every part may use.
            private_module = any(part.startswith("_") for part in module.split(".")[2:])
            private_name = name is not None and name.startswith("_")
            if private_module or private_name:
                where = path.relative_to(ROOT.parent)
                offences.append(f"{where}: from {module} import {name}")
    assert not offences, "\n".join(offences)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from ..linear_model._ridge import Ridge", ("shrinkage.linear_model._ridge", "Ridge")),
        ("from ..solvers.ridge import _RANK_RTOL", ("shrinkage.solvers.ridge", "_RANK_RTOL")),
    ],
)
def test_the_import_reader_sees_private_imports(source, expected):
    # Read as if it were a module of shrinkage/distributed/.
    assert expected in list(_imports(ROOT / "distributed" / "probe.py", source))


# The layers, lowest first (docs/architecture.md): a part may import its own layer and
# those below it, never one above. A new top-level module or subpackage must be placed
# here, which is the point: it makes its author decide where it belongs.
LAYERS = [
    {"shrinkage", "_validation", "_output", "_fitted", "_docs", "_jit", "_dask_input", "datasets",
     "plotting"},
    {"datafits", "datafits_cox", "penalties", "losses"},
    {"_data", "solvers"},
    {"path", "selection"},
    {"distributed", "_dispatch"},
    {"linear_model"},
    {"explain", "nn", "io", "features", "persist"},
    {"commands"},
    {"cli"},
    {"__main__"},
]


def test_every_part_imports_only_its_layer_and_those_below():
    rank = {unit: k for k, layer in enumerate(LAYERS) for unit in layer}
    units = {_unit(_module_name(path)[0]) for path in ROOT.rglob("*.py")}
    unplaced = sorted(units - set(rank))
    assert not unplaced, f"place {unplaced} in LAYERS (tests/test_layers.py)"
    upward = [
        f"{source} (layer {rank[source]}) imports {target} (layer {rank[target]})"
        for source, targets in _graph().items()
        for target in targets
        if rank[target] > rank[source]
    ]
    assert not upward, "\n".join(upward)
