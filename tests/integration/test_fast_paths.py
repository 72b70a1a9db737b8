"""The paths a waiting user takes: Oxigraph by default for a built file, the library's
queries without rdflib's parser, SELECT answers streamed by Oxigraph's writers.

Each shortcut is checked against the long way: the same text and form as the full
check, the same rows, the same bytes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from kg.api import KnowledgeGraph
from kg.query.library import named_queries
from kg.query.writers import format_table, results_bytes
from kg.store.sparql import prepare, prepare_trusted

from ..conftest import ROOT

KG = str(Path(sys.executable).with_name("kg"))
PARAMS = {"mechanism": "liaison-station", "case": "gd-b3-05", "place": "广州市"}


def _params(name: str) -> dict[str, str]:
    return {p.name: PARAMS[p.name] for p in named_queries()[name].params if p.default is None}


@pytest.fixture(scope="module")
def oxigraph(seed_trig) -> KnowledgeGraph:
    return KnowledgeGraph.open("auto", graph_file=seed_trig)


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_trusted_library_text_is_what_the_full_check_passes(oxigraph, name):
    """The library is trusted only because every text passes `prepare` (no update, no
    SERVICE, no FROM) with the same text and form: the shortcut checks nothing less."""
    query = named_queries()[name]
    bindings = query.bind(_params(name), oxigraph.resolver.resolve)
    text = query.text_for("oxigraph")
    checked = prepare(
        text, where=f"{name}.rq", local_graphs=oxigraph.graph_names(), bindings=bindings
    )
    trusted = prepare_trusted(text, where=f"{name}.rq", bindings=bindings)
    assert (trusted.text, trusted.form, trusted.has_dataset) == (checked.text, checked.form, False)
    assert trusted.algebra is None


def _own_texts() -> dict[str, str]:
    """The SPARQL constants that `kg docs` and the site run through `query_own`."""
    import kg.outputs.docs
    import kg.site.data

    return {
        f"{module.__name__}.{name}": value
        for module in (kg.outputs.docs, kg.site.data)
        for name, value in vars(module).items()
        if isinstance(value, str) and re.match(r"\s*(PREFIX|SELECT|ASK|CONSTRUCT)\b", value)
    }


def test_the_own_texts_of_docs_and_site_are_found():
    assert {"kg.outputs.docs._TERMS", "kg.site.data._EVIDENCE"} <= set(_own_texts())


@pytest.mark.parametrize("name", sorted(_own_texts()))
def test_own_texts_of_docs_and_site_pass_the_full_check(oxigraph, name):
    """Docs and site skip rdflib's parse on Oxigraph (`query_own`): each text must pass
    `prepare` as it is, and give the same rows through both paths."""
    text = _own_texts()[name]
    checked = prepare(text, where=name, local_graphs=oxigraph.graph_names())
    assert checked.form in ("SELECT", "ASK") and not checked.has_dataset
    assert oxigraph.query_own(text).rows == oxigraph.query(text, timeout=None).rows


def test_auto_is_rdflib_only_for_files_from_elsewhere(seed, seed_trig, tmp_path):
    assert KnowledgeGraph.open("auto", graph_file=seed_trig).store.name == "oxigraph"
    elsewhere = tmp_path / "copy.trig"  # not written by kg build: the strict reader
    elsewhere.write_bytes(seed_trig.read_bytes())
    assert KnowledgeGraph.open("auto", graph_file=elsewhere).store.name == "memory"
    for part in ("data", "ontology"):  # no build/ folder: built from our own records
        (tmp_path / part).symlink_to(ROOT / part)
    built = KnowledgeGraph.open("auto", root=tmp_path)
    assert built.store.name == "oxigraph" and len(built.store) == len(seed.union())


def test_the_command_line_imports_no_rdflib_until_a_command_needs_it():
    code = (
        "import sys, kg.cli; print(sorted(m for m in ('rdflib', 'pyparsing') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_what_kg_run_needs_before_the_figures_start_imports_no_networkx_or_numpy(seed_trig):
    """`kg run` forks the figure drawer and reads the figures' data and key before the
    views need networkx: those imports (0.27 s) stay off the path to the drawing."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from kg.api import KnowledgeGraph\n"
        "from kg.analysis.cases import load_case_mechanisms\n"
        "from kg.outputs.figures import Drawer, drawn_inputs, mechanism_counts\n"
        f"kg = KnowledgeGraph.open('oxigraph', graph_file=Path({str(seed_trig)!r}))\n"
        "data = load_case_mechanisms(kg)\n"
        "assert data.uses and drawn_inputs(data) and mechanism_counts(kg, data)\n"
        "print(sorted(m for m in ('networkx', 'numpy', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _kg(*args: str) -> bytes:
    """`kg` as a user runs it: a real process whose standard output is a pipe."""
    done = subprocess.run([KG, *args], capture_output=True, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("mechanism-frequency", "table"),
        ("mechanism-frequency", "csv"),
        ("bodies", "json"),
        ("claims", "csv"),
    ],
)
def test_a_kept_answer_is_printed_before_rdflib_is_imported(seed_trig, oxigraph, name, fmt):
    """`kg query --name` writes what the build's index keeps (`kg.query.kept`: a text
    table, a long table's CSV, an aggregate through pyoxigraph) before it imports the
    query stage: the bytes of the engine's answer, without rdflib."""
    args = ["query", "--name", name, "--graph", str(seed_trig), "--format", fmt]
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('rdflib' in sys.modules, file=sys.stderr))\n"
        "from kg.cli import main\n"
        f"main({args!r})\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    assert (done.returncode, done.stderr) == (0, b"False\n")
    if fmt == "table":  # rdflib's own evaluation, laid out
        assert done.stdout == _kg(*args, "--store", "memory")
    else:
        assert done.stdout == results_bytes(oxigraph.select(name), fmt)
    assert len(done.stdout) > 1000


@pytest.mark.parametrize("name", ["mechanism-frequency", "claims", "cases-with-mechanism"])
@pytest.mark.parametrize("fmt", ["csv", "tsv", "json"])
def test_streamed_answers_are_the_engine_writers_bytes(seed_trig, oxigraph, name, fmt):
    params = [f"--param={k}={v}" for k, v in _params(name).items()]
    streamed = _kg("query", "--graph", str(seed_trig), "--name", name, "--format", fmt, *params)
    table = oxigraph.select(name, **_params(name))
    assert len(table.rows) > 1
    assert streamed == results_bytes(table, fmt)
    if fmt == "json":  # the same answer as the indented writer, in one line
        assert json.loads(streamed) == json.loads(format_table(table, "json"))


def test_streamed_csv_has_the_rows_of_rdflib(seed_trig):
    """Oxigraph by default, rdflib on request: the same rows either way."""
    args = ["query", "--graph", str(seed_trig), "--name", "claims", "--format", "csv"]
    fast = _kg(*args).decode().splitlines()
    slow = _kg(*args, "--store", "memory").decode().splitlines()
    assert fast[0] == slow[0]
    assert sorted(fast[1:]) == sorted(slow[1:])
    assert len(fast) > 100


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json"])
@pytest.mark.parametrize("max_rows", [None, 1, 7, 10_000])
def test_the_endpoint_writes_oxigraph_answers_without_terms(oxigraph, fmt, max_rows):
    """The endpoint's reply (Oxigraph writing TSV, cut by lines, rewritten) is the reply
    of the term-by-term path, truncation flag included; a literal with a line break
    stays one row."""
    from kg.serve.execute import Job, answer
    from kg.store.sparql import prepare

    text = 'SELECT ?c ?t ?n WHERE { ?c dcterms:title ?t . BIND("a\\nb\\tc" AS ?n) } ORDER BY ?c ?t'
    job = Job(text, accept="", formats=(fmt,), max_rows=max_rows or 10**9)
    reply = answer(oxigraph, job)
    assert reply.status == 200
    prepared = prepare(text, local_graphs=oxigraph.graph_names())
    table = oxigraph.store.select(prepared, timeout=None, max_rows=max_rows or 10**9)
    assert reply.body == results_bytes(table, fmt)
    assert (reply.headers.get("X-Truncated") == "true") == table.truncated
    assert table.truncated == (max_rows in (1, 7))


def test_a_build_older_than_an_input_is_said_to_be_stale(project, seed_trig):
    """`kg query` and the others warn when a file under data/ or ontology/ (at any depth)
    changed after the build; an untouched project says nothing."""
    build = project / "build"
    build.mkdir()
    trig = build / "kg.trig"
    trig.write_bytes(seed_trig.read_bytes())
    written = trig.stat().st_mtime
    record = project / "data" / "cases" / "gd-b3-01.yaml"
    for path in (project / "data").rglob("*"):  # every input older than the build
        os.utime(path, (written - 60, written - 60))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        KnowledgeGraph.warn_if_stale(project)
    query = [
        KG,
        "query",
        "--root",
        str(project),
        "--name",
        "mechanism-frequency",
        "--format",
        "csv",
    ]
    fresh = subprocess.run(query, capture_output=True, text=True, check=True)
    os.utime(record, (written + 60, written + 60))
    with pytest.warns(UserWarning, match="older than data/ or ontology/"):
        KnowledgeGraph.warn_if_stale(project)
    # the command line checks beside the query, and says so before it exits
    stale = subprocess.run(query, capture_output=True, text=True, check=True)
    assert "warning" not in fresh.stderr and stale.stdout == fresh.stdout
    assert "kg.trig is older than data/ or ontology/: run `kg build`" in stale.stderr


@pytest.mark.parametrize("find", ["find(1)", "walked here"])
def test_the_stale_check_follows_the_link_to_the_build_with_or_without_find(
    project, seed_trig, monkeypatch, find
):
    """kg.trig is a link into its generation: the build's time is the file's, not the
    link's; a change at any depth is seen by find(1) and by the walk that stands in
    for it where there is none."""
    import kg.core.layout

    if find == "walked here":
        monkeypatch.setattr(kg.core.layout.shutil, "which", lambda name: None)
    generation = project / "build" / ".kg-current"
    generation.mkdir(parents=True)
    (generation / "kg.trig").write_bytes(seed_trig.read_bytes())
    (project / "build" / "kg.trig").symlink_to(".kg-current/kg.trig")
    written = (generation / "kg.trig").stat().st_mtime
    for path in [*(project / "data").rglob("*"), *(project / "ontology").rglob("*")]:
        os.utime(path, (written - 60, written - 60))
    os.utime(project / "build" / "kg.trig", (written - 120, written - 120), follow_symlinks=False)
    assert kg.core.layout.stale_build(project) is None
    deep = sorted((project / "data").rglob("*.ttl"))[-1]
    os.utime(deep, (written + 1, written + 1))
    assert "older than data/ or ontology/" in kg.core.layout.stale_build(project)
    # a data/ that is a link to the folder elsewhere is walked too
    (project / "data").rename(project.parent / f"{project.name}-data")
    (project / "data").symlink_to(project.parent / f"{project.name}-data")
    assert "older than data/ or ontology/" in kg.core.layout.stale_build(project)
    os.utime(deep.resolve(), (written - 60, written - 60))
    assert kg.core.layout.stale_build(project) is None
