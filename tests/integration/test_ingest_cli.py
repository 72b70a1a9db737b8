"""`kg ingest` from the command line: drafts, dry runs, accept, and bad notices."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from kg.cli import main

from ..conftest import ROOT

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


def test_news_item_with_url_and_date_then_status_tracks_the_todos(project):
    news = NOTICES / "g-news-single.txt"
    args = ("--root", str(project), "--url", "https://www.example.org/lm/1.html")
    result = _run(str(news), *args, "--date", "2024-12-18")
    assert result.exit_code == 0, result.output
    assert "genre: single-case-news (one case named in prose)" in result.output
    assert "[news mention, category inferred" in result.output
    folder = next((project / "data" / "drafts").iterdir())
    source = (folder / f"{folder.name}.source.yaml").read_text(encoding="utf-8")
    assert "url: https://www.example.org/lm/1.html" in source
    assert 'date: "2024-12-18"' in source
    status = _run("--status", "--root", str(project))
    assert status.exit_code == 0
    todo = [line for line in status.output.splitlines() if ": " in line and "TODO" in line]
    assert any("title_en: TODO" in line for line in todo)
    assert len(todo) == len(set(todo))  # each TODO once
    draft = folder / f"{folder.name}.source.yaml"
    draft.write_text(source.replace("title_en: TODO", "title_en: Longmen"), encoding="utf-8")
    after = _run("--status", "--root", str(project))
    assert "title_en: TODO" not in after.output  # current after the curator's edit
    assert f"{len(todo) - 1} TODO(s) left" in after.output


def test_refusals_are_one_line_and_exit_nonzero(project):
    before = _snapshot(project / "data")
    for args, words in (
        ((str(NOTICES / "g-neg-station.txt"),), "never names the programme"),
        ((str(NOTICES / "g-neg-seminar.txt"),), "names the programme but no case"),
        ((str(NOTICES / "g-news-single.txt"), "--date", "18.12.2024"), "--date: '18.12.2024'"),
        ((str(NOTICES / "g-news-single.txt"), "--url", "www.example.org"), "--url:"),
    ):
        result = _run(*args, "--root", str(project))
        assert result.exit_code == 1, (args, result.output)
        assert words in result.output and "Traceback" not in result.output
        assert len([ln for ln in result.output.splitlines() if not ln.startswith(" ")]) == 1
    assert _snapshot(project / "data") == before
