"""Every failure path writes atomically: killed or failed runs leave the last good output.

`kg build` is killed (SIGKILL) at several delays while it builds a changed project, and
killed deterministically inside its write step; it is failed by a folder where
build/kg.trig should be, by a full disk on the second file, and by a serializer that
raises. After each, every file in build/ is byte-identical to the previous good build
(or, once the new build has been renamed in, to the new one), and the next good run
leaves no temporary file behind. Exports, views and ingest are failed the same way.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import kg.textio

from .conftest import FIXTURES, Built, accepted, refused, run, snapshot

KG = Path(sys.executable).with_name("kg")
TITLE_EN = "  en: Innovating a mechanism"


def _change(built: Built) -> None:
    """Change the data so that the next build differs from the one in build/."""
    built.edit("data/cases/gd-b3-04.yaml", TITLE_EN, "  en: Changed, innovating a mechanism")


def _changed_trig(built: Built) -> Path:
    """The build with every English title changed: each export and page differs."""
    text = built.trig.read_text(encoding="utf-8")
    assert "Innovating a mechanism" in text
    path = built.root / "changed.trig"
    path.write_text(text.replace('"Innovating', '"Changed, innovating'), encoding="utf-8")
    return path


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.tmp"))


def _visible(folder: Path) -> dict[str, bytes]:
    return {k: v for k, v in snapshot(folder).items() if not k.rsplit("/", 1)[-1].startswith(".")}


@pytest.fixture
def generations(built: Built, tmp_path: Path) -> tuple[dict, dict, float]:
    """(old build/, new build/, seconds a build takes in a fresh process)."""
    old = snapshot(built.build)
    _change(built)
    started = time.perf_counter()
    subprocess.run(
        [KG, "build", "--root", built.root, "--out", tmp_path / "new"],
        check=True,
        capture_output=True,
    )
    seconds = time.perf_counter() - started
    new = snapshot(tmp_path / "new")
    assert old.keys() == new.keys() and old != new
    return old, new, seconds


def test_sigkill_at_many_moments_leaves_whole_files(built: Built, generations):
    old, new, seconds = generations
    outcomes = []
    for fraction in (0.15, 0.4, 0.65, 0.8, 0.9, 0.95, 1.0, 1.05):
        proc = subprocess.Popen(
            [KG, "build", "--root", built.root, "--out", built.build],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(seconds * fraction)
        proc.send_signal(signal.SIGKILL)
        outcomes.append(proc.wait())
        files = _visible(built.build)
        assert files.keys() == old.keys(), files.keys()
        for name, data in files.items():
            assert data in (old[name], new[name]), f"{name} is neither the old nor the new build"
    assert -signal.SIGKILL in outcomes, "no run was killed before it finished"
    accepted(run("build", "--root", built.root, "--out", built.build))
    assert snapshot(built.build) == new
    assert _temps(built.build) == []


_KILL_AT_RENAME = """
import os, signal, sys
calls = 0
real = os.replace
def replace(src, dst):
    global calls
    calls += 1
    if calls == {n}:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(src, dst)
os.replace = replace
from kg.cli import main
sys.argv = ["kg", "build", "--root", sys.argv[1], "--out", sys.argv[2]]
main()
"""


def _killed_at_rename(built: Built, n: int) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _KILL_AT_RENAME.format(n=n), built.root, built.build],
        capture_output=True,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]


def test_sigkill_after_the_files_are_written_but_before_any_rename(built: Built, generations):
    """The new files exist in full as temporaries; build/ still shows the old build."""
    old, new, _ = generations
    _killed_at_rename(built, 1)
    assert _visible(built.build) == old
    assert len(_temps(built.build)) == 2  # left by the killed process: nothing can stop that
    accepted(run("build", "--root", built.root, "--out", built.build))
    assert snapshot(built.build) == new
    assert _temps(built.build) == [], "stale temporaries of a killed build were not removed"


@pytest.mark.xfail(
    strict=True,
    reason="product gap, left: kg build replaces build/kg.ttl and build/kg.trig by two "
    "renames; a SIGKILL between them leaves the new kg.ttl beside the old kg.trig. Each "
    "file is whole, but the pair is not one build. Closing it needs a generation folder "
    "swapped by one rename (or a symlink), a design change of build/.",
)
def test_sigkill_between_the_two_renames(built: Built, generations):
    old, new, _ = generations
    _killed_at_rename(built, 2)
    files = _visible(built.build)
    assert files in (old, new), "build/ mixes two builds"


def test_a_folder_where_kg_trig_should_be(built: Built):
    old_ttl = (built.build / "kg.ttl").read_bytes()
    (built.build / "kg.trig").unlink()
    (built.build / "kg.trig").mkdir()
    _change(built)
    refused(
        run("build", "--root", built.root, "--out", built.build),
        "cannot write the build output",
        "Is a directory",
    )
    assert (built.build / "kg.ttl").read_bytes() == old_ttl, "kg.ttl was replaced anyway"
    assert (built.build / "kg.trig").is_dir()
    assert _temps(built.build) == []


@pytest.fixture
def disk_full_on(monkeypatch):
    """From the n-th fsync on, writing fails as on a full disk."""

    def arm(n: int) -> None:
        calls = {"n": 0}
        real = os.fsync

        def fsync(fd):
            calls["n"] += 1
            if calls["n"] >= n:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real(fd)

        monkeypatch.setattr(kg.textio.os, "fsync", fsync)

    return arm


def test_a_full_disk_on_the_second_file(built: Built, disk_full_on):
    before = snapshot(built.build)
    _change(built)
    disk_full_on(2)
    refused(run("build", "--root", built.root, "--out", built.build), "No space left on device")
    assert snapshot(built.build) == before
    assert _temps(built.build) == []


def test_a_serializer_that_raises(built: Built, monkeypatch):
    import kg.serialize

    def broken(dataset):
        raise RuntimeError("serializer failed")

    monkeypatch.setattr(kg.serialize, "trig", broken)
    before = snapshot(built.build)
    _change(built)
    result = run("build", "--root", built.root, "--out", built.build)
    assert result.exit_code != 0 and isinstance(result.exception, RuntimeError)
    assert snapshot(built.build) == before
    assert _temps(built.build) == []


def test_export_csv_with_a_full_disk_replaces_no_table(built: Built, tmp_path: Path, disk_full_on):
    out = tmp_path / "csv"
    accepted(run("export", "--graph", built.trig, "--format", "csv", "--out", out))
    before = snapshot(out)
    disk_full_on(4)  # bodies, matrix and cases.csv (whose titles changed) come first
    refused(
        run("export", "--graph", _changed_trig(built), "--format", "csv", "--out", out, "--force"),
        "No space left on device",
    )
    assert snapshot(out) == before
    assert _temps(out) == []


def test_render_with_a_folder_in_the_way_writes_no_page(built: Built, tmp_path: Path):
    out = tmp_path / "views"
    accepted(run("render", "--graph", built.trig, "--out", out))
    before = snapshot(out)
    (out / "index.html").unlink()
    (out / "index.html").mkdir()
    before.pop("index.html")
    refused(run("render", "--graph", _changed_trig(built), "--out", out), "cannot write the views")
    assert snapshot(out) == before
    assert _temps(out) == []


def test_ingest_with_a_full_disk_writes_no_draft(built: Built, disk_full_on):
    before = snapshot(built.root / "data")
    disk_full_on(4)
    result = run("ingest", FIXTURES / "notice-batch4.txt", "--root", built.root)
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert snapshot(built.root / "data") == before
    assert _temps(built.root / "data") == []


def test_load_of_a_bad_file_creates_no_store(tmp_path: Path):
    bad = tmp_path / "bad.trig"
    bad.write_text('<http://example.org/g> { "lit" <http://example.org/p> "o" . }', "utf-8")
    refused(run("load", "--store", f"oxigraph:{tmp_path / 'store'}", "--graph", bad), "line 1")
    assert not (tmp_path / "store").exists()
