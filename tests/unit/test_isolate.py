"""Queries on the memory store with a timeout run in a forked child (kg.core.isolate).

The child's answer must be the one the query gives in-process, term for term; its
errors must read as the thread path's did; at the deadline it is killed and reaped,
even while it holds the GIL; a large answer flows through the pipe; and the child
never writes the parent's buffered output or runs its atexit handlers.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import RDF, XSD, BNode, Dataset, Graph, Literal, URIRef

import kg.store.memory as kg_store
from kg.core.errors import KgError, Problem
from kg.core.isolate import run_in_thread, run_isolated
from kg.query.library import named_queries
from kg.store.memory import MemoryStore
from kg.store.rows import Table
from kg.store.sparql import prepare

from ..conftest import ROOT

PARAMS = {"mechanism": "liaison-station", "case": "gd-b3-05", "place": "广州市"}
EX = "urn:x:"
# Python's re backtracks for seconds (~10 s here) holding the GIL all along; long enough
# to outlast any timeout below, short enough that a regression fails instead of hanging.
GIL_BOMB = ("^(a+)+$", "a" * 28 + "!")


LINUX_PROC = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


@pytest.fixture
def forks(monkeypatch) -> list[int]:
    """Counts the forks made by this process (the child's count is its own)."""
    made: list[int] = []
    real_fork = os.fork

    def counting_fork() -> int:
        made.append(1)
        return real_fork()

    monkeypatch.setattr(os, "fork", counting_fork)
    return made


def _state(term: object) -> tuple:
    """Everything that tells terms apart, beyond `==` (which ignores the Python value)."""
    if isinstance(term, Literal):
        return (
            "Literal",
            str(term),
            term.language,
            term.datatype,
            term.ill_typed,
            type(term.value).__name__,
            term.value if isinstance(term.value, str | int | float | Decimal) else None,
        )
    return (type(term).__name__, None if term is None else str(term))


def _states_of(row) -> tuple:
    return tuple(_state(t) for t in row)


def _states(rows) -> list[tuple]:
    return [_states_of(row) for row in rows]


def _children() -> set[int]:
    """Processes whose parent is this one, zombies included (from /proc)."""
    me, found = os.getpid(), set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == me:
            found.add(int(entry.name))
    return found


# -- the same answers --


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_named_query_forked_equals_in_process(seed_kg, forks, name):
    query = named_queries()[name]
    params = {p.name: PARAMS[p.name] for p in query.params if p.default is None}
    here = seed_kg.named(name, timeout=None, **params)
    assert not forks
    forked = seed_kg.named(name, timeout=30, **params)
    assert len(forks) == 1
    assert isinstance(forked, Table) and forked == here
    assert _states(forked.rows) == _states(here.rows)


def test_every_triple_of_the_seed_comes_back_the_same(seed_kg, forks):
    text = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
    here, forked = seed_kg.query(text, timeout=None), seed_kg.query(text, timeout=30)
    assert len(forks) == 1
    assert len(here.rows) > 5000
    assert forked == here and _states(forked.rows) == _states(here.rows)


@pytest.mark.parametrize(
    "text",
    [
        "CONSTRUCT { ?c dcterms:title ?t ; rkg:usesMechanism ?m } "
        "WHERE { ?c a rkg:InnovationCase ; dcterms:title ?t ; rkg:usesMechanism ?m }",
        "DESCRIBE <https://w3id.org/renda-kg/case/gd-b3-05>",
        "CONSTRUCT WHERE { ?s ?p ?o }",
    ],
    ids=["construct", "describe", "construct-all"],
)
def test_graph_queries_forked_equal_in_process(seed_kg, forks, text):
    here, forked = seed_kg.query(text, timeout=None), seed_kg.query(text, timeout=30)
    assert len(forks) == 1
    assert isinstance(forked, Graph) and len(forked) > 0
    assert sorted(map(_states_of, forked), key=repr) == sorted(map(_states_of, here), key=repr)
    assert set(forked) == set(here)
    assert dict(forked.namespaces()) == dict(here.namespaces())
    assert forked.serialize(format="turtle") == here.serialize(format="turtle")


def test_ask_forked_equals_in_process(seed_kg, forks):
    for text, answer in [
        ("ASK { ?c a rkg:InnovationCase }", True),
        ("ASK { ?c a rkg:NoSuchClass }", False),
    ]:
        assert seed_kg.query(text, timeout=None) is answer
        assert seed_kg.query(text, timeout=30) is answer
    assert len(forks) == 2


def test_terms_come_back_exactly_and_are_not_logged_again(caplog):
    """rdflib's own pickling would normalise "01" to "1" and log the ill-typed and the
    invalid IRI a second time, in the parent."""
    xml = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#XMLLiteral")
    objects = [
        Literal("01", datatype=XSD.integer, normalize=False),
        Literal("abc", datatype=XSD.integer),  # ill-typed
        Literal("2020-02-30", datatype=XSD.date),  # ill-typed
        Literal("2020-01-01T08:00:00+08:00", datatype=XSD.dateTime),
        Literal("2020-01-01T08:00:00", datatype=XSD.dateTime),
        Literal("P1Y2M", datatype=XSD.duration),
        Literal("<b>粗</b>", datatype=xml),
        Literal("2020", datatype=XSD.gYear),
        Literal("x", datatype=URIRef("urn:custom")),
        Literal("  a \t b ", datatype=XSD.normalizedString),
        Literal("汉字", lang="zh-Hans"),
        Literal("plain"),
        Literal(Decimal("0.50")),
        Literal(True),
        Literal(2.5),
        Literal("00ff", datatype=XSD.hexBinary),
        BNode("b1"),
        URIRef("urn:x:has space"),  # logged once, here, as not looking like an IRI
    ]
    dataset = Dataset()
    graph = dataset.graph(URIRef("urn:g"))
    for i, o in enumerate(objects):
        graph.add((URIRef(f"{EX}s{i:02d}"), RDF.value, o))
    store = MemoryStore(dataset)
    query = prepare(
        "SELECT ?s ?o WHERE { ?s rdf:value ?o } ORDER BY ?s", where="q", local_graphs=["urn:g"]
    )
    here = store.select(query, timeout=None)
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        forked = store.select(query, timeout=30)
    assert not caplog.records, [r.getMessage() for r in caplog.records]
    assert [row[1] for row in here.rows] == objects
    assert forked == here
    assert _states(forked.rows) == _states(here.rows)
    assert str(forked.rows[0][1]) == "01"
    assert [str(o) for _, o in forked.rows] == [str(o) for o in objects]


# -- errors --

ERRORS: dict[str, BaseException] = {
    "kg-error": KgError(
        [
            Problem("named.rq", "bad thing", field="x", line=3, hint="do that"),
            Problem("other", "second", severity="warning"),
        ]
    ),
    "recursion": RecursionError("maximum recursion depth exceeded"),
    "value-error": ValueError("boom: 汉字"),
    "system-exit": SystemExit(3),
    "keyboard-interrupt": KeyboardInterrupt(),
}


@pytest.mark.parametrize("kind", list(ERRORS))
def test_errors_come_back_as_on_the_thread_path(kind):
    def work():
        raise ERRORS[kind]

    with pytest.raises(KgError) as in_thread:
        run_in_thread(work, 30, "query")
    with pytest.raises(KgError) as forked:
        run_isolated(work, 30, "query")
    assert forked.value.problems == in_thread.value.problems
    assert str(forked.value) == str(in_thread.value)


def test_error_messages_read_as_before():
    def fail(error: BaseException):
        def work():
            raise error

        with pytest.raises(KgError) as caught:
            run_isolated(work, 30, "query")
        return str(caught.value)

    assert fail(RecursionError()) == "query: query is nested too deeply to evaluate"
    assert fail(ValueError("boom")) == "query: query failed: ValueError: boom"
    assert fail(ERRORS["kg-error"]) == str(ERRORS["kg-error"])


@pytest.mark.parametrize("error", [ValueError("engine broke"), RecursionError()])
def test_store_errors_read_as_on_the_thread_path(seed_kg, monkeypatch, error):
    def broken(query, graphs=None):
        raise error

    monkeypatch.setattr(seed_kg.store, "_result", broken)
    texts = ("SELECT * WHERE { ?s ?p ?o }", "ASK { ?s ?p ?o }", "CONSTRUCT WHERE { ?s ?p ?o }")
    messages = []
    for runner in (run_isolated, run_in_thread):
        monkeypatch.setattr(kg_store, "run_isolated", runner)
        for text in texts:
            with pytest.raises(KgError) as caught:
                seed_kg.query(text, timeout=30)
            messages.append(str(caught.value))
    assert messages[:3] == messages[3:]
    expected = (
        "query: query failed: ValueError: engine broke"
        if isinstance(error, ValueError)
        else "query: query is nested too deeply to evaluate"
    )
    assert set(messages) == {expected}


def test_unpicklable_answer_is_an_error_not_a_hang():
    with pytest.raises(KgError, match=r"^query: query failed: \w+Error: .*"):
        run_isolated(lambda: threading.Lock(), 10, "query")


def test_a_child_that_dies_is_reported():
    started = time.monotonic()
    with pytest.raises(KgError, match=r"ended without an answer \(signal 9\)"):
        run_isolated(lambda: os.kill(os.getpid(), signal.SIGKILL), 10, "query")
    assert time.monotonic() - started < 5


def test_without_a_timeout_nothing_is_forked(seed_kg, forks):
    assert seed_kg.query("ASK { ?s ?p ?o }", timeout=None) is True
    assert seed_kg.query("ASK { ?s ?p ?o }", timeout=0) is True
    with pytest.raises(ValueError, match="raw"):  # propagates unchanged, as before

        def work():
            raise ValueError("raw")

        run_isolated(work, None, "query")
    assert not forks


# -- the deadline --


@LINUX_PROC
def test_timeout_kills_and_reaps_a_child_that_holds_the_gil(tmp_path):
    pid_file = tmp_path / "pid"

    def work():
        pid_file.write_text(str(os.getpid()))
        return re.match(*GIL_BOMB)

    before = _children()
    started = time.monotonic()
    with pytest.raises(KgError) as caught:
        run_isolated(work, 1, "query")
    elapsed = time.monotonic() - started
    assert str(caught.value) == (
        "query: query did not finish within 1 s and was abandoned\n"
        "    hint: narrow the query, or allow it more time (timeout)"
    )
    assert 1 <= elapsed < 3
    pid = int(pid_file.read_text())
    assert pid != os.getpid()
    with pytest.raises(ChildProcessError):  # already reaped: no zombie left
        os.waitpid(pid, os.WNOHANG)
    assert not Path(f"/proc/{pid}").exists()
    assert _children() <= before


@LINUX_PROC
def test_regex_bomb_on_the_memory_store_stops_at_the_timeout(seed_kg):
    pattern, subject = GIL_BOMB
    text = f'SELECT ?x WHERE {{ VALUES ?x {{ "{subject}" }} FILTER(REGEX(?x, "{pattern}")) }}'
    before = _children()
    started = time.monotonic()
    with pytest.raises(KgError, match="did not finish within 1 s"):
        seed_kg.query(text, timeout=1)
    assert time.monotonic() - started < 3
    assert _children() <= before


def test_without_fork_the_thread_path_is_used(monkeypatch, seed_kg):
    monkeypatch.delattr(os, "fork")
    assert seed_kg.query("ASK { ?c a rkg:InnovationCase }", timeout=30) is True
    started = time.monotonic()
    with pytest.raises(KgError, match="did not finish within 0.3 s"):
        run_isolated(lambda: time.sleep(3), 0.3, "query")  # sleep releases the GIL
    assert time.monotonic() - started < 2


def test_concurrent_queries_get_their_own_answers(seed_kg):
    text = "SELECT ?c WHERE { ?c a rkg:InnovationCase } ORDER BY ?c"
    expected = seed_kg.query(text, timeout=None)
    answers: dict[int, object] = {}

    def ask(i: int) -> None:
        answers[i] = seed_kg.query(text, timeout=30) if i % 2 else run_isolated(lambda: i, 30, "q")

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert {i: a for i, a in answers.items() if i % 2 == 0} == {0: 0, 2: 2, 4: 4, 6: 6}
    assert all(answers[i] == expected for i in (1, 3, 5, 7))


# -- large answers --


def test_a_200k_row_answer_comes_back_intact():
    rows = [
        (
            URIRef(f"{EX}s{i}"),
            Literal(f"第{i}行", lang="zh"),
            Literal(i),
            BNode(f"b{i}") if i % 3 else None,
        )
        for i in range(200_000)
    ]
    table = Table(["s", "label", "n", "b"], rows)
    forked = run_isolated(lambda: table, 60, "query")
    assert forked is not table and forked.variables == table.variables
    assert forked.rows == rows
    assert _states(forked.rows[::997]) == _states(rows[::997])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib's, several per solution
def test_a_large_select_comes_back_intact():
    dataset = Dataset()
    graph = dataset.graph(URIRef("urn:g"))
    value = URIRef(f"{EX}p")
    for i in range(150):
        graph.add((URIRef(f"{EX}s{i}"), value, Literal(f"第{i}行 " + "长" * 200, lang="zh")))
    store = MemoryStore(dataset)
    query = prepare(
        "SELECT ?a ?x ?b ?y WHERE { ?a <urn:x:p> ?x . ?b <urn:x:p> ?y }",
        where="q",
        local_graphs=["urn:g"],
    )
    answer = store.select(query, timeout=60)
    assert answer.variables == ["a", "x", "b", "y"]
    pairs = [(s, o) for s, _, o in graph]
    assert Counter(answer.rows) == Counter(a + b for a in pairs for b in pairs)


def test_a_payload_larger_than_the_pipe_flows_through():
    blob = bytes(range(256)) * (256 * 1024)  # 64 MiB
    assert run_isolated(lambda: blob, 30, "query") == blob


# -- the parent's process state --


def test_the_child_leaves_the_parents_stdout_and_atexit_alone(tmp_path):
    script = textwrap.dedent(
        """
        import atexit, os, sys, warnings
        from rdflib import Dataset, Literal, URIRef
        from kg.core.isolate import run_isolated
        from kg.store.sparql import prepare
        from kg.store.memory import MemoryStore

        # Python 3.12+ warns when a threaded process forks; kg.core.isolate silences it
        warnings.warn(
            "This process (pid=1) is multi-threaded, use of fork() may lead to deadlocks.",
            DeprecationWarning,
        )
        @atexit.register
        def at_exit():  # writes past sys.stdout, so a child's copy would show
            sys.stdout.flush()
            os.write(1, b"atexit ran\\n")
        print("buffered before the fork")  # stdout is a pipe: this stays in the buffer
        assert not sys.stdout.line_buffering

        def noisy():
            print("printed in the child " * 1000)  # more than the buffer holds
            return 42

        assert run_isolated(noisy, 10, "query") == 42
        dataset = Dataset()
        dataset.graph(URIRef("urn:g")).add((URIRef("urn:s"), URIRef("urn:p"), Literal(1)))
        query = prepare("SELECT ?o WHERE { ?s ?p ?o }", where="q", local_graphs=["urn:g"])
        print(MemoryStore(dataset).select(query, timeout=10).rows)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-W", "error:This process:DeprecationWarning", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "multi-threaded" not in proc.stderr
    assert proc.stdout.splitlines() == [
        "buffered before the fork",
        "[(rdflib.term.Literal('1', datatype=rdflib.term.URIRef("
        "'http://www.w3.org/2001/XMLSchema#integer')),)]",
        "atexit ran",
    ]
