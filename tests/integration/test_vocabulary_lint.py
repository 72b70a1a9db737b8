"""A bad edit of data/vocab/mechanisms.ttl fails validation with the file and the line.

Each test damages a scratch copy of the project the way a curator might, builds it and
validates it: a cycle in skos:broader, a concept without its zh label, a surface form
shared by two concepts of one facet, a regex quantifier in a pattern, and a record that
still names a deprecated concept.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.validate.checks import build_project


def _edit(project: Path, old: str, new: str) -> Path:
    path = project / "data" / "vocab" / "mechanisms.ttl"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def _line_of(path: Path, subject: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.strip() == subject)


def _errors(project: Path) -> list[str]:
    _, report = build_project(project)
    assert report is not None and not report.conforms
    return [str(p) for p in report.errors]


def test_a_cycle_in_broader_names_the_file_and_line(project):
    path = _edit(
        project,
        "mech:liaison-station\n    a skos:Concept, rkg:Mechanism ;",
        "mech:liaison-station\n    a skos:Concept, rkg:Mechanism ;\n"
        "    skos:broader mech:liaison-station-central ;",
    )
    errors = [e for e in _errors(project) if "circle" in e]
    assert errors, "no cycle reported"
    lines = {_line_of(path, "mech:liaison-station"), _line_of(path, "mech:liaison-station-central")}
    assert any(f"mechanisms.ttl:{n}" in e for e in errors for n in lines), errors


def test_a_concept_without_a_zh_label_names_its_line(project):
    path = _edit(
        project,
        'skos:prefLabel "约谈"@zh, "admonitory talk"@en ;',
        'skos:prefLabel "admonitory talk"@en ;',
    )
    line = _line_of(path, "mech:admonitory-talk")
    errors = _errors(project)
    assert any(f"mechanisms.ttl:{line}" in e and "prefLabel@zh" in e for e in errors), errors


def test_a_surface_form_shared_within_a_facet_is_refused(project):
    path = _edit(
        project,
        '"专项工作报告"@zh,',
        '"专项工作报告"@zh,\n        "执法检查"@zh,',
    )
    line = _line_of(path, "mech:special-work-report")
    errors = _errors(project)
    assert any(
        f"mechanisms.ttl:{line}" in e and "执法检查" in e and "law-enforcement-inspection" in e
        for e in errors
    ), errors


@pytest.mark.parametrize("optional", ["(候选)?", "（候选）？", "(候选)+", "候选?"])
def test_a_regex_quantifier_in_a_pattern_is_refused_with_its_line(project, optional):
    """The pattern syntax has no quantifier: (民)? would need a literal question mark."""
    path = _edit(
        project,
        '"民生实事(候选|)项目(进行|开展|)(代表|)票决"',
        f'"民生实事{optional}项目(进行|开展|)(代表|)票决"',
    )
    line = _line_of(path, "mech:livelihood-project-supervision")
    errors = _errors(project)
    assert any(
        f"mechanisms.ttl:{line}" in e and "rkg:exclusion" in e and optional in e for e in errors
    ), errors


def test_a_record_naming_a_deprecated_concept_fails_with_its_line(project):
    record = project / "data" / "cases" / "gd-b3-08.yaml"
    text = record.read_text(encoding="utf-8")
    assert "- id: suggestion-staged-evaluation" in text
    record.write_text(
        text.replace(
            "- id: suggestion-staged-evaluation", "- id: satisfaction-scoring-100-point", 1
        ),
        encoding="utf-8",
    )
    line = next(
        i
        for i, row in enumerate(record.read_text(encoding="utf-8").splitlines(), 1)
        if "satisfaction-scoring-100-point" in row
    )
    result = CliRunner().invoke(main, ["validate", "--root", str(project)])
    assert result.exit_code != 0
    assert re.search(rf"gd-b3-08\.yaml:{line}\b", result.output), result.output
    assert "suggestion-staged-evaluation" in result.output


def test_the_real_vocabulary_passes_the_lint(seed):
    from kg.validate.vocabulary import check_vocabulary

    assert check_vocabulary(seed.inputs.vocabulary, seed.inputs.paths.vocab) == []
