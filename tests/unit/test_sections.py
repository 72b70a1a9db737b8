"""Section inference from cue words (`kg.ingest.sections`), on the seed's ten curated cases
with their headings ignored, and on what must stay unknown."""

from __future__ import annotations

from pathlib import Path

from kg.core.yamlstrict import load_yaml
from kg.ingest.page import TextSpan
from kg.ingest.sections import infer_category
from kg.ingest.text import normalise

ROOT = Path(__file__).resolve().parents[2]


def _span(field: dict) -> list[TextSpan]:
    return [TextSpan(field["start"], field["end"])]


def test_the_seed_categories_follow_from_title_reason_and_measures() -> None:
    text = (ROOT / "data/sources/gd-npc-innovation-cases-batch3-2020.txt").read_text("utf-8")
    norm = normalise(text)
    right = 0
    records = sorted((ROOT / "data/cases").glob("gd-b3-*.yaml"))
    for path in records:
        rec = load_yaml(path)
        fields = [("title", _span(rec["title"]))]
        if rec.get("selection_reason"):
            fields.append(("reason", _span(rec["selection_reason"])))
        fields.append(("measures", [TextSpan(m["start"], m["end"]) for m in rec["measures"]]))
        found = infer_category(norm, fields)
        assert found is not None
        assert norm[found.span.start : found.span.end] in found.rule
        right += found.category == rec["category"]
    assert (right, len(records)) == (10, 10)


def test_no_cue_word_means_no_category() -> None:
    norm = "创建海岛品牌 打造特色站点"
    assert infer_category(norm, [("title", [TextSpan(0, len(norm))])]) is None
