"""Wording the vocabulary cannot place is proposed as a candidate concept, not dropped."""

from pathlib import Path

import pytest

from kg.ingest.mechanisms import MechanismFinder
from kg.ingest.tag import candidate_concepts
from kg.ingest.text import match_form
from kg.sources.vocabulary import load_vocabulary

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def finder() -> MechanismFinder:
    return MechanismFinder.from_graph(load_vocabulary(ROOT / "data" / "vocab"))


def _candidates(finder: MechanismFinder, text: str) -> list[str]:
    normal = match_form(text)
    return [c.phrase for c in candidate_concepts(finder, normal, [(0, len(normal))])]


def test_an_unknown_practice_in_a_frame_is_proposed(finder):
    text = "镇人大探索建立“民情茶话会”议事机制，每月邀请群众围坐议事。"
    assert _candidates(finder, text) == ['探索建立"民情茶话会"议事机制']


def test_a_frame_the_vocabulary_places_is_not_proposed(finder):
    text = "区人大常委会建立代表建议办理工作百分制分段评价机制。"
    assert _candidates(finder, text) == []


def test_frames_are_found_in_every_span_once(finder):
    text = "一是创新“代表夜访”工作法。二是创新“代表夜访”工作法。三是打造“云上议事厅”平台。"
    normal = match_form(text)
    middle = normal.index("二是")
    spans = [(0, middle), (middle, len(normal))]
    phrases = [c.phrase for c in candidate_concepts(finder, normal, spans)]
    assert phrases == ['创新"代表夜访"工作法', '打造"云上议事厅"平台']


def test_kg_tag_prints_candidates_after_the_concepts():
    from click.testing import CliRunner

    from kg.cli import main

    text = "镇人大探索建立“民情茶话会”议事机制，每月邀请群众到代表联络站围坐议事。"
    result = CliRunner().invoke(main, ["tag", "--root", str(ROOT), text])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["liaison-station", "station"]
    assert lines[-1] == 'candidate new concept: 探索建立"民情茶话会"议事机制'
