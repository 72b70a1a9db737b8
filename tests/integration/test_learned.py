"""The learned layer of the mechanism finder (kg.ingest.learned): scikit-learn's numbers
scored by our own NumPy code, a deterministic cache, no training on held-out sentences,
no tags where a sentence says a practice is absent, and its held-out figures."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from kg.ingest import learned
from kg.ingest.evaluate import evaluate, load_sentences, project_finder, project_model
from kg.ingest.mechanisms import MechanismFinder, load_concepts
from kg.sources.vocabulary import load_vocabulary

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "data" / "eval" / "mechanism-sentences.yaml"


@pytest.fixture(scope="module")
def concepts():
    return load_concepts(load_vocabulary(ROOT / "data" / "vocab"))


@pytest.fixture(scope="module")
def sentences(concepts):
    return load_sentences(EVAL, frozenset(c.id for c in concepts))


@pytest.fixture(scope="module")
def small(sentences):
    """A model fitted on 500 tuning sentences (fast), and 60 others to score."""
    dev = [s for s in sentences if s.split == "dev"]
    rows = [(MechanismFinder.reading(s.text), s.gold) for s in dev]
    ids = sorted({g for _, gold in rows[:500] for g in gold})
    return learned.train(rows[:500], ids), rows[:500], [t for t, _ in rows[500:560]]


def test_scores_are_what_scikit_learn_predicts(small):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    model, rows, others = small
    vectorizer = TfidfVectorizer(
        analyzer="char", ngram_range=learned.NGRAMS, min_df=learned.MIN_DF, sublinear_tf=True
    )
    features = vectorizer.fit_transform([t for t, _ in rows])
    assert model.grams == vectorizer.vocabulary_
    for concept in ("liaison-station", "special-work-report", "satisfaction-evaluation"):
        labels = np.array([concept in gold for _, gold in rows])
        fitted = LogisticRegression(
            C=learned.C, class_weight="balanced", solver="liblinear", random_state=0
        ).fit(features, labels)
        expected = fitted.predict_proba(vectorizer.transform(others))[:, 1]
        ours = [model.scores(text)[concept] for text in others]
        assert np.allclose(ours, expected, rtol=0, atol=1e-9), concept


def test_training_is_deterministic_and_the_kept_model_scores_the_same(small, tmp_path):
    model, rows, others = small
    again = learned.train(rows, model.concepts)
    assert again.concepts == model.concepts and again.grams == model.grams
    assert np.array_equal(again.weights, model.weights) and np.array_equal(again.bias, model.bias)
    model.save(tmp_path / "m")
    kept = learned.LearnedModel.load(tmp_path / "m")
    assert kept is not None and [kept.scores(t) for t in others] == [
        model.scores(t) for t in others
    ]
    meta = (tmp_path / "m" / "model.json").read_text(encoding="utf-8")
    (tmp_path / "m" / "model.json").write_text(meta.replace('"grams": {', '"grams": {"qzxv": 0, '))
    assert learned.LearnedModel.load(tmp_path / "m") is None  # columns and arrays disagree
    (tmp_path / "m" / "model.json").write_text("[]")
    assert learned.LearnedModel.load(tmp_path / "m") is None
    (tmp_path / "m" / "arrays.npz").write_bytes(b"not an archive")
    assert learned.LearnedModel.load(tmp_path / "m") is None  # refitted, not trusted


def _project(tmp_path: Path, eval_text: str | None) -> Path:
    (tmp_path / "data").mkdir()
    shutil.copytree(ROOT / "data" / "vocab", tmp_path / "data" / "vocab")
    if eval_text is not None:
        (tmp_path / "data" / "eval").mkdir()
        (tmp_path / "data" / "eval" / "mechanism-sentences.yaml").write_text(
            eval_text, encoding="utf-8"
        )
    return tmp_path


def _entry(n: int, text: str, gold: str, split: str) -> str:
    return (
        f"  - id: t{n}\n    text: {text}\n    gold: [{gold}]\n    kind: plain\n    split: {split}\n"
    )


def test_the_held_out_sentences_never_train_the_model(tmp_path, monkeypatch, concepts):
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path / "cache"))
    dev = [
        ("镇人大代表联络站每月接待群众。", "liaison-station"),
        ("代表在联络站听取村民意见。", "liaison-station"),
        ("常委会听取县政府工作情况的报告。", "special-work-report"),
        ("常委会审议了县法院的专项工作报告。", "special-work-report"),
    ]
    held_out = [
        ("代表qzxv站接待选民。", "liaison-station"),
        ("常委会qzxv报告。", "special-work-report"),
    ]
    body = "sentences:\n" + "".join(
        _entry(n, text, gold, split)
        for n, (text, gold, split) in enumerate(
            [(t, g, "dev") for t, g in dev] + [(t, g, "test") for t, g in held_out]
        )
    )
    model = project_model(_project(tmp_path, body), concepts)
    assert model is not None and set(model.concepts) == {"liaison-station", "special-work-report"}
    assert "qzxv" not in model.grams and "联络站" in model.grams
    assert any((tmp_path / "cache" / "tagger").iterdir())  # kept for the next run


def test_the_bytes_of_an_evaluation_set_read_before_find_its_model_unread(
    tmp_path, monkeypatch, concepts
):
    """The file is parsed once (0.6 s for the project's own); the same bytes find the
    kept model again, an edit or a damaged pointer reads the file again."""
    import kg.ingest.evaluate

    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path / "cache"))
    dev = [("镇人大代表联络站每月接待群众。", "liaison-station")] * 2
    dev += [("常委会听取县政府工作情况的报告。", "special-work-report")] * 2
    body = "sentences:\n" + "".join(_entry(n, t, g, "dev") for n, (t, g) in enumerate(dev))
    root = _project(tmp_path, body)
    first = project_model(root, concepts)
    reads = []
    real = kg.ingest.evaluate.load_sentences
    monkeypatch.setattr(
        kg.ingest.evaluate, "load_sentences", lambda *a: reads.append(a) or real(*a)
    )
    again = project_model(root, concepts)
    assert reads == [] and again is not None and first is not None
    assert again.grams == first.grams and np.array_equal(again.weights, first.weights)
    (pointer,) = (tmp_path / "cache" / "tagger").glob("file-*.txt")
    pointer.write_text("../../elsewhere", encoding="utf-8")
    assert project_model(root, concepts).grams == first.grams and len(reads) == 1
    path = root / "data" / "eval" / "mechanism-sentences.yaml"
    path.write_text(body + "# reviewed\n", encoding="utf-8")  # same sentences, new bytes
    assert project_model(root, concepts).grams == first.grams and len(reads) == 2
    assert project_model(root, concepts).grams == first.grams and len(reads) == 2


def test_a_project_without_an_evaluation_set_has_rules_only(tmp_path):
    assert project_finder(_project(tmp_path, None)).learned is None


@pytest.fixture(scope="module")
def both():
    return project_finder(ROOT), project_finder(ROOT, learned=False)


@pytest.mark.parametrize(
    "text",
    [
        "该镇尚未建立代表联络站，群众有事只能跑到县城反映。",
        "县市场监管局对辖区餐饮企业开展满意度测评，测评结果向社会公布。",
        "考察组学习借鉴外地民生实事项目代表票决的经验做法。",
    ],
)
def test_no_learned_tag_where_a_sentence_says_the_practice_is_absent_or_not_ours(both, text):
    with_layer, rules = both
    assert with_layer.concepts_in(text) == rules.concepts_in(text)


def test_a_learned_tag_names_its_score_and_spans_its_sentence(both):
    with_layer, _ = both
    text = "代表们给各部门一年来的工作打分，结果当场亮出来。区里还把这批小事的进度一路盯到年底。"
    matches = with_layer.find(text, [(0, len(text))])[0]
    added = [m for m in matches if m.learned]
    assert added, matches
    for m in added:
        score = float(m.rule.removeprefix("learned:"))
        assert learned.ADD <= score <= 1 and text[m.start : m.end].endswith(("。", "来", "底"))


def test_held_out_figures_stay_where_they_were_measured(both, sentences):
    """Measured on the held-out rounds o and p (2026-12-07; each scored once, p with this
    code, o before three review fixes): rules 87.1 / 74.9, with the learned layer 92.1 /
    92.4, paraphrase recall 87.8, seed rewrites 98.6 / 91.2, no family under 89 % recall.
    A change that loses them fails here (the floors sit a little under the figures)."""
    with_layer, rules = both
    test = [s for s in sentences if s.split == "test"]
    assert len(test) >= 400
    learned_score, rules_score = evaluate(with_layer, test), evaluate(rules, test)
    assert learned_score.overall.recall >= 0.90 and learned_score.overall.precision >= 0.90
    assert learned_score.overall.recall >= rules_score.overall.recall + 0.15
    assert learned_score.by_kind["paraphrase"].recall >= 0.85
    assert min(score.recall for score in learned_score.by_facet.values()) >= 0.85
    seed = learned_score.seed_paraphrases
    assert seed.tp + seed.fn >= 100 and seed.precision >= 0.95 and seed.recall >= 0.88


def test_kg_tag_marks_what_the_learned_layer_added():
    from click.testing import CliRunner

    from kg.cli import main

    text = "代表们给各部门一年来的工作打分，结果当场亮出来。"
    both = CliRunner().invoke(main, ["tag", "--root", str(ROOT), text])
    rules = CliRunner().invoke(main, ["tag", "--root", str(ROOT), "--rules-only", text])
    assert both.exit_code == 0 and rules.exit_code == 0, both.output + rules.output
    marked = [line.split()[0] for line in both.output.splitlines() if " learned 0." in line]
    assert marked and "learned" not in rules.output
    assert {line.split()[0] for line in rules.output.splitlines()} == {
        line.split()[0] for line in both.output.splitlines() if " learned " not in line
    }


# dev sentences (k110, l175): a generic 站点 the rules read as a liaison station
DOUBTED = [
    (
        "站点办得好不好，老百姓打分说了算，分数高的门口挂上三颗星、四颗星，分数低的来年摘牌。",
        "liaison-station",
    ),
    (
        "祁阳市人大的公众号、市电视台的专栏和各乡镇站点的宣传栏一起发力，把人大的故事讲给老百姓听。",
        "liaison-station",
    ),
]


@pytest.mark.parametrize(("text", "concept"), DOUBTED)
def test_a_rule_hit_the_layer_scores_low_is_doubted_and_not_counted(both, text, concept):
    with_layer, rules = both
    assert concept in rules.concepts_in(text)
    doubted = [m for m in with_layer.find(text, [(0, len(text))])[0] if m.concept == concept]
    assert doubted and all(m.doubt is not None and m.doubt < learned.DOUBT for m in doubted)
    assert concept not in with_layer.concepts_in(text)


def test_kg_tag_names_a_doubted_hit_with_its_score():
    from click.testing import CliRunner

    from kg.cli import main

    text, concept = DOUBTED[1]
    result = CliRunner().invoke(main, ["tag", "--root", str(ROOT), text])
    assert result.exit_code == 0, result.output
    doubted = [line for line in result.output.splitlines() if line.startswith("doubted")]
    assert len(doubted) == 1 and doubted[0].endswith(f": {concept}")
    assert not any(line.split()[0] == concept for line in result.output.splitlines())


TRADES = "渔港镇按捕捞、养殖、加工三个行当把代表编组，各设一个站点，专门收集本行当的诉求。"


def test_a_narrower_learned_concept_replaces_the_generic_rule_hit(both):
    """Most specific concept: the layer reads the trade stations that 站点 only names."""
    with_layer, rules = both
    assert rules.concepts_in(TRADES) == {"liaison-station"}
    found = with_layer.concepts_in(TRADES)
    assert "liaison-station-industry" in found and "liaison-station" not in found
    (matches,) = with_layer.find(TRADES, [(0, len(TRADES))])
    replaced = [m for m in matches if m.concept == "liaison-station"]
    assert replaced and all(m.replaced_by == "liaison-station-industry" for m in replaced)


def test_ingest_keeps_the_rule_claims_the_layer_doubts_or_replaces(tmp_path, both):
    """On notices the rules are the judge: a replaced or doubted hit stays a claim, and
    the layer's concept is only suggested."""
    from kg.ingest import Ingester
    from kg.ingest.text import read_notice

    with_layer, _ = both
    tagger = Ingester(ROOT).tagger  # the project's vocabulary and learned layer
    text = TRADES + DOUBTED[1][0]
    path = tmp_path / "notice.txt"
    path.write_text(text, encoding="utf-8")
    t = read_notice(path)
    found = with_layer.find(t.match, [(0, len(t.match))])[0]
    assert {m.concept for m in found if not m.counted} == {"liaison-station"}
    claims = tagger.claims(t, [(0, len(t.match))])
    assert "liaison-station" in {tag.concept for tag in claims["mechanisms"]}
    assert "liaison-station-industry" in {tag.concept for tag in claims["suggested"]}
    assert "liaison-station" in {tag.concept for tag in claims["doubted"]}


def test_a_doubted_hit_neither_blocks_nor_hides_the_concept_elsewhere(both):
    """A concept doubted in one sentence and found in another is found (and kg tag says
    so), and the layer may still add it where its words are its own."""
    from click.testing import CliRunner

    from kg.cli import main

    with_layer, _ = both
    doubted = DOUBTED[0][0]
    plain = "代表联络站每月定期接待选民，收集意见建议。"
    assert "liaison-station" not in with_layer.concepts_in(doubted)
    assert "liaison-station" in with_layer.concepts_in(doubted + plain)
    result = CliRunner().invoke(main, ["tag", "--root", str(ROOT), doubted + plain])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.split()[0] == "liaison-station" for line in lines)
    assert not any(line.endswith(": liaison-station") for line in lines)
