"""`kg query` from the command line: every named query in every format, and bad input."""

from __future__ import annotations

import csv
import io
import json
import socket
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.query import Result

from kg.cli import main
from kg.cli.options import GraphSource
from kg.query.library import named_queries

from .conftest import ROOT

SAMPLE_PARAMS = {
    "mechanism": "liaison-station",
    "case": "gd-b3-05",
    "place": "广州市",
}


@pytest.fixture(scope="module")
def graph_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build")
    result = CliRunner().invoke(main, ["build", "--root", str(ROOT), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out / "kg.trig"


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


def _query(graph_file: Path, *args: str):
    return CliRunner().invoke(main, ["query", "--graph", str(graph_file), *args])


def _params(name: str) -> list[str]:
    out = []
    for p in named_queries()[name].params:
        if p.default is None:
            out += ["--param", f"{p.name}={SAMPLE_PARAMS[p.name]}"]
    return out


def _parse(fmt: str, text: str) -> tuple[list[str], int]:
    """Columns and row count, read back with a standard reader for each format."""
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        return rows[0], len(rows) - 1
    if fmt in ("json", "tsv"):
        result = Result.parse(io.StringIO(text), format=fmt)
        return [str(v) for v in result.vars], len(list(result))
    if fmt == "md":
        lines = text.strip().splitlines()
        return [c.strip() for c in lines[0].strip("|").split("|")], len(lines) - 2
    lines = text.rstrip("\n").splitlines()
    return lines[0].split(), int(lines[-1].strip("()").split()[0])


@pytest.mark.parametrize("name", sorted(named_queries()))
@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json", "md"])
def test_every_named_query_in_every_format(graph_file, name, fmt):
    result = _query(graph_file, "--name", name, "--format", fmt, *_params(name))
    assert result.exit_code == 0, result.output
    columns, rows = _parse(fmt, result.output)
    assert columns == list(named_queries()[name].columns)
    assert rows >= 1


def test_list_names_every_query(graph_file):
    result = _query(graph_file, "--list")
    assert result.exit_code == 0
    for name in named_queries():
        assert name in result.output


def test_tsv_keeps_language_tags(graph_file):
    result = _query(
        graph_file, "SELECT ?t WHERE { case:gd-b3-01 dcterms:title ?t }", "--format", "tsv"
    )
    assert '"@zh' in result.output and '"@en' in result.output


def test_ask_prints_and_exits(graph_file):
    yes = _query(graph_file, "ASK { case:gd-b3-01 rkg:usesMechanism mech:summons }")
    no = _query(graph_file, "ASK { case:gd-b3-01 rkg:usesMechanism mech:one-vote-veto }")
    assert (yes.exit_code, yes.output) == (0, "true\n")
    assert (no.exit_code, no.output) == (1, "false\n")


@pytest.mark.parametrize("fmt, parser", [("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")])
def test_construct_parses_back(graph_file, fmt, parser):
    result = _query(
        graph_file,
        "CONSTRUCT { ?c rkg:usesMechanism ?m } WHERE { ?c rkg:usesMechanism ?m }",
        "--format",
        fmt,
    )
    assert result.exit_code == 0, result.output
    graph = Graph().parse(data=result.output, format=parser)
    assert len(graph) > 50


def test_describe_gives_turtle(graph_file):
    result = _query(graph_file, "DESCRIBE case:gd-b3-07")
    graph = Graph().parse(data=result.output, format="turtle")
    assert any("海岛" in str(o) for o in graph.objects())


def test_query_from_file_with_param(graph_file, tmp_path):
    path = tmp_path / "q.rq"
    path.write_text(
        "SELECT ?t WHERE { ?case dcterms:title ?t FILTER(lang(?t) = 'zh') }", encoding="utf-8"
    )
    result = _query(graph_file, "-f", str(path), "--param", "case=case:gd-b3-07")
    assert result.exit_code == 0
    assert "创建海岛品牌" in result.output and "(1 row)" in result.output


def test_out_writes_file(graph_file, tmp_path):
    out = tmp_path / "freq.csv"
    result = _query(
        graph_file, "--name", "mechanism-frequency", "--format", "csv", "--out", str(out)
    )
    assert result.exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("mechanism,")


class _Canary:
    """A loopback server that counts connections: a query must never reach it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.hits = 0
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/sparql"

    def _serve(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.hits += 1
            conn.close()

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


@pytest.fixture
def canary():
    server = _Canary()
    yield server
    server.close()


def test_service_and_from_never_reach_the_network(graph_file, canary):
    for text in (
        f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}",
        f"SELECT * FROM <{canary.url}> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{canary.url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    ):
        result = _query(graph_file, text)
        assert result.exit_code == 1
        assert "refused" in result.output
    assert canary.hits == 0


def test_from_a_local_named_graph_is_allowed(graph_file):
    result = _query(
        graph_file,
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
def test_bad_queries_get_clear_messages(graph_file, args, words):
    result = _query(graph_file, *args)
    assert result.exit_code != 0
    assert words in result.output, result.output
    assert "Traceback" not in result.output


def test_runaway_query_times_out(graph_file):
    result = _query(
        graph_file,
        "--timeout",
        "1",
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    )
    assert result.exit_code == 1
    assert "did not finish within 1 s" in result.output


def test_select_with_graph_format_is_a_usage_error(graph_file):
    result = _query(graph_file, "--name", "mechanism-frequency", "--format", "ttl")
    assert result.exit_code == 2 and "CONSTRUCT" in result.output


def test_patterns_formats(graph_file):
    runner = CliRunner()
    js = runner.invoke(main, ["patterns", "--graph", str(graph_file), "--format", "json"])
    assert js.exit_code == 0
    report = json.loads(js.output)
    assert report["cases"] == 10 and report["recurring"] and report["communities"]
    md = runner.invoke(main, ["patterns", "--graph", str(graph_file), "--format", "md"])
    assert md.output.startswith("# Cross-case patterns") and "| mechanism |" in md.output
    again = runner.invoke(main, ["patterns", "--graph", str(graph_file), "--format", "json"])
    assert again.output == js.output
