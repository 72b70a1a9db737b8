"""`kg run`: one process makes what `make run` makes, and skips what did not change.

The outputs of one `kg run` on a clean folder are compared byte for byte with those of
the separate commands (`kg build`, `kg render`, `kg figures`, `kg docs`); a second run
rewrites nothing; a touched output is made again, alone; an edited case rebuilds what
shows the edit.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg import KnowledgeGraph
from kg.analysis.report import MAGIC, is_current
from kg.api import run_project
from kg.build.cache import MANIFEST, Manifest, source_digest
from kg.cli import main
from kg.outputs.figures import write_figures
from kg.query.kept import Packed, pack

from ..conftest import copy_inputs, made_once


def _project(tmp: Path) -> Path:
    """A copy of the seed project's inputs, safe to edit."""
    return copy_inputs(tmp / "project")


def _files(out: Path) -> dict[str, bytes]:
    """Every visible output file under `out`, through the links, by relative path."""
    found = {}
    for folder, dirs, files in os.walk(out, followlinks=True):  # views/ is a link
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            path = Path(folder) / name
            if not name.startswith("."):
                found[path.relative_to(out).as_posix()] = path.read_bytes()
    return dict(sorted(found.items()))


def _children() -> set[str]:
    """The pids of this process's children (Linux), reaped ones excluded."""
    tasks = Path("/proc/self/task")
    return {pid for task in tasks.iterdir() for pid in (task / "children").read_text().split()}


def _stamps(out: Path) -> dict[str, int]:
    return {name: (out / name).stat().st_mtime_ns for name in _files(out)}


def _run_once(folder: Path) -> None:
    """The seed project (folder/project) and one `kg run` of it into an empty folder
    (folder/build)."""
    root = _project(folder)
    result = CliRunner().invoke(main, ["run", "--root", str(root), "--out", str(folder / "build")])
    assert result.exit_code == 0, result.output
    assert "unchanged" not in result.output


def _separately(pristine: Path) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        """The outputs of the separate commands, as the Makefile ran them before `kg run`."""
        out = folder / "build"
        trig = str(out / "kg.trig")
        project = str(pristine / "project")
        commands = [
            ["build", "--root", project, "--out", str(out)],
            ["render", "--graph", trig, "--out", str(out / "views")],
            ["figures", "--graph", trig, "--out", str(out / "figures")],
            ["docs", "--graph", trig, "--out", str(out / "docs" / "index.html")],
            ["site", "--graph", trig, "--root", project, "--out", str(out / "site")],
        ]
        for args in commands:
            result = CliRunner().invoke(main, args)
            assert result.exit_code == 0, result.output

    return make


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """`_run_once`, made once for the session: tests work on copies (`_copy`)."""
    return made_once(tmp_path_factory, "run-cache", _run_once)


def _copy(pristine: Path, tmp: Path) -> tuple[Path, Path]:
    """A copy of the project and its run (stamps and links kept, so nothing is stale)."""
    shutil.copytree(pristine, tmp / "copy", symlinks=True)
    return tmp / "copy" / "project", tmp / "copy" / "build"


@pytest.fixture(scope="module")
def copied(pristine, tmp_path_factory) -> tuple[Path, Path]:
    return _copy(pristine, tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def project(copied) -> Path:
    return copied[0]


@pytest.fixture(scope="module")
def first_run(copied) -> Path:
    return copied[1]


@pytest.fixture(scope="module")
def separate(pristine, tmp_path_factory) -> dict[str, bytes]:
    out = made_once(tmp_path_factory, "run-cache-separate", _separately(pristine)) / "build"
    index = {f".kg-index/{p.name}": p.read_bytes() for p in (out / ".kg-index").iterdir()}
    return _files(out) | index


def test_one_process_writes_the_bytes_of_the_separate_commands(first_run, separate):
    """The index and the cross-case report (written by `kg run` in a child beside the
    other steps) included."""
    index = {f".kg-index/{p.name}": p.read_bytes() for p in (first_run / ".kg-index").iterdir()}
    shared = _files(first_run) | index
    assert sorted(name.rsplit(".", 1)[1] for name in index) == ["index", "report"]
    assert set(shared) == set(separate)
    different = [name for name in separate if shared[name] != separate[name]]
    assert different == []
    assert {"kg.trig", "kg.ttl", "views/index.html", "docs/index.html"} <= set(shared)
    assert any(name.endswith(".png") for name in shared)


def test_a_second_run_rewrites_nothing(project, first_run):
    before, stamps = _files(first_run), _stamps(first_run)
    steps = run_project(project, first_run).steps
    assert [s.name for s in steps if not s.skipped] == []
    assert len(steps) >= 4
    assert _files(first_run) == before
    assert _stamps(first_run) == stamps


def test_a_removed_output_is_made_again_alone(project, first_run, separate):
    (first_run / "figures" / "mechanism-frequency.png").unlink()
    steps = run_project(project, first_run).steps
    assert [s.name for s in steps if not s.skipped] == ["figures"]
    assert (first_run / "figures" / "mechanism-frequency.png").read_bytes() == separate[
        "figures/mechanism-frequency.png"
    ]


def test_an_edited_output_is_replaced(project, first_run, separate):
    page = first_run / "docs" / "index.html"
    page.write_text("<p>edited by hand</p>", encoding="utf-8")
    steps = run_project(project, first_run).steps
    assert [s.name for s in steps if not s.skipped] == ["docs"]
    assert page.read_bytes() == separate["docs/index.html"]


def test_an_unreadable_manifest_rebuilds_rather_than_trusts(project, first_run):
    """And a report kept by another version of kg (as after an upgrade, where the graph
    did not change) is computed again, not left for `kg patterns` to recompute each time."""
    (first_run / MANIFEST).write_text("{not json", encoding="utf-8")
    assert Manifest.read(first_run).steps == {}
    (report,) = (first_run / ".kg-index").glob("*.report")
    before, kept = report.read_bytes(), Packed.open(report, MAGIC)
    report.write_bytes(pack(MAGIC, {f: kept.part(f) for f in kept.tables}, code="an older kg"))
    steps = run_project(project, first_run).steps
    assert all(not s.skipped for s in steps)
    assert Packed.open(report, MAGIC).meta == {"code": source_digest()} and is_current(report)
    assert report.read_bytes() == before


def test_a_copied_run_is_up_to_date(pristine, tmp_path):
    """The premise of the tests below, which work on copies of one run."""
    root, out = _copy(pristine, tmp_path)
    assert all(s.skipped for s in run_project(root, out).steps)


def test_an_edited_case_rebuilds_the_graph_and_what_reads_it(pristine, tmp_path):
    root, out = _copy(pristine, tmp_path)
    trig = (out / "kg.trig").read_bytes()
    record = root / "data" / "cases" / "gd-b3-01.yaml"
    text = record.read_text(encoding="utf-8")
    assert "  en: Establishing" in text
    record.write_text(text.replace("  en: Establishing", "  en: Revised, establishing", 1), "utf-8")
    figures = _files(out / "figures")
    steps = {s.name: s.skipped for s in run_project(root, out).steps}
    assert steps["graph"] is False
    assert (out / "kg.trig").read_bytes() != trig
    assert b"Revised" in (out / "kg.trig").read_bytes()
    assert steps["views"] is False  # they show English titles
    # The figures are drawn in Chinese from the tags: an English title does not reach them,
    # so they stay, and they are what drawing from the edited graph gives.
    assert steps["figures"] is True
    assert _files(out / "figures") == figures
    edited = KnowledgeGraph.open("oxigraph", graph_file=out / "kg.trig")
    write_figures(edited, tmp_path / "redrawn")
    assert _files(tmp_path / "redrawn") == figures
    # A tag they do show redraws them.
    text = record.read_text(encoding="utf-8")
    assert "  - id: budget-responsibility-agreement\n" in text
    retagged = text.replace("id: budget-responsibility-agreement", "id: inquiry", 1)
    record.write_text(retagged, encoding="utf-8")
    steps = {s.name: s.skipped for s in run_project(root, out).steps}
    assert steps["figures"] is False
    matrix = "case-mechanism-matrix.svg"
    assert _files(out / "figures")[matrix] != figures[matrix]


def test_an_invalid_project_writes_nothing(tmp_path):
    root = _project(tmp_path)
    out = tmp_path / "build"
    record = root / "data" / "cases" / "gd-b3-01.yaml"
    record.write_text(
        record.read_text(encoding="utf-8") + "\nunknown_field_for_test: 1\n", encoding="utf-8"
    )
    before = _children()
    result = CliRunner().invoke(main, ["run", "--root", str(root), "--out", str(out)])
    assert result.exit_code == 1
    assert not (out / "kg.trig").exists()
    assert _children() == before  # the figure drawer forked before the build is gone
