"""Hostile texts for the prose parsers (news, commentary) and the merge workflow.

A flood of quotation marks or of unit names must not make ingest slow or invent cases;
a quoted phrase without a unit, or a unit without a selection sentence, names no case;
a merge proposal edited to change more than `other_sources` is refused at accept and
the curated record stays byte-identical.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from kg.core.errors import KgError
from kg.ingest import accept_drafts, ingest_notice

from ..conftest import ROOT, copy_inputs

NOTICES = ROOT / "tests" / "fixtures" / "notices"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_inputs(tmp_path)


def test_a_flood_of_quotes_and_units_is_fast_and_invents_nothing(
    project: Path, tmp_path: Path
) -> None:
    line = "“" * 3000 + "东源县人大常委会" * 500 + "”" * 3000 + "入选第三届创新案例。\n"
    path = tmp_path / "flood.txt"
    path.write_text("关于创新案例的新闻\n" + line * 5, encoding="utf-8")
    # Timed warm: the first ingest of a session may fit the tagger's learned layer first.
    (tmp_path / "warm.txt").write_text("关于创新案例的新闻\n无案例。\n", encoding="utf-8")
    with pytest.raises(KgError, match="no innovation cases found"):
        ingest_notice(tmp_path / "warm.txt", root=project, write=False)
    started = time.perf_counter()
    with pytest.raises(KgError, match="no innovation cases found"):
        ingest_notice(path, root=project, write=False)
    assert time.perf_counter() - started < 20


@pytest.mark.parametrize(
    "text",
    [
        # a quoted slogan with no unit before it, in a selection sentence
        "某地“以票决促民生”入选第五届广东省县乡人大工作创新案例。",
        # a unit and a quote, but no selection and no batch in sentence or paragraph
        "第五届广东省县乡人大工作创新案例公布后,\n龙门县人大常委会“村级事务监督机制”在会上作交流。",
        # the programme's own name in quotes is not a case
        "龙门县人大常委会“第七届广东省县乡人大工作创新案例”宣讲会入选全市十佳。",
    ],
)
def test_near_misses_name_no_case(project: Path, tmp_path: Path, text: str) -> None:
    path = tmp_path / "near.txt"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(KgError, match="no innovation cases found"):
        ingest_notice(path, root=project, write=False)


def _fill(folder: Path) -> None:
    for path in folder.glob("*.yaml"):
        if path.name.endswith(".draft.yaml") or path.name == "_generated.yaml":
            continue
        text = re.sub(r"url: TODO[^\n]*", "url: https://www.example.org/x.html", path.read_text())
        path.write_text(re.sub(r"TODO  # fill: [^\n]*", "Translation", text), encoding="utf-8")


def test_a_merge_proposal_edited_beyond_other_sources_is_refused(project: Path) -> None:
    first = ingest_notice(NOTICES / "c-intro-only.txt", root=project)
    _fill(project / "data/drafts" / first.source_id)
    accept_drafts(project)
    curated = (project / "data/cases/gd-b5-03.yaml").read_bytes()
    repost = ingest_notice(NOTICES / "g-repost.txt", root=project)
    folder = project / "data/drafts" / repost.source_id
    _fill(folder)
    draft = folder / "gd-b5-03.yaml"
    draft.write_text(
        draft.read_text(encoding="utf-8").replace("category: deputy-work", "category: publicity"),
        encoding="utf-8",
    )
    with pytest.raises(KgError, match="merge proposal refused: the draft changes more"):
        accept_drafts(project, ["gd-b5-03"])
    assert (project / "data/cases/gd-b5-03.yaml").read_bytes() == curated
    # the other three proposals are fine on their own
    accept_drafts(project, ["gd-b5-01", "gd-b5-02", "gd-b5-04"])
    assert b"other_sources" in (project / "data/cases/gd-b5-01.yaml").read_bytes()
