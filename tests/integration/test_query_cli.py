"""`kg query` from the command line: each output format once on one table, and bad input.

Every named query runs once per store through the Python API in test_stores.py, which
also writes each of its tables in every format in-process; here the CLI path (options,
loading, stdout, exit status) is checked once per format on one table."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.query import Result

from kg.cli import main
from kg.cli.options import GraphSource
from kg.query.library import named_queries

_LOADED: dict[tuple, object] = {}
_real_load_graph = GraphSource.load


def _cached_load_graph(source):
    """Parse each built file once per session; loading itself is tested in test_cli.py."""
    if source not in _LOADED:
        _LOADED[source] = _real_load_graph(source)
    return _LOADED[source]


@pytest.fixture(autouse=True)
def _reuse_loaded_graph(monkeypatch):
    monkeypatch.setattr(GraphSource, "load", _cached_load_graph)


def _query(seed_trig: Path, *args: str):
    return CliRunner().invoke(main, ["query", "--graph", str(seed_trig), *args])


def _cell(value: object) -> str:
    return "" if value is None else str(value)


#: one table for the output formats: ints, a missing value (Dalang has no county), CJK text
TABLE = "bodies"


@pytest.fixture(scope="module")
def expected_table(seed_kg):
    """The table through the Python API; every named query is run per store in test_stores.py."""
    return seed_kg.select(TABLE)


def test_csv_has_the_rows_of_the_api(seed_trig, expected_table):
    result = _query(seed_trig, "--name", TABLE, "--format", "csv")
    assert result.exit_code == 0, result.output
    header, *rows = csv.reader(io.StringIO(result.output))
    assert header == list(named_queries()[TABLE].columns)
    assert rows == [[_cell(v) for v in row.values()] for row in expected_table.dicts()]


@pytest.mark.parametrize("fmt", ["json", "tsv", "xml"])
def test_w3c_result_formats_read_back_as_the_api_rows(seed_trig, expected_table, fmt):
    result = _query(seed_trig, "--name", TABLE, "--format", fmt)
    assert result.exit_code == 0, result.output
    parsed = Result.parse(io.StringIO(result.output), format=fmt)
    assert [str(v) for v in parsed.vars] == list(named_queries()[TABLE].columns)
    assert [list(row) for row in parsed] == [list(row) for row in expected_table.rows]


def test_markdown_and_text_table_have_one_line_per_row(seed_trig, expected_table):
    columns = list(named_queries()[TABLE].columns)
    count = len(expected_table.rows)
    md = _query(seed_trig, "--name", TABLE, "--format", "md")
    assert md.exit_code == 0, md.output
    lines = md.output.strip().splitlines()
    assert [c.strip() for c in lines[0].strip("|").split("|")] == columns
    assert len(lines) - 2 == count
    assert "大朗镇" in md.output
    table = _query(seed_trig, "--name", TABLE)  # "table" is the default format
    assert table.exit_code == 0, table.output
    lines = table.output.rstrip("\n").splitlines()
    assert lines[0].split() == columns
    assert lines[-1] == f"({count} rows)"
    assert len(lines) == count + 3  # header, rule, rows, count


def test_list_names_every_query(seed_trig):
    result = _query(seed_trig, "--list")
    assert result.exit_code == 0
    for name in named_queries():
        assert name in result.output


def test_tsv_keeps_language_tags(seed_trig):
    result = _query(
        seed_trig, "SELECT ?t WHERE { case:gd-b3-01 dcterms:title ?t }", "--format", "tsv"
    )
    assert '"@zh' in result.output and '"@en' in result.output


def test_ask_prints_and_exits(seed_trig, seed):
    tag = next(c for c in seed.inputs.cases if c.id == "gd-b3-01").mechanisms[0].id
    yes = _query(seed_trig, f"ASK {{ case:gd-b3-01 rkg:usesMechanism mech:{tag} }}")
    no = _query(seed_trig, "ASK { case:gd-b3-01 rkg:usesMechanism mech:one-vote-veto }")
    assert (yes.exit_code, yes.output) == (0, "true\n")
    assert (no.exit_code, no.output) == (1, "false\n")


@pytest.mark.parametrize("fmt, parser", [("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")])
def test_construct_parses_back(seed_trig, fmt, parser):
    result = _query(
        seed_trig,
        "CONSTRUCT { ?c rkg:usesMechanism ?m } WHERE { ?c rkg:usesMechanism ?m }",
        "--format",
        fmt,
    )
    assert result.exit_code == 0, result.output
    graph = Graph().parse(data=result.output, format=parser)
    assert len(graph) > 50


def test_describe_gives_turtle(seed_trig):
    result = _query(seed_trig, "DESCRIBE case:gd-b3-07")
    graph = Graph().parse(data=result.output, format="turtle")
    assert any("海岛" in str(o) for o in graph.objects())


def test_query_from_file_with_param(seed_trig, tmp_path):
    path = tmp_path / "q.rq"
    path.write_text(
        "SELECT ?t WHERE { ?case dcterms:title ?t FILTER(lang(?t) = 'zh') }", encoding="utf-8"
    )
    result = _query(seed_trig, "-f", str(path), "--param", "case=case:gd-b3-07")
    assert result.exit_code == 0
    assert "创建海岛品牌" in result.output and "(1 row)" in result.output


def test_out_writes_file(seed_trig, tmp_path):
    out = tmp_path / "freq.csv"
    result = _query(
        seed_trig, "--name", "mechanism-frequency", "--format", "csv", "--out", str(out)
    )
    assert result.exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("mechanism,")


def test_service_and_from_never_reach_the_network(seed_trig, canary):
    for text in (
        f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}",
        f"SELECT * FROM <{canary.url}> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{canary.url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    ):
        result = _query(seed_trig, text)
        assert result.exit_code == 1
        assert "refused" in result.output
    assert canary.hits == 0


def test_from_a_local_named_graph_is_allowed(seed_trig):
    result = _query(
        seed_trig,
        "SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/renda-kg/graph"
        "/places> WHERE { ?s a rkg:CountyLevelDivision }",
    )
    assert result.exit_code == 0, result.output
    assert "\n9\n" in result.output


@pytest.mark.parametrize(
    "args, words",
    [
        (["SELECT ?s WHERE {\n  ?s ?p ?o\n  FILTER( }"], "line 3, column"),
        (["SELECT ?s WHERE { ?s undeclared:p ?o }"], "undeclared"),
        (["--name", "mechanism-frequncy"], "did you mean 'mechanism-frequency'"),
        (["--name", "cases-with-mechanism"], "missing parameter 'mechanism'"),
        (["--name", "mechanism-frequency", "--param", "nope=1"], "unknown parameter 'nope'"),
        (
            ["--name", "cases-with-mechanism", "--param", "mechanism=https://x.org/a b"],
            "not a valid IRI",
        ),
        (["--name", "mechanism-frequency", "--param", "x"], "is not NAME=VALUE"),
        (["INSERT DATA { case:x rkg:itemNumber 1 }"], "read-only"),
        (["DELETE WHERE { ?s ?p ?o }"], "read-only"),
        (["LOAD <file:///etc/passwd>"], "read-only"),
        (["CLEAR ALL"], "read-only"),
        (["SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }"], "refused"),
        (["SELECT * WHERE " + "{ " * 500 + "?s ?p ?o" + " }" * 500], "nested too deeply"),
    ],
)
def test_bad_queries_get_clear_messages(seed_trig, args, words):
    result = _query(seed_trig, *args)
    assert result.exit_code != 0
    assert words in result.output, result.output
    assert "Traceback" not in result.output


def test_runaway_query_times_out(seed_trig):
    result = _query(
        seed_trig,
        "--timeout",
        "1",
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    )
    assert result.exit_code == 1
    assert "did not finish within 1 s" in result.output


def test_select_with_graph_format_is_a_usage_error(seed_trig):
    result = _query(seed_trig, "--name", "mechanism-frequency", "--format", "ttl")
    assert result.exit_code == 2 and "CONSTRUCT" in result.output


def test_patterns_formats(seed_trig):
    runner = CliRunner()
    js = runner.invoke(main, ["patterns", "--graph", str(seed_trig), "--format", "json"])
    assert js.exit_code == 0
    report = json.loads(js.output)
    assert report["cases"] == 10 and report["recurring"] and report["communities"]
    md = runner.invoke(main, ["patterns", "--graph", str(seed_trig), "--format", "md"])
    assert md.output.startswith("# Cross-case patterns") and "| mechanism |" in md.output
    again = runner.invoke(main, ["patterns", "--graph", str(seed_trig), "--format", "json"])
    assert again.output == js.output
