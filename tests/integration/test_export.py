"""Export: every format round-trips, releases are deterministic, bad targets are refused."""

from __future__ import annotations

import csv
import io
import os
import socket
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from kg import KnowledgeGraph
from kg.analysis.networks import network_graph
from kg.build import serialize
from kg.cli import main
from kg.core.errors import KgError
from kg.outputs.export import inert, render
from kg.store.memory import MemoryStore

from ..conftest import ROOT, graph_digest

PARSERS = {
    "ttl": "turtle",
    "nt": "nt",
    "nq": "nquads",
    "trig": "trig",
    "jsonld": "json-ld",
    "xml": "xml",
}


@pytest.fixture(scope="module")
def kg(seed_kg) -> KnowledgeGraph:
    return seed_kg  # the session's seed graph (tests/conftest.py); nothing here changes it


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a socket fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="module")
def seed_digest(kg) -> int:
    """The seed's isomorphism digest (what `rdflib.compare.isomorphic` compares; 0.6 s
    with the merge), computed once for the formats that are compared with it."""
    return graph_digest(serialize.union(kg.store.dataset))


def _union(data: bytes, fmt: str) -> Graph:
    dataset = Dataset()
    dataset.parse(data=data.decode("utf-8"), format=PARSERS[fmt])
    return serialize.union(dataset)


@pytest.mark.parametrize("fmt", sorted(PARSERS))
def test_rdf_formats_round_trip_on_the_seed(kg, seed_digest, fmt, no_network):
    (data,) = render(kg, fmt).values()
    assert graph_digest(_union(data, fmt)) == seed_digest


@pytest.mark.parametrize("fmt", ["nq", "trig", "jsonld"])
def test_quad_formats_keep_one_graph_per_source(kg, fmt):
    (data,) = render(kg, fmt).values()
    dataset = Dataset()
    dataset.parse(data=data.decode("utf-8"), format=PARSERS[fmt])
    names = {str(g.identifier) for g in dataset.graphs() if len(g)}
    assert names == set(kg.store.graph_names())


def test_jsonld_keeps_chinese_characters_and_a_local_context(kg):
    (data,) = render(kg, "jsonld").values()
    text = data.decode("utf-8")
    assert "代表联络站" in text and "\\u4ee3" not in text
    assert '"@context": {' in text and "http" not in text.split('"@context": {')[0]


_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=0, max_size=30
)
_chinese = st.text(
    alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=20
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(0, 20),
            st.integers(0, 5),
            st.one_of(_chinese, _text),
            st.sampled_from(["zh", "en", None]),
        ),
        min_size=1,
        max_size=30,
    )
)
@example(triples=[(0, 0, "一", "zh"), (0, 0, "", None)])  # rdflib's JSON-LD writer dropped ""
@example(triples=[(0, 0, "a", None), (0, 0, "", None), (1, 0, "", None)])
def test_generated_graphs_round_trip(triples):
    dataset = Dataset()
    graph = dataset.graph(URIRef("https://w3id.org/renda-kg/graph/test"))
    for s, p, text, lang in triples:
        graph.add(
            (
                URIRef(f"https://w3id.org/renda-kg/case/x{s}"),
                URIRef(f"https://w3id.org/renda-kg/ontology#p{p}"),
                Literal(text, lang=lang),
            )
        )
    gen = KnowledgeGraph(MemoryStore(dataset))
    for fmt in PARSERS:
        (data,) = render(gen, fmt).values()
        assert isomorphic(_union(data, fmt), serialize.union(dataset)), fmt


def test_graphml_and_gexf_read_back(kg):
    expected = network_graph(kg)  # a multigraph: every role of a case's actor kept
    edges = kg.select("network-edges").rows
    for fmt, reader in (("graphml", nx.read_graphml), ("gexf", nx.read_gexf)):
        (data,) = render(kg, fmt).values()
        back = reader(io.BytesIO(data))
        assert back.is_multigraph() and back.is_directed(), fmt
        assert set(back.nodes) == set(expected.nodes), fmt
        assert back.number_of_edges() == len(edges) == expected.number_of_edges(), fmt
        for node, attrs in expected.nodes(data=True):
            got = back.nodes[node]
            assert got.get("label_zh", got.get("label")) in (attrs["label_zh"], attrs["label"])
            assert got["kind"] == attrs["kind"]
        party = back.get_edge_data("case:gd-b3-03", "actor:party-committee").values()
        assert {d["relation"] for d in party} == {"hasLeadingActor", "hasSupportingActor"}, fmt


def test_csv_tables_read_back(kg, seed):
    tables = render(kg, "csv")
    assert set(tables) == {
        "cases.csv",
        "bodies.csv",
        "places.csv",
        "mechanisms.csv",
        "evidence.csv",
        "quantities.csv",
        "case_mechanism.csv",
        "case_mechanism_matrix.csv",
        "case_actor.csv",
        "codebook.csv",
        "codebook.md",
    }
    cases = list(csv.DictReader(io.StringIO(tables["cases.csv"].decode("utf-8"))))
    assert len(cases) == 10 and {"case", "title_zh", "body_zh", "code"} <= set(cases[0])
    assert {r["code"] for r in cases} >= {"440604", "441625", "440310", "440781"}
    matrix = list(csv.DictReader(io.StringIO(tables["case_mechanism_matrix.csv"].decode())))
    used = sum(int(v) for row in matrix for k, v in row.items() if k.startswith("d_"))
    assert used == len({(c.id, m.id) for c in seed.inputs.cases for m in c.mechanisms})
    evidence = list(csv.DictReader(io.StringIO(tables["evidence.csv"].decode("utf-8"))))
    text = next(iter(seed.inputs.sources.values())).text
    assert all(text[int(r["start"]) : int(r["end"])] == r["quote"] for r in evidence)


def test_excel_bom_and_inert_formulas(kg):
    tables = render(kg, "csv", excel=True)
    csvs = [data for name, data in tables.items() if name.endswith(".csv")]
    assert len(csvs) == 10 and all(data.startswith("\ufeff".encode()) for data in csvs)
    assert inert('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert inert("+1+1") == "'+1+1" and inert("@SUM(A1)") == "'@SUM(A1)"
    assert inert("-5") == "-5" and inert("正常") == "正常"


def _cli(*args: str):
    return CliRunner().invoke(main, list(args))


def test_export_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "kg.ttl"
    assert _cli("export", "--root", str(ROOT), "--format", "ttl", "--out", str(out)).exit_code == 0
    before = out.read_bytes()
    again = _cli("export", "--root", str(ROOT), "--format", "ttl", "--out", str(out))
    assert again.exit_code == 1 and "already exists" in again.output and "--force" in again.output
    assert out.read_bytes() == before
    forced = _cli("export", "--root", str(ROOT), "--format", "ttl", "--out", str(out), "--force")
    assert forced.exit_code == 0


def test_export_bad_targets(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = _cli("export", "--root", str(ROOT), "--format", "nt", "--out", str(blocker / "kg.nt"))
    assert result.exit_code == 1 and "cannot write" in result.output
    unknown = _cli("export", "--root", str(ROOT), "--format", "xlsx")
    assert unknown.exit_code == 2 and "xlsx" in unknown.output


def test_rdfxml_refuses_control_characters():
    dataset = Dataset()
    dataset.graph(URIRef("urn:g")).add(
        (URIRef("urn:s"), URIRef("http://example.org/p"), Literal("bell\x07"))
    )
    with pytest.raises(KgError, match="control character"):
        serialize.rdfxml(dataset)


def test_rdfxml_refuses_unsplittable_predicates():
    dataset = Dataset()
    dataset.graph(URIRef("urn:g")).add(
        (URIRef("urn:s"), URIRef("http://example.org/p/"), Literal("x"))
    )
    with pytest.raises(KgError, match="RDF/XML"):
        serialize.rdfxml(dataset)


def test_release_is_deterministic_and_checksummed(tmp_path):
    for name in ("a", "b"):
        result = _cli("release", "--root", str(ROOT), "--out", str(tmp_path / name))
        assert result.exit_code == 0, result.output
    a, b = tmp_path / "a" / "renda-kg-0.1.0", tmp_path / "b" / "renda-kg-0.1.0"
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    sums = (a / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == len(files) - 1 and any(line.endswith("  kg.ttl") for line in sums)
    void = Graph().parse(a / "void.ttl")
    assert "void" in (a / "void.ttl").read_text() and len(void) > 20
    assert (a / "docs" / "index.html").read_text().count("代表联络站") >= 1
    again = _cli("release", "--root", str(ROOT), "--out", str(tmp_path / "a"))
    assert again.exit_code == 1 and "already exists" in again.output


def test_diff_lists_added_and_removed(tmp_path, project):
    assert _cli("build", "--root", str(project), "--out", str(tmp_path / "one")).exit_code == 0
    case = project / "data/cases/gd-b3-04.yaml"
    case.write_text(
        case.read_text(encoding="utf-8").replace(
            "- id: unannounced-visit", "- id: inspection-visit", 1
        ),
        encoding="utf-8",
    )
    assert _cli("build", "--root", str(project), "--out", str(tmp_path / "two")).exit_code == 0
    same = _cli("diff", str(tmp_path / "one/kg.trig"), str(tmp_path / "one/kg.trig"))
    assert same.exit_code == 0 and "0 added, 0 removed" in same.output
    changed = _cli("diff", str(tmp_path / "one/kg.trig"), str(tmp_path / "two/kg.trig"))
    assert changed.exit_code == 1
    assert (
        "+ <https://w3id.org/renda-kg/case/gd-b3-04> "
        "<https://w3id.org/renda-kg/ontology#usesMechanism> "
        "<https://w3id.org/renda-kg/mechanism/inspection-visit>" in changed.output
    )


def test_release_clears_a_killed_release_and_leaves_nothing_on_failure(
    seed_auto, tmp_path, monkeypatch
):
    import subprocess
    import sys

    from kg.outputs.release import make_release

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "out"
    out.mkdir()
    killed = out / f".renda-kg-9.9.{dead.pid}.0badcafe.tmp"  # as a SIGKILLed release leaves it
    running = out / f".renda-kg-9.9.{os.getppid()}.0badcafe.tmp"  # a release still running
    for folder in (killed, running):
        folder.mkdir()
        (folder / "kg.ttl").write_text("half", encoding="utf-8")
    assert make_release(seed_auto, out, version="9.9").is_dir()
    assert not killed.exists() and running.exists()
    assert sorted(p.name for p in out.iterdir()) == sorted([running.name, "renda-kg-9.9"])

    def full_disk(self, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full_disk)
    with pytest.raises(KgError, match="No space left"):
        make_release(seed_auto, out, version="10.0")
    assert sorted(p.name for p in out.iterdir()) == sorted([running.name, "renda-kg-9.9"])


def test_diff_exits_2_when_a_side_cannot_be_read(tmp_path):
    good = tmp_path / "good.trig"
    good.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    broken = tmp_path / "broken.trig"
    broken.write_text("<urn:a> <urn:b> .\n", encoding="utf-8")
    result = _cli("diff", str(good), str(broken))
    assert result.exit_code == 2
    assert "broken.trig" in result.output and "Traceback" not in result.output
    assert _cli("diff", str(good), str(good)).exit_code == 0


def test_docs_page(tmp_path, kg):
    out = tmp_path / "docs.html"
    assert _cli("docs", "--root", str(ROOT), "--out", str(out)).exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert "rkg:InnovationCase" in page and "代表联络站" in page and "deputy liaison" in page
    assert "<script" not in page and "default-src 'none'" in page
