"""`kg ingest` from the command line: drafts, dry runs, accept, and bad notices."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from kg.cli import main

from .conftest import ROOT

NOTICES = ROOT / "tests" / "fixtures" / "notices"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _run(*args: str):
    return CliRunner().invoke(main, ["ingest", *args])


def test_ingest_writes_drafts_then_nothing_new(project):
    first = _run(str(NOTICES / "d-first-item-street.txt"), "--root", str(project))
    assert first.exit_code == 0, first.output
    assert "draft case(s)" in first.output and "(created)" in first.output
    drafts = project / "data" / "drafts"
    before = _snapshot(drafts)
    assert any(name.endswith(".draft.yaml") for name in before)
    again = _run(str(NOTICES / "d-first-item-street.txt"), "--root", str(project))
    assert again.exit_code == 0 and "(created)" not in again.output
    assert _snapshot(drafts) == before


def test_dry_run_writes_nothing(project):
    before = _snapshot(project / "data")
    result = _run(str(NOTICES / "b-crlf-halfwidth.txt"), "--root", str(project), "--dry-run")
    assert result.exit_code == 0 and "would write" in result.output
    assert _snapshot(project / "data") == before


def test_bad_notices_exit_nonzero_and_write_nothing(project, tmp_path):
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes(
        (NOTICES / "b-crlf-halfwidth.txt")
        .read_text(encoding="utf-8")
        .encode("gbk", errors="replace")
    )
    before = _snapshot(project / "data")
    for path, words in (
        (NOTICES / "bad-empty.txt", "empty"),
        (gbk, "UTF-8"),
        (NOTICES / "bad-no-items.txt", "item"),
        (NOTICES / "bad-duplicate-items.txt", "item"),
        (tmp_path / "missing.txt", "not found"),
    ):
        result = _run(str(path), "--root", str(project))
        assert result.exit_code == 1, (path, result.output)
        assert words in result.output and "Traceback" not in result.output
    assert _snapshot(project / "data") == before


def test_accept_refuses_unfilled_drafts(project):
    assert _run(str(NOTICES / "c-intro-only.txt"), "--root", str(project)).exit_code == 0
    cases = _snapshot(project / "data" / "cases")
    result = _run("--accept", "--root", str(project))
    assert result.exit_code == 1 and "TODO" in result.output
    assert _snapshot(project / "data" / "cases") == cases


def test_usage_errors():
    assert _run().exit_code == 2
    assert _run(str(NOTICES / "c-intro-only.txt"), "--accept").exit_code == 2
