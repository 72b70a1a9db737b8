"""Hostile SPARQL through `kg query` on both local stores (rdflib and Oxigraph).

Updates (INSERT, DELETE, LOAD, CLEAR, DROP, ...) are refused as read-only; SERVICE and
FROM/FROM NAMED outside the local graphs are refused before evaluation, so nothing is
fetched (a loopback canary counts connections, and the session's network guard fails
any test that opens one); nesting that would exhaust the parser is refused; a
parameter cannot inject syntax; a runaway query ends at --timeout, even a REGEX that
holds the GIL (the memory store evaluates in a forked child that is killed). Runaway
queries are run through a `kg` subprocess, so a regression fails instead of hanging.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kg.cli.options import GraphSource

from ..conftest import Canary
from .conftest import accepted, refused, run

EVIL = "http://example.org/sparql"
REGEX_BOMB = (
    "SELECT ?s WHERE { ?s skos:prefLabel ?label . FILTER(REGEX(CONCAT(REPLACE(STR(?label), "
    '".", "a"), "aaaaaaaaaaaaaaaaaaaaaaaaaaaa!"), "^(a+)+$")) }'
)
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
READ_ONLY = "updates (INSERT, DELETE, LOAD, CLEAR, ...) are refused"

#: name -> (query, words in the refusal); {canary} is a loopback URL that counts hits
HOSTILE = {
    "service": (f"SELECT * WHERE {{ SERVICE <{EVIL}> {{ ?s ?p ?o }} }}", f"SERVICE <{EVIL}>"),
    "service-silent": (
        "SELECT * WHERE { SERVICE SILENT <{canary}> { ?s ?p ?o } }",
        "is refused: queries do not reach the network",
    ),
    "service-variable": (
        "SELECT * WHERE { VALUES ?e { <{canary}> } SERVICE ?e { ?s ?p ?o } }",
        "is refused: queries do not reach the network",
    ),
    "service-unicode-escape": (
        "SELECT * WHERE { \\u0053ERVICE <{canary}> { ?s ?p ?o } }",
        "is refused: queries do not reach the network",
    ),
    "service-in-optional-ask": (
        "ASK { ?s ?p ?o OPTIONAL { SERVICE <{canary}> { ?s ?p ?o } } }",
        "is refused: queries do not reach the network",
    ),
    "load-http": ("LOAD <{canary}>", READ_ONLY),
    "load-file": ("LOAD <file:///etc/passwd> INTO GRAPH <urn:x>", READ_ONLY),
    "insert-data": ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", READ_ONLY),
    "delete-where": ("DELETE WHERE { ?s ?p ?o }", READ_ONLY),
    "delete-insert-where": (
        "DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
        READ_ONLY,
    ),
    "clear-all": ("CLEAR ALL", READ_ONLY),
    "drop-graph": ("DROP GRAPH <https://w3id.org/renda-kg/graph/vocabulary>", READ_ONLY),
    "create-graph": ("CREATE GRAPH <urn:new>", READ_ONLY),
    "copy-graph": ("COPY DEFAULT TO <urn:copy>", READ_ONLY),
    "update-then-select": ("INSERT DATA { <urn:a> <urn:b> <urn:c> } ; CLEAR ALL", READ_ONLY),
    "from-http": ("SELECT * FROM <{canary}> WHERE { ?s ?p ?o }", "FROM <"),
    "from-file": ("SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", "is refused"),
    "from-named-http": (
        f"SELECT * FROM NAMED <{EVIL}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "is refused: only the local named graphs can be used",
    ),
    "nested-3000-groups": (
        "SELECT * WHERE " + "{ " * 3000 + "?s ?p ?o" + " }" * 3000,
        "nested too deeply",
    ),
    "nested-3000-brackets": (
        "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 3000 + "1" + ")" * 3000 + ") }",
        "nested too deeply",
    ),
    "syntax-error": ("SELECT ?s WHERE {\n  ?s ?p ?o\n  FILTER( }", "line 3, column"),
    "nul-in-query": ("SELECT ?s WHERE { ?s ?p \x00 }", "SPARQL syntax error"),
}


_LOADED: dict = {}
_real_load_graph = GraphSource.load


@pytest.fixture(autouse=True)
def _load_each_graph_once(monkeypatch):
    def cached(source):
        if source not in _LOADED:
            _LOADED[source] = _real_load_graph(source)
        return _LOADED[source]

    monkeypatch.setattr(GraphSource, "load", cached)


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_query_is_refused(seed_trig: Path, canary: Canary, store: str, kind: str):
    text, words = HOSTILE[kind]
    text = text.replace("{canary}", canary.url)
    result = run("query", "--store", store, "--graph", seed_trig, text)
    refused(result, words)
    with_service = run("query", "--store", store, "--graph", seed_trig, "--allow-service", text)
    refused(with_service)  # still nothing runs: no local store federates
    assert canary.hits == 0


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_parameters_cannot_inject_syntax(seed_trig: Path, canary: Canary, store: str):
    graph = ("--store", store, "--graph", seed_trig)
    injected = f'广州市" }} SERVICE <{canary.url}> {{ ?s ?p ?o }} FILTER("'
    result = run("query", *graph, "--name", "cases-by-place", "--param", f"place={injected}")
    assert result.exit_code == 2
    refused(result, "matches nothing")
    refused(
        run("query", *graph, "--name", "cases-with-mechanism", "--param", "mechanism=x> { <y"),
        "matches nothing",
    )
    assert canary.hits == 0


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_lookalike_parameters_match_nothing_silently_wrong(seed_trig: Path, store: str):
    """⼴州市 (Kangxi radical) and full-width codes are other strings: refused, never 广州市's
    rows under another name; the message offers the real place as a close match."""
    graph = ("--store", store, "--graph", seed_trig)
    real = accepted(run("query", *graph, "--name", "cases-by-place", "--param", "place=广州市"))
    assert "gd-b3-04" in real
    for lookalike in ("\u2f34州市", "４４０１００"):
        result = run("query", *graph, "--name", "cases-by-place", "--param", f"place={lookalike}")
        assert result.exit_code == 2
        out = refused(result, "matches nothing")
        assert "gd-b3-04" not in out
    assert "place:440100" in refused(
        run("query", *graph, "--name", "cases-by-place", "--param", "place=\u2f34州市")
    )


def _kg(*args: object, timeout: float = 60) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("kg")
    return subprocess.run(
        [str(exe), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


@pytest.mark.parametrize(
    "store, query, outcome",
    [
        # rdflib's REGEX holds the GIL in Python's re: only killing the forked child stops it
        ("memory", REGEX_BOMB, "did not finish within 2 s"),
        ("memory", CARTESIAN, "did not finish within 2 s"),
        ("oxigraph", REGEX_BOMB, "(0 rows)"),  # Rust regex: linear time, a safe answer
        ("oxigraph", CARTESIAN, "did not finish within 2 s"),
    ],
    ids=["regex-memory", "cartesian-memory", "regex-oxigraph", "cartesian-oxigraph"],
)
def test_runaway_queries_stop_at_the_timeout(seed_trig: Path, store, query, outcome):
    started = time.perf_counter()
    try:
        proc = _kg(
            "query", "--store", store, "--graph", seed_trig, "--timeout", 2, query, timeout=10
        )
    except subprocess.TimeoutExpired:
        pytest.fail("kg query --timeout 2 was still running after 10 s")
    elapsed = time.perf_counter() - started
    output = proc.stdout + proc.stderr
    assert outcome in output, output[-2000:]
    assert "Traceback" not in output
    assert (proc.returncode != 0) == ("did not finish" in outcome)
    assert elapsed < 20
