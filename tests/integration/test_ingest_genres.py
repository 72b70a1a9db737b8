"""`kg ingest` on the texts researchers find: news, list news, commentary, reposts, mirrors.

The fixtures (tests/fixtures/notices/g-*.txt, plus c- and f- of the notice layout) were
written for these tests in the style of each genre; their gold cases are in
expected/genres.yaml, written by hand. The measure test prints, per genre, cases found
against expected, fields right, evidence verbatim at offsets, and idempotence.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import URIRef

from kg.api import KnowledgeGraph
from kg.build.dataset import build, load_inputs
from kg.core.errors import KgError
from kg.core.yamlstrict import load_yaml
from kg.ingest import accept_drafts, ingest_notice
from kg.validate.checks import check_evidence, validate

from ..conftest import copy_inputs
from .test_ingest import _spans

ROOT = Path(__file__).resolve().parents[2]
NOTICES = ROOT / "tests" / "fixtures" / "notices"
GOLD = load_yaml(NOTICES / "expected" / "genres.yaml")
FIELDS = ("unit", "title", "place", "type", "category", "evidence", "batch")


def _copy_project(dst: Path) -> Path:
    return copy_inputs(dst)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return _copy_project(tmp_path)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _copy_project(tmp_path_factory.mktemp("genres"))


def _got(case) -> dict:
    rec = case.record
    body = rec["body"]
    batch = rec.get("batch") or case.meta["batch"]
    return {
        "unit": body["quote"],
        "title": rec["title"]["quote"],
        "place": str(body["place"]),
        "type": body["type"],
        "category": rec["category"],
        "evidence": rec.get("evidence", "full"),
        "batch": batch,
    }


def test_every_genre_against_its_gold(shared: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = {}
    for name, gold in GOLD.items():
        path = NOTICES / name
        if not gold["cases"]:
            with pytest.raises(KgError, match="no innovation cases found"):
                ingest_notice(path, root=shared, write=False)
            rows[name] = ("none", 0, 0, 0, 0, 0, 0, True)
            continue
        report = ingest_notice(path, root=shared, write=False)
        assert report.genre == gold["genre"], name
        text = path.read_text(encoding="utf-8")
        want = [dict(zip(FIELDS, c, strict=True)) for c in gold["cases"]]
        got = [_got(c) for c in report.cases]
        found = sum(1 for w in want if any(g["title"] == w["title"] for g in got))
        right = total = 0
        for w in want:
            g = next((g for g in got if g["title"] == w["title"]), {})
            right += sum(g.get(k) == w[k] for k in FIELDS)
            total += len(FIELDS)
        verbatim = spans = 0
        for case in report.cases:
            for span in _spans(case.record):
                spans += 1
                verbatim += text[span["start"] : span["end"]] == span["quote"]
        again = ingest_notice(path, root=shared, write=False)
        same = [c.record for c in again.cases] == [c.record for c in report.cases]
        rows[name] = (report.genre, found, len(want), len(got), right, total, verbatim, spans, same)
        assert found == len(want) == len(got), name
        assert right / total >= 0.95, (name, got)
        assert verbatim == spans and same, name
    with capsys.disabled():
        print("\ngenre fixture: cases found/expected (drafted), fields right, spans verbatim")
        for name, row in rows.items():
            if row[0] == "none":
                print(f"  {name:26} none: refused, nothing written")
                continue
            genre, found, want, got, right, total, verbatim, spans, same = row
            print(
                f"  {name:26} {genre:17} {found}/{want} ({got}) fields {right}/{total} "
                f"spans {verbatim}/{spans} idempotent {same}"
            )


def test_a_page_that_names_no_case_is_refused_with_its_reason(project: Path) -> None:
    before = sorted(p.relative_to(project) for p in (project / "data").rglob("*"))
    for name, reason in (
        ("g-neg-station.txt", "the text never names the programme"),
        ("g-neg-seminar.txt", "names the programme but no case"),
    ):
        with pytest.raises(KgError) as caught:
            ingest_notice(NOTICES / name, root=project)
        assert len(caught.value.problems) == 1
        assert reason in caught.value.problems[0].message
    assert sorted(p.relative_to(project) for p in (project / "data").rglob("*")) == before


def _fill_all(folder: Path, url: str = "https://www.example.org/page.html") -> None:
    for path in folder.glob("*.yaml"):
        if path.name.endswith(".draft.yaml") or path.name == "_generated.yaml":
            continue
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"url: TODO[^\n]*", f"url: {url}", text)
        text = re.sub(r"date: TODO[^\n]*", 'date: "2024-12-18"', text)
        text = re.sub(r"TODO  # fill: [^\n]*", "Translation", text)
        path.write_text(text, encoding="utf-8")


def test_intro_only_and_news_mention_accept_build_and_validate(project: Path) -> None:
    intro = ingest_notice(NOTICES / "g-intro-12.txt", root=project)  # 12 cases, names only
    news = ingest_notice(NOTICES / "g-news-single.txt", root=project, date="2024-12-18")
    assert news.source_meta["date"] == "2024-12-18"
    assert news.source_meta["genre"] == "single-case-news"
    for report in (intro, news):
        _fill_all(project / "data/drafts" / report.source_id)
    accepted = accept_drafts(project)
    assert len([p for p in accepted if p.parent.name == "cases"]) == 13
    record = load_yaml(project / "data/cases/gd-b7-441324-sc.yaml")
    assert record["evidence"] == "news-mention" and "batch" not in record  # the source's
    assert record.get("measures", []) == []  # nothing invented
    assert record["category_inferred"]["rule"] == "cue-word:监督 in the title"
    for n in range(1, 13):
        intro_record = load_yaml(project / f"data/cases/gd-b9-{n:02d}.yaml")
        assert intro_record["evidence"] == "intro-only"  # the flag survives --accept
        assert intro_record.get("measures", []) == [] and "selection_reason" not in intro_record
    result = build(load_inputs(project))
    problems, checked = check_evidence(result)
    assert problems == [] and checked > 0
    report = validate(result)
    assert report.conforms, report.text()
    assert "cases resting on less than a full item block: 12 intro-only, 1 news-mention" in (
        report.text()
    )
    level = URIRef("https://w3id.org/renda-kg/ontology#evidenceLevel")
    rows = [(s, o) for s, _, o, _ in result.dataset.quads((None, level, None, None))]
    levels = {str(s).rsplit("/", 1)[-1]: str(o).rsplit("#", 1)[-1] for s, o in rows}
    assert levels["gd-b7-441324-sc"] == "NewsMention"
    assert [levels[f"gd-b9-{n:02d}"] for n in range(1, 13)] == ["IntroOnly"] * 12
    assert "gd-b3-01" not in levels  # a full item block states no level


def test_a_repost_and_a_mirror_of_an_accepted_notice_only_add_sources(project: Path) -> None:
    first = ingest_notice(NOTICES / "c-intro-only.txt", root=project)
    _fill_all(project / "data/drafts" / first.source_id)
    accept_drafts(project)
    cases = project / "data/cases"
    before = {p.name: p.read_text(encoding="utf-8") for p in cases.glob("gd-b5-*.yaml")}
    label = load_yaml(project / f"data/sources/{first.source_id}.yaml")["batch"]["label"]
    for name in ("g-repost.txt", "g-mirror-trad.txt"):
        report = ingest_notice(NOTICES / name, root=project)
        assert report.cases == [] and len(report.merged) == 4
        assert report.merge.startswith("4 case(s) of this text are recorded already")
        assert "exists; compare them" not in report.summary()
        source = report.source_meta
        assert (
            source["batch"] == load_yaml(project / f"data/sources/{first.source_id}.yaml")["batch"]
        )  # one batch, one (Simplified) label, copied
        _fill_all(project / "data/drafts" / report.source_id)
        accept_drafts(project)
        again = ingest_notice(NOTICES / name, root=project)
        assert again.merged == [] and sorted(again.already_recorded) == sorted(
            p.removesuffix(".yaml") for p in before
        )
    assert label == "第五届广东省县乡人大工作创新案例"
    for name, old in before.items():
        new = load_yaml(cases / name)
        assert [o["evidence"] for o in new["other_sources"]] == ["intro-only", "intro-only"]
        trimmed = re.sub(r"\nother_sources:.*", "\n", (cases / name).read_text(), flags=re.S)
        assert trimmed.rstrip() == old.rstrip()  # nothing but other_sources changed
    mirror = load_yaml(cases / "gd-b5-02.yaml")["other_sources"][1]
    assert mirror["title"]["quote"] == "『代表+鄉賢』聯繫群眾工作機制"
    result = build(load_inputs(project))
    assert check_evidence(result)[0] == []
    assert validate(result).conforms, validate(result).text()
    rows = KnowledgeGraph.from_data(project).select("evidence-levels").dicts()
    b5_02 = [r for r in rows if r["case"].endswith("/gd-b5-02")]
    assert [(r["primary"], r["level"]) for r in b5_02] == [
        (True, "IntroOnly"),
        (False, "IntroOnly"),
        (False, "IntroOnly"),
    ]
    assert {r["genre"] for r in b5_02} >= {"repost"}


def test_a_commentary_names_cases_of_several_batches(shared: Path) -> None:
    report = ingest_notice(NOTICES / "g-commentary.txt", root=shared, write=False)
    assert report.batch_id == ""  # several batches: the source has none of its own
    assert "batch" not in report.source_meta
    # gd-b3 is defined by the seed's source already: only the new batches are defined here
    assert [b["id"] for b in report.source_meta["batches"]] == ["gd-b5", "gd-b7"]
    assert [b["label"] for b in report.source_meta["batches"]] == [
        "第五届广东省县乡人大工作创新案例",
        "第七届广东省县乡人大工作创新案例",
    ]
    assert [c.record["batch"] for c in report.cases] == ["gd-b3", "gd-b5", "gd-b7"]
    assert [c.rules["batch"] for c in report.cases] == [
        "第N届 before it",
        "第N届 earlier in its paragraph",
        "第N届 before it",
    ]


def test_a_traditional_mirror_alone_drafts_the_simplified_proper_name(shared: Path) -> None:
    report = ingest_notice(NOTICES / "g-mirror-trad.txt", root=shared, write=False)
    assert report.traditional
    batch = report.source_meta["batch"]
    assert batch["label"] == "第五届广东省县乡人大工作创新案例"  # not 第五屆廣東省…
    # the headline says 第七届全省…; the label is the proper name the text gives later
    news = ingest_notice(NOTICES / "g-news-single.txt", root=shared, write=False)
    assert news.source_meta["batch"]["label"] == "第七届广东省县乡人大工作创新案例"


def test_news_about_a_recorded_case_adds_a_news_mention_source(
    project: Path, tmp_path: Path
) -> None:
    first = ingest_notice(NOTICES / "g-intro-12.txt", root=project)
    _fill_all(project / "data/drafts" / first.source_id)
    accept_drafts(project)
    news = tmp_path / "longmen.txt"
    news.write_text(
        "来源:龙门县人大常委会  2025-12-25\n"
        "近日,第九届广东省县乡人大工作创新案例公布,我县人大常委会报送的"
        "“村级事务‘一月一评’监督机制”成功入选。\n",
        encoding="utf-8",
    )
    report = ingest_notice(news, root=project)
    assert report.genre == "single-case-news" and report.merged == ["gd-b9-09"]
    _fill_all(project / "data/drafts" / report.source_id)
    accept_drafts(project)
    other = load_yaml(project / "data/cases/gd-b9-09.yaml")["other_sources"]
    assert [(o["evidence"], o["title"]["quote"], o["body"]["quote"]) for o in other] == [
        ("news-mention", "村级事务‘一月一评’监督机制", "我县人大常委会")
    ]
    assert "item" not in other[0]
    assert validate(build(load_inputs(project))).conforms
