"""Each kind of bad input: a message naming file and field, exit 1, build/ untouched."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main

CASE = "data/cases/gd-b3-04.yaml"


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def built(good_build: Path, tmp_path: Path) -> Path:
    """A scratch project with a good build in it (a copy of the session's `good_build`)."""
    shutil.copytree(good_build, tmp_path / "project", symlinks=True)
    return tmp_path / "project"


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden generation folders too) with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _edit(project: Path, rel: str, old: str, new: str, count: int = 1) -> None:
    path = project / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not in {rel}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _first_quote(project: Path) -> str:
    text = (project / CASE).read_text(encoding="utf-8")
    return re.search(r"^    quote: (.+)$", text, re.M).group(1)


def _damage(project: Path, kind: str) -> tuple[str, str]:
    """Break the scratch project one way; return (file, words the message must contain)."""
    if kind == "missing-field":
        _edit(project, CASE, "category:", "categry:")
        return CASE, "category: required field is missing"
    if kind == "unknown-mechanism":
        _edit(project, CASE, "- id: unannounced-visit", "- id: unannounced-visits")
        return CASE, (
            "unknown mechanism id 'unannounced-visits'\n    hint: did you mean 'unannounced-visit'"
        )
    if kind == "duplicate-case":
        (project / "data/cases/gd-b3-04.yml").write_bytes((project / CASE).read_bytes())
        return "gd-b3-04.yml", "duplicate case: item 4"
    if kind == "quote-not-in-source":
        quote = _first_quote(project)
        _edit(project, CASE, f"quote: {quote}", f"quote: {quote[:-1]}X")
        return CASE, "quote does not match the source"
    if kind == "wrong-offsets":
        text = (project / CASE).read_text(encoding="utf-8")
        start = int(re.search(r"^    start: (\d+)$", text, re.M).group(1))
        _edit(project, CASE, f"start: {start}\n", f"start: {start + 1}\n")
        return CASE, "the quote occurs at start:"
    if kind == "broken-yaml":
        _edit(project, CASE, "category:", "category: [unclosed")
        return CASE, "invalid YAML"
    if kind == "yaml-1.1-number":
        _edit(project, CASE, 'place: "440106"', "place: 440106")
        return CASE, "body.place: expected text, found int"
    if kind == "broken-turtle":
        _edit(project, "data/vocab/mechanisms.ttl", " .\n", " \n")
        return "data/vocab/mechanisms.ttl", "invalid Turtle"
    if kind == "non-utf8":
        path = project / CASE
        path.write_bytes(path.read_bytes().replace("天河".encode(), "天河".encode("gbk"), 1))
        return CASE, "not valid UTF-8"
    if kind == "unknown-field":
        _edit(project, CASE, "category:", "categroy: x\ncategory:")
        return CASE, "unknown field 'categroy'"
    if kind == "edited-source":
        path = project / "data/sources/gd-npc-innovation-cases-batch3-2020.txt"
        path.write_bytes(path.read_bytes() + b"\n")
        return "gd-npc-innovation-cases-batch3-2020.yaml", "sha256"
    raise AssertionError(kind)


KINDS = [
    "missing-field",
    "unknown-mechanism",
    "duplicate-case",
    "quote-not-in-source",
    "wrong-offsets",
    "broken-yaml",
    "yaml-1.1-number",
    "broken-turtle",
    "non-utf8",
    "unknown-field",
    "edited-source",
]


@pytest.mark.parametrize("kind", KINDS)
def test_bad_input_is_reported_and_build_kept(built: Path, kind: str):
    before = _snapshot(built / "build")
    file, words = _damage(built, kind)
    result = _run("build", "--root", str(built), "--out", str(built / "build"))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert file in result.output and words in result.output, result.output
    assert _snapshot(built / "build") == before


@pytest.mark.parametrize("kind", ["quote-not-in-source", "unknown-mechanism"])
def test_validate_exits_nonzero(project: Path, kind: str):
    file, words = _damage(project, kind)
    result = _run("validate", "--root", str(project))
    assert result.exit_code == 1
    assert file in result.output and words in result.output


def test_missing_project_folder(tmp_path: Path):
    result = _run("build", "--root", str(tmp_path / "nowhere"), "--out", str(tmp_path / "b"))
    assert result.exit_code == 1
    assert "not found" in result.output and "--root" in result.output
    assert not (tmp_path / "b").exists()
