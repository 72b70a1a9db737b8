"""The package's layout is the pipeline: each stage imports only the stages to its left.

Every import counts, at module level, inside functions and under TYPE_CHECKING, so that
no stage can reach one to its right even lazily, and the module graph has no cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "kg"
#: The stages, left to right (README "Layout"); `api` is kg/__init__.py and kg/api.py.
STAGES = (
    "core",
    "sources",
    "records",
    "ingest",
    "build",
    "validate",
    "store",
    "query",
    "analysis",
    "outputs",
    "site",
    "serve",
    "api",
    "cli",
)
MAX_LINES = 600


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "api":
        return "api"
    return parts[1]


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path) -> set[str]:
    """Every kg module `path` imports, wherever the import statement stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "kg"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] != "kg":
                continue
            for alias in node.names:  # `from kg.build import serialize` imports a module
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
    return found


GRAPH = nx.DiGraph()
for _name, _path in MODULES.items():
    GRAPH.add_node(_name)
    for _target in imports_of(_path):
        if _target != _name:
            GRAPH.add_edge(_name, _target)


def test_every_module_belongs_to_a_stage():
    assert {stage_of(m) for m in MODULES} <= set(STAGES)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_left(module):
    here = STAGES.index(stage_of(module))
    right = [
        target
        for target in GRAPH.successors(module)
        if target in MODULES and STAGES.index(stage_of(target)) > here
    ]
    assert not right, f"{module} ({stage_of(module)}) imports stages to its right: {right}"


def test_no_import_cycles():
    cycles = list(nx.simple_cycles(GRAPH))
    assert not cycles, f"import cycles: {cycles[:5]}"


def test_no_module_is_over_the_line_limit():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_the_checker_sees_a_violation(tmp_path):
    """The rule can fail: an import to the right, even lazy, is found."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from kg.serve.endpoint import make_server\n", encoding="utf-8")
    assert "kg.serve.endpoint" in imports_of(bad)
