"""Differential tests: every named query gives the same rows on every store."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib.query import Result

from kg import KnowledgeGraph
from kg.build.dataset import build, build_streamed, load_inputs, output_files
from kg.cli import main
from kg.query.library import named_queries
from kg.query.writers import SELECT_FORMATS, format_table, results_bytes
from kg.store.memory import MemoryStore
from kg.store.oxigraph import OxigraphStore

from ..conftest import ROOT, made_once

PARAMS = {"mechanism": "liaison-station", "case": "gd-b3-05", "place": "广州市"}


@pytest.fixture(scope="module")
def stores(seed_trig, tmp_path_factory) -> dict[str, KnowledgeGraph]:
    on_disk = tmp_path_factory.mktemp("oxigraph")
    return {
        "memory": KnowledgeGraph(MemoryStore.from_file(seed_trig), origin=str(seed_trig)),
        "oxigraph": KnowledgeGraph(OxigraphStore.from_file(seed_trig)),
        "oxigraph-dir": KnowledgeGraph(OxigraphStore.from_file(seed_trig, into=on_disk)),
    }


def test_every_store_keeps_every_datatype_of_the_build(stores):
    """Oxigraph stores the derived integer types as xsd:integer: the build uses none of
    them, so a datatype filter gives the same answer on every store."""
    query = (
        "SELECT DISTINCT ?type WHERE { ?s ?p ?o FILTER(isLiteral(?o)) BIND(DATATYPE(?o) AS ?type) }"
    )
    types = {
        name: sorted(str(r["type"]) for r in kg.query(query).dicts()) for name, kg in stores.items()
    }
    assert types["memory"] == types["oxigraph"] == types["oxigraph-dir"], types
    assert "http://www.w3.org/2001/XMLSchema#integer" in types["memory"]


def _sorted_rows(table) -> list[str]:
    return sorted(repr(sorted(row.items())) for row in table.dicts())


def _read_back(fmt: str, text: str) -> tuple[list[str], int]:
    """Columns and row count of a written table, read with a standard reader per format."""
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        return rows[0], len(rows) - 1
    if fmt in ("json", "tsv", "xml"):
        result = Result.parse(io.StringIO(text), format=fmt)
        return [str(v) for v in result.vars], len(list(result))
    if fmt == "md":
        lines = text.strip().splitlines()
        return [c.strip() for c in lines[0].strip("|").split("|")], len(lines) - 2
    lines = text.rstrip("\n").splitlines()  # table: header, rule, rows, "(N rows)"
    return lines[0].split(), int(lines[-1].strip("()").split()[0])


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_named_query_once_per_store(stores, name):
    """Each named query runs once on each store: declared columns, rows, same rows everywhere.

    Merged here from test_queries.py (columns, a row, title and description, deterministic
    order) and test_query_cli.py (every query written in every output format and read
    back): the query runs once per store and its table is written in-process in each
    format; the CLI's formats are tested once on one table in test_query_cli.py.
    """
    query = named_queries()[name]
    assert query.title and query.description
    required = {p.name for p in query.params if p.default is None}
    assert required <= set(PARAMS), f"add sample values for {sorted(required)} to PARAMS"
    params = {p: PARAMS[p] for p in required}
    tables = {store: kg.select(name, **params) for store, kg in stores.items()}
    memory = tables["memory"]
    assert memory.variables == list(query.columns)
    assert memory.rows
    ordered = "ORDER BY" in query.text  # case-tags and case-attributes feed sets
    for store, table in tables.items():
        assert table.variables == memory.variables, store
        assert _sorted_rows(table) == _sorted_rows(memory), store
        if ordered:  # ORDER BY makes the order deterministic, the same on every engine
            assert table.dicts() == memory.dicts(), store
    for fmt in SELECT_FORMATS:
        columns, count = _read_back(fmt, format_table(memory, fmt))
        assert (columns, count) == (list(query.columns), len(memory.rows)), fmt


@pytest.mark.parametrize("name", ["case-tags", "case-attributes", "quantities", "timeline"])
def test_values_are_the_rows_as_plain_strings(stores, name):
    """The lean path patterns read: same rows as select(), each term as its string."""
    query = named_queries()[name]
    params = {p.name: PARAMS[p.name] for p in query.params if p.default is None}
    expected = sorted(
        tuple(None if t is None else str(t) for t in row)
        for row in stores["memory"].select(name, **params).rows
    )
    assert expected
    for kg in stores.values():
        values = kg.values(name, **params)
        assert values.variables == list(query.columns)
        assert sorted(values.rows, key=repr) == sorted(expected, key=repr), kg.store.name


VARIANTS = sorted((n, e) for n, q in named_queries().items() for e in q.variants)


def test_some_queries_have_engine_variants():
    assert ("quantities", "rdflib") in VARIANTS


@pytest.mark.parametrize(("name", "engine"), VARIANTS)
def test_an_engine_variant_gives_the_standard_rows(stores, synthetic_stores, name, engine):
    """Both texts run on the same store: the rewrite changes speed, never rows."""
    query = named_queries()[name]
    assert query.text_for(engine) != query.text
    assert query.text_for("some-other-engine") == query.text
    seed = {"rdflib": stores["memory"], "oxigraph": stores["oxigraph"]}[engine]
    synthetic = synthetic_stores[0 if engine == "rdflib" else 1]
    for kg, params in ((seed, PARAMS), (synthetic, {"case": None})):
        assert kg.store.engine == engine
        required = [p.name for p in query.params if p.default is None]
        given = {name: params.get(name) or PARAMS[name] for name in required}
        bound = query.bind({k: v for k, v in given.items() if v})
        rows = [
            sorted(map(repr, kg.query(text, params=bound).rows))
            for text in (query.text, query.text_for(engine))
        ]
        assert rows[0] == rows[1]


def test_named_graphs_survive_loading(stores):
    names = {kg.store.name: kg.store.graph_names() for kg in stores.values()}
    assert names["memory"] == names["oxigraph"]
    assert any(n.endswith("/source/gd-npc-innovation-cases-batch3-2020") for n in names["memory"])


def test_patterns_are_the_same_on_every_store(stores):
    reports = [kg.patterns().to_dict() for kg in stores.values()]
    assert reports[0] == reports[1] == reports[2]


def _first_tag(seed, case_id: str) -> str:
    """A mechanism the case's YAML record tags, so the check follows the records."""
    return next(c for c in seed.inputs.cases if c.id == case_id).mechanisms[0].id


def test_ask_and_construct_on_oxigraph(stores, seed):
    kg = stores["oxigraph"]
    tag = _first_tag(seed, "gd-b3-01")
    assert kg.query(f"ASK {{ case:gd-b3-01 rkg:usesMechanism mech:{tag} }}") is True
    assert kg.query("ASK { case:gd-b3-01 rkg:usesMechanism mech:one-vote-veto }") is False
    graph = kg.query("CONSTRUCT { ?c rkg:usesMechanism ?m } WHERE { ?c rkg:usesMechanism ?m }")
    pairs = {(c.id, m.id) for c in seed.inputs.cases for m in c.mechanisms}
    assert len(graph) == len(pairs) > 50


def test_from_and_from_named_pick_graphs_on_every_store(stores):
    places = "https://w3id.org/renda-kg/graph/places"
    only_places = f"SELECT (COUNT(*) AS ?n) FROM <{places}> WHERE {{ ?s ?p ?o }}"
    named = f"SELECT (COUNT(*) AS ?n) FROM NAMED <{places}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    counts = {
        name: (int(kg.query(only_places).rows[0][0]), int(kg.query(named).rows[0][0]))
        for name, kg in stores.items()
    }
    assert len(set(counts.values())) == 1, counts
    assert counts["memory"][0] == counts["memory"][1] < len(stores["memory"].store)


def _synthetic(folder: Path) -> None:
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from synth import generate

    project = generate(150, folder / "p", per_notice=20)
    out = project / "build"
    result = CliRunner().invoke(
        main, ["build", "--root", str(project), "--out", str(out), "--no-validate"]
    )
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    """A 150-case synthetic corpus: many sources, bodies that win in several batches
    (built once for the session; read only)."""
    return made_once(tmp_path_factory, "synthetic-150", _synthetic) / "p" / "build" / "kg.trig"


def test_no_triple_sits_in_two_graphs(synthetic_stores):
    """A union default graph (Oxigraph) returns such a triple twice."""
    dataset = synthetic_stores[0].store.dataset
    seen: dict = {}
    for graph in dataset.graphs():
        for triple in graph:
            assert seen.setdefault(triple, graph.identifier) == graph.identifier, triple


@pytest.mark.parametrize("corpus", ["seed", "synthetic"])
def test_a_streamed_build_writes_the_bytes_of_a_whole_one(corpus, seed, synthetic):
    """`kg build --no-validate` makes and drops one named graph at a time (no rdflib
    dataset); its files are those written from the whole dataset, blank nodes (the
    ontology's OWL lists) and bodies shared across sources included."""
    whole = seed if corpus == "seed" else build(load_inputs(synthetic.parent.parent))
    streamed = build_streamed(load_inputs(whole.inputs.paths))
    assert streamed.triple_count() == whole.triple_count()
    assert streamed.origins == whole.origins
    assert output_files(streamed, Path("out")) == output_files(whole, Path("out"))
    if corpus == "synthetic":  # and the command wrote them
        assert output_files(whole, synthetic.parent)[1] == (synthetic, synthetic.read_bytes())


@pytest.fixture(scope="module")
def synthetic_stores(synthetic) -> tuple[KnowledgeGraph, KnowledgeGraph]:
    """The synthetic corpus loaded once into each engine (queries never change a store)."""
    return (
        KnowledgeGraph(MemoryStore.from_file(synthetic)),
        KnowledgeGraph(OxigraphStore.from_file(synthetic)),
    )


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_named_queries_agree_on_a_synthetic_corpus(synthetic_stores, name):
    memory, oxigraph = synthetic_stores
    first = memory.query("SELECT ?c WHERE { ?c a rkg:InnovationCase } ORDER BY ?c LIMIT 1")
    case = str(first.rows[0][0]).rsplit("/", 1)[-1]
    query = named_queries()[name]
    params = {
        p.name: {"case": case, "place": "广东省"}.get(p.name, PARAMS.get(p.name))
        for p in query.params
        if p.default is None
    }
    rows = [
        sorted(repr(sorted(r.items())) for r in kg.select(name, **params).dicts())
        for kg in (memory, oxigraph)
    ]
    assert rows[0] == rows[1]


def test_similar_cases_from_the_index_are_the_rows_of_the_query(synthetic, synthetic_stores):
    """The build keeps each case's mechanism set; similar-cases for a case is computed from
    it (`kg.query.similar`) with the query's rows, terms and order, and no graph load."""
    indexed = KnowledgeGraph.open("auto", graph_file=synthetic)
    memory, oxigraph = synthetic_stores
    cases = sorted({row[0] for row in oxigraph.values("case-tags").rows})
    assert len(cases) == 150
    for case in cases[::10]:
        kept = indexed.computed("similar-cases", {"case": case})
        query = oxigraph.select("similar-cases", case=case)
        assert kept.variables == query.variables and len(kept.rows) > 10
        assert kept.rows == query.rows
        csv = indexed.index.compute("similar-cases", {"case": case}, csv=True)
        assert csv == results_bytes(kept, "csv")
        text = indexed.index.compute("similar-cases", {"case": case}, text=True)
        assert text == format_table(query, "table")
    rdflib = memory.select("similar-cases", case=cases[0])
    assert sorted(map(repr, indexed.select("similar-cases", case=cases[0]).rows)) == sorted(
        map(repr, rdflib.rows)
    )
    assert not indexed.store.loaded
