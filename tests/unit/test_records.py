"""The record schema, its loader and its one writer: the README example, round trips, drafts."""

from __future__ import annotations

import dataclasses
import functools
import re
from pathlib import Path

import pytest

from kg.core.errors import KgError
from kg.core.yamlstrict import load_yaml
from kg.records.load import load_case, placeholders_in
from kg.records.schema import (
    LAYOUT,
    PLACEHOLDER,
    BodyRef,
    Case,
    Claim,
    KnownIds,
    Measure,
    Span,
)
from kg.records.write import render, render_case
from kg.sources.places import Gazetteer
from kg.sources.vocabulary import load_vocabulary, vocabulary_ids

from ..conftest import ROOT

CASES = sorted((ROOT / "data/cases").glob("*.yaml"))
SOURCE_META = ROOT / "data/sources/gd-npc-innovation-cases-batch3-2020.yaml"


@functools.cache
def known() -> KnownIds:
    ids = vocabulary_ids(load_vocabulary(ROOT / "data/vocab"))
    return KnownIds(
        sources={"gd-npc-innovation-cases-batch3-2020": "gd-b3"},
        categories=ids["categories"],
        mechanisms=ids["mechanisms"],
        actors=ids["actors"],
        platform_types=ids["platform_types"],
        places=Gazetteer(ROOT / "data/places/places.yaml").keys(),
    )


def _readme_example(tmp_path: Path) -> Path:
    text = (ROOT / "data/cases/README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 1, "data/cases/README.md has one YAML example"
    path = tmp_path / "gd-b3-01.yaml"
    path.write_text(blocks[0], encoding="utf-8")
    return path


def test_readme_example_is_a_record_with_exactly_the_schema_fields(tmp_path: Path) -> None:
    path = _readme_example(tmp_path)
    case = load_case(path, known())  # the strict loader accepts it as it stands
    data = load_yaml(path)
    # every field but the four that describe a partial text or further sources, which
    # the README shows apart (they need a second source)
    partial = ("batch", "evidence", "category_inferred", "other_sources")
    assert tuple(data) == tuple(k for k in LAYOUT[""] if k not in partial)
    for key, value in data.items():
        entries = value if isinstance(value, list) else [value]
        for entry in entries:
            if isinstance(entry, dict):
                assert tuple(entry) == LAYOUT[key], f"README example, {key}"
    # and the writer writes the same data back
    path.write_text(render_case(case), encoding="utf-8")
    assert load_yaml(path) == data


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_seed_records_round_trip_byte_for_byte(path: Path, tmp_path: Path) -> None:
    case = load_case(path, known())
    text = render_case(case)
    assert text.encode("utf-8") == path.read_bytes()
    copy = tmp_path / path.name
    copy.write_text(text, encoding="utf-8")
    again = load_case(copy, known())
    assert again == case
    assert (again.title.file, case.title.file) == (str(copy), str(path))  # located, not compared


def _reload(tmp_path: Path, text: str) -> object:
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    return load_yaml(path)


def test_source_metadata_is_written_to_the_same_data(tmp_path: Path) -> None:
    data = load_yaml(SOURCE_META)
    text = render(data)
    assert text.startswith("id: gd-npc-innovation-cases-batch3-2020\nfile: ")
    assert _reload(tmp_path, text) == data


@pytest.mark.parametrize(
    "value",
    ["440604", "yes", "a: b", "x #y", "“24小时”的", '"q"', "-1", "line\nbreak", "cr\r\n", " pad"],
)
def test_scalars_read_back_unchanged(tmp_path: Path, value: str) -> None:
    data = {"v": value, "n": [1, {"k": value}], "e": [], "m": {}}
    assert _reload(tmp_path, render(data)) == data


def _draft() -> Case:
    title = Span("建立三项机制", 10, 16)
    return Case(
        id="gd-b3-01",
        source="gd-npc-innovation-cases-batch3-2020",
        item=1,
        category=None,
        title=title,
        title_en=None,
        body=BodyRef("county-standing-committee", None, "", Span("禅城区人大常委会", 20, 28)),
        measures=None,
        mechanisms=[Claim("performance-linkage", title)],
    )


def test_unknown_values_are_written_as_todo_with_their_fill_comment(tmp_path: Path) -> None:
    text = render_case(
        _draft(),
        {"category": "fill: supervision, deputy-work or publicity", "title": "rule: item-heading"},
        ["DRAFT"],
    )
    lines = text.splitlines()
    assert lines[0] == "# DRAFT"
    assert "category: TODO  # fill: supervision, deputy-work or publicity" in lines
    assert "title:  # rule: item-heading" in lines
    fill = "  # fill: a value the record format requires (data/cases/README.md)"
    assert "  en: TODO" + fill in lines  # title.en, with the generic comment
    assert "  place: TODO" + fill in lines
    assert "measures: TODO" + fill in lines
    assert "selection_reason" not in text and "start_year" not in text  # optional: left out
    path = tmp_path / "gd-b3-01.yaml"
    path.write_text(text, encoding="utf-8")
    assert placeholders_in(load_yaml(path)) == ["category", "title.en", "body.place", "measures"]
    with pytest.raises(KgError, match="category: 'TODO' is not a valid id"):
        load_case(path, known())  # the loader refuses a draft that still holds a TODO


def test_a_quote_that_reads_todo_is_not_a_placeholder() -> None:
    case = dataclasses.replace(
        _draft(),
        category="supervision",
        title_en="t",
        body=BodyRef("county-standing-committee", "440604", "", Span(PLACEHOLDER, 0, 4)),
        measures=[Measure(1, PLACEHOLDER, "", Span(PLACEHOLDER, 0, 4))],
    )
    assert "# fill" not in render_case(case)
