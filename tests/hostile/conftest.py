"""Helpers of the hostile-input suite: run the CLI, snapshot folders, one good build.

`seed_trig` (the seed as `kg build` writes it) comes from tests/conftest.py.

Every hostile case checks the same four things: the exit status (non-zero with a
message naming the file, field or position, or zero with a safe and correct result),
no traceback in the output, no new, partial or changed file in the folders the command
may write (snapshots before and after), and no outbound connection (the session-wide
network guard in tests/conftest.py fails the test on its own).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kg.cli import main

CHROMIUM = shutil.which("chromium")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FIXTURES = Path(__file__).parent / "fixtures"


def run(*args: object) -> Result:
    """`kg ARGS` in-process (so the network guard sees it); exceptions are caught."""
    return CliRunner().invoke(main, [str(a) for a in args])


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output, result.output[-3000:]
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"kg raised {result.exception!r}") from result.exception


def refused(result: Result, *words: str) -> str:
    """Non-zero exit, no traceback, every word in the output; returns the output."""
    no_traceback(result)
    assert result.exit_code != 0, result.output[-3000:]
    for word in words:
        assert word in result.output, f"{word!r} not in:\n{result.output[-3000:]}"
    return result.output


def accepted(result: Result) -> str:
    no_traceback(result)
    assert result.exit_code == 0, result.output[-3000:]
    return result.output


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones too) by relative path, with its bytes."""
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@dataclass(frozen=True)
class Built:
    """A project folder with data/, ontology/ and a good build/."""

    root: Path

    @property
    def build(self) -> Path:
        return self.root / "build"

    @property
    def trig(self) -> Path:
        return self.build / "kg.trig"

    def case(self, case_id: str = "gd-b3-04") -> Path:
        return self.root / "data" / "cases" / f"{case_id}.yaml"

    def edit(self, rel: str, old: str, new: str, count: int = 1) -> None:
        path = self.root / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {rel}"
        path.write_text(text.replace(old, new, count), encoding="utf-8")


@pytest.fixture
def built(good_build: Path, tmp_path: Path) -> Built:
    """A scratch copy of the good project and its build (`good_build` in tests/conftest.py),
    for one test to damage; links are copied as the files they point to, like `cp -rL`."""
    root = tmp_path / "project"
    shutil.copytree(good_build, root)
    return Built(root)
