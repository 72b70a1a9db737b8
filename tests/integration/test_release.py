"""A release is citable on its own (source texts, README, codebook, CITATION.cff,
LICENSE, networks), dated by the data or SOURCE_DATE_EPOCH, and `kg diff` says what
changed per case and compares a Turtle union with a TriG dataset sensibly."""

from __future__ import annotations

import csv
import io

import pytest
import yaml
from click.testing import CliRunner
from rdflib import Graph
from rdflib.namespace import DCTERMS

from kg import KnowledgeGraph
from kg.cli import main
from kg.core.errors import KgError
from kg.outputs.citation import release_date
from kg.outputs.describe import DATASET
from kg.outputs.release import release_files

from ..conftest import ROOT


@pytest.fixture(scope="module")
def kg(seed_auto) -> KnowledgeGraph:
    return seed_auto


@pytest.fixture(scope="module")
def files(kg) -> dict[str, bytes]:
    return release_files(kg, "9.9", ROOT)


def test_a_release_resolves_its_own_evidence(files):
    for name in ("README.md", "CITATION.cff", "LICENSE", "csv/codebook.md", "csv/codebook.csv"):
        assert files.get(name), name
    texts = {
        n: d.decode("utf-8")
        for n, d in files.items()
        if n.startswith("sources/") and n.endswith(".txt")
    }
    assert texts
    evidence = list(csv.DictReader(io.StringIO(files["csv/evidence.csv"].decode("utf-8"))))
    for row in evidence:  # every quote found at its offsets in a shipped source text
        source = row["source"].split(":", 1)[1]
        text = texts[f"sources/{source}.txt"]
        assert text[int(row["start"]) : int(row["end"])] == row["quote"]
    for name in ("cooccurrence", "similarity", "case-mechanism"):
        assert files[f"networks/{name}.graphml"] and files[f"networks/{name}.gexf"]
    citation = yaml.safe_load(files["CITATION.cff"])
    assert citation["version"] == "9.9" and citation["license"] == "CC-BY-4.0"
    assert "CC BY 4.0" in files["LICENSE"].decode() and "10 cases" in files["README.md"].decode()
    sums = files["SHA256SUMS"].decode()
    assert "  sources/" in sums and "  CITATION.cff" in sums


def test_the_release_date_comes_from_the_data_or_source_date_epoch(kg, files, monkeypatch):
    void = Graph().parse(data=files["void.ttl"], format="turtle")
    (modified,) = void.objects(DATASET, DCTERMS.modified)
    assert str(modified) == release_date(kg).isoformat()
    assert str(yaml.safe_load(files["CITATION.cff"])["date-released"]) == str(modified)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    assert release_date(kg).isoformat() == "2026-01-01"
    dated = release_files(kg, "9.9", ROOT)
    assert b'"2026-01-01"^^xsd:date' in dated["void.ttl"] and dated == release_files(
        kg, "9.9", ROOT
    )
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(KgError, match="SOURCE_DATE_EPOCH"):
        release_date(kg)


def _cli(*args: str):
    return CliRunner().invoke(main, list(args))


def test_diff_per_case_and_union_aware(tmp_path, project):
    one, two = tmp_path / "one", tmp_path / "two"
    assert _cli("build", "--root", str(project), "--out", str(one)).exit_code == 0
    # the same build as Turtle (a union) and as TriG (a dataset): the same graph
    same = _cli("diff", str(one / "kg.ttl"), str(one / "kg.trig"))
    assert same.exit_code == 0, same.output
    assert "compared as triples" in same.output and "0 added, 0 removed" in same.output
    case = project / "data/cases/gd-b3-04.yaml"
    case.write_text(
        case.read_text(encoding="utf-8").replace(
            "- id: unannounced-visit",
            "- id: inspection-visit",  # every passage of the tag
        ),
        encoding="utf-8",
    )
    assert _cli("build", "--root", str(project), "--out", str(two)).exit_code == 0
    changed = _cli("diff", "--summary", str(one / "kg.ttl"), str(two / "kg.trig"))
    assert changed.exit_code == 1
    lines = [line for line in changed.output.splitlines() if line.startswith("# case:")]
    assert lines == [
        "# case:gd-b3-04 changed; mechanisms +mech:inspection-visit -mech:unannounced-visit"
    ]
    assert "+ <" not in changed.output  # --summary: no statement lines
