"""The mechanism tagger on wording of its own kind: frames, other bodies' practice, page
furniture, and the evaluation harness (`kg tag --eval`) on the project's sentence set."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.ingest.evaluate import evaluate, load_sentences
from kg.ingest.mechanisms import MechanismFinder, compile_pattern, unfurnished
from kg.ingest.text import match_form
from kg.sources.vocabulary import load_vocabulary

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "data" / "eval" / "mechanism-sentences.yaml"


@pytest.fixture(scope="module")
def finder() -> MechanismFinder:
    return MechanismFinder.from_graph(load_vocabulary(ROOT / "data" / "vocab"))


def test_a_frame_matches_its_parts_in_either_order_within_one_sentence():
    frame = compile_pattern("(居民|村民) & 打分")
    assert frame.search("请辖区居民对联络站一年来的服务打分")
    assert frame.search("现场打分的都是前来办事的村民")
    assert not frame.search("居民代表参加了会议。会后进行打分")  # another sentence
    assert not frame.search("居民" + "的" * 31 + "打分")  # more than 30 characters apart
    # the text between the parts is a gap: a concept inside it is not swallowed
    match = frame.search("村民对人大代表联络站打分")
    assert match and any(match.start(g) != -1 for g in range(1, frame.groups + 1))


def test_frames_find_word_orders_the_labels_do_not(finder):
    assert "satisfaction-evaluation-by-citizens" in finder.concepts_in(
        "街道人大工委邀请辖区居民为片区联络站的接待服务逐项打分。"
    )
    assert "satisfaction-evaluation-by-citizens" in finder.concepts_in(
        "联络站的接待服务好不好，由前来反映问题的居民现场打分。"
    )


def test_another_bodys_own_practice_is_not_the_congress_mechanism(finder):
    """The same words with a government body, a firm or a discipline commission as the
    subject and no congress actor in the sentence are not tagged."""
    for text, concept in [
        ("县财政局每月对各预算单位支出进度进行排名通报。", "progress-notification-ranking"),
        ("区市场监管局会同公安部门开展节前食品安全联合执法检查。", "law-enforcement-inspection"),
        ("某物流公司把员工奖金与绩效挂钩，按月兑现。", "performance-linkage"),
    ]:
        assert concept not in finder.concepts_in(text), text
    for text, concept in [
        ("区人大常委会督促区财政局每月对各单位支出进度排名通报。", "progress-notification-ranking"),
        ("县人大常委会组织部分代表开展食品安全法执法检查。", "law-enforcement-inspection"),
        # the subject is elided; the congress is the actor of the paragraph
        ("对全县道路交通安全法实施情况开展执法检查。", "law-enforcement-inspection"),
    ]:
        assert concept in finder.concepts_in(text), text


def test_page_furniture_inside_a_line_names_no_mechanism(finder):
    line = (
        "首页 > 监督工作 > 执法检查 | 镇人大主席团召开年度工作务虚会 | 来源:镇人大 | "
        "上一篇:代表风采"
    )
    assert finder.concepts_in(line) & {"law-enforcement-inspection", "media-column"} == set()
    assert "law-enforcement-inspection" in finder.concepts_in("镇人大主席团组织代表开展执法检查。")
    masked = unfurnished(match_form(line))
    assert len(masked) == len(match_form(line)) and "执法检查" not in masked
    assert unfurnished("项目资金来源:财政拨款") == "项目资金来源:财政拨款"  # a field inside prose


def test_a_spaced_out_headline_reads_as_its_words(finder):
    """A page may space out a headline's characters; a label or a pattern reads through
    single spaces, and its offsets cover the spaced text."""
    text = match_form("【 区 人 大 常 委 会 】 听 取 和 审 议 区 政 府 专 项 工 作 报 告")
    (matches,) = finder.find(text, [(0, len(text))])
    assert "special-work-report" in {m.concept for m in matches}
    hit = next(m for m in matches if m.concept == "special-work-report")
    assert "听 取" in text[hit.start : hit.end] and text[hit.start : hit.end].endswith("报 告")
    # one space between two words of prose is not noise enough to tag a near word
    assert finder.concepts_in("区人大常委会召开会议 听取意见") == finder.concepts_in(
        "区人大常委会召开会议听取意见"
    )


def test_noise_is_read_through_where_it_is_and_nowhere_else(finder):
    """A pinyin-spelt character is read in place; only the forms that could match near
    the noise are compiled (each costs about a millisecond, there are some 1,500)."""
    from kg.ingest.mechanisms import NOISE_REACH, tolerant

    prose = "县人大常委会组织代表开展集中视察,听取和审议政府专项工作报告。" * 4
    text = match_form("镇人大代表lianluo站每月接待选民。" + "。" * NOISE_REACH + prose)
    tolerant.cache_clear()
    (matches,) = finder.find(text, [(0, len(text))])
    noisy = {m.concept for m in matches if m.rule.startswith("noisy-match:")}
    assert "liaison-station" in noisy
    found = {m.concept for m in matches}
    assert {"special-work-report", "liaison-station"} <= found
    assert found == finder.concepts_in("镇人大代表联络站每月接待选民。" + prose)
    assert 0 < tolerant.cache_info().currsize < 40


def test_offsets_point_into_the_original_text_after_masking(finder):
    text = match_form("当前位置:首页>代表工作 县人大常委会开展专题询问,区长到会应询。")
    (matches,) = finder.find(text, [(0, len(text))])
    assert {(m.concept, text[m.start : m.end]) for m in matches} == {
        ("topical-inquiry", "专题询问"),
        ("topical-inquiry", "到会应询"),
    }
    assert unfurnished(text).startswith("\n" * len("当前位置:首页>代表工作"))


def test_eval_scores_a_small_set_exactly(tmp_path):
    path = tmp_path / "set.yaml"
    path.write_text(
        "sentences:\n"
        "  - id: a1\n"
        "    text: 常委会听取了县政府关于养老服务工作情况的报告，并开展满意度测评。\n"
        "    gold: [special-work-report, summons]\n"
        "    kind: plain\n"
        "    split: test\n"
        "  - id: a2\n"
        "    text: 县市场监管局开展节前食品安全联合执法检查。\n"
        "    gold: []\n"
        "    kind: near-miss\n"
        "    split: test\n",
        encoding="utf-8",
    )
    args = ["tag", "--root", str(ROOT), "--eval", str(path), "--errors", "--rules-only"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    # the rules alone found special-work-report (tp), satisfaction-evaluation (fp);
    # summons is missed (fn)
    row = next(line for line in result.output.splitlines() if line.startswith("all"))
    assert row.split()[1:] == ["50.0%", "50.0%", "50.0%", "2", "1", "1", "1"]
    assert "a1: summons | satisfaction-evaluation" in result.output
    assert "a2:" not in result.output


@pytest.mark.parametrize(
    "body, where",
    [
        (
            "  - id: b1\n    text: 常委会开展专题询问。\n    gold: [no-such]\n"
            "    kind: plain\n    split: dev\n",
            ":4: sentences[0].gold: unknown",
        ),
        ("  - id: b1\n    text: [unclosed\n", ": invalid YAML"),
        (
            "  - id: b1\n    text: 常委会开展专题询问。\n    gold: []\n"
            "    kind: rumour\n    split: dev\n",
            "sentences[0].kind",
        ),
    ],
)
def test_a_bad_evaluation_file_is_named_with_its_line(tmp_path, body, where):
    path = tmp_path / "bad.yaml"
    path.write_text("sentences:\n" + body, encoding="utf-8")
    result = CliRunner().invoke(main, ["tag", "--root", str(ROOT), "--eval", str(path)])
    assert result.exit_code != 0
    assert str(path) in result.output and where in result.output, result.output


def test_the_project_set_keeps_its_tuned_figures(finder):
    """The tuning sentences guard the vocabulary and the finder against regressions: a
    pattern or exclusion that breaks wording already handled fails here."""
    sentences = load_sentences(EVAL, frozenset(finder.concepts))
    assert len(sentences) >= 200 and {s.kind for s in sentences} >= {"paraphrase", "near-miss"}
    # Each round at the level its tuning reached, with the rules alone: the e-sentences
    # over many passes, the f-sentences (held out until 2026-12-05), the g-, h-, j-, k-,
    # l-, m- and n-sentences (until 2026-12-06/07) after one pass each; the i-sentences chose the
    # learned layer's settings and were not tuned on.
    floors = {
        "e": (0.95, 0.95),
        "f": (0.85, 0.93),
        "g": (0.88, 0.85),
        "h": (0.88, 0.93),
        "i": (0.86, 0.64),
        "j": (0.91, 0.65),
        "k": (0.82, 0.63),
        "l": (0.87, 0.63),
        "m": (0.82, 0.71),
        "n": (0.89, 0.76),
    }
    for first, (precision, recall) in floors.items():
        dev = [s for s in sentences if s.split == "dev" and s.id.startswith(first)]
        assert len(dev) >= 200, first
        overall = evaluate(finder, dev).overall
        assert overall.precision >= precision and overall.recall >= recall, (first, overall)
