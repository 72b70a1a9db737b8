"""The analytic index and the pattern report: kept by `kg build` beside the graph, the same
answers as SPARQL and as `kg patterns` computed on the graph.

Every indexed answer is compared with the query run on the graph, on Oxigraph (same
rows in the same order) and on rdflib (same rows); an index that belongs to another
build, or that cannot be read, is never used.
"""

from __future__ import annotations

import errno
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import kg.analysis.report
from kg.analysis.report import FORMATS, MAGIC, is_current, kept_report, render
from kg.api import KnowledgeGraph
from kg.build.cache import source_digest
from kg.cli import main
from kg.query.index import INDEXED, KEPT_CSV, AnalyticIndex
from kg.query.kept import INDEX_DIR, Packed, index_path, pack
from kg.query.similar import PARTS, CaseClosures, kept_parts
from kg.query.writers import format_table, results_bytes, stream_select
from kg.store.lazy import LazyStore
from kg.store.memory import MemoryStore
from kg.store.oxigraph import OxigraphStore

KG = str(Path(sys.executable).with_name("kg"))


@pytest.fixture(scope="module")
def build(good_build) -> Path:
    """`kg build` of the seed (the session's): tests copy it before changing it."""
    return good_build / "build"


@pytest.fixture(scope="module")
def indexed(build) -> KnowledgeGraph:
    graph = KnowledgeGraph.open("auto", graph_file=build / "kg.trig")
    assert graph.index is not None
    return graph


@pytest.fixture(scope="module")
def engines(build) -> tuple[KnowledgeGraph, KnowledgeGraph]:
    """The build's graph in Oxigraph and in rdflib, no index: what the index must equal.
    Loaded once (queries never change a store; the stores keep no answers)."""
    trig = build / "kg.trig"
    return KnowledgeGraph(OxigraphStore.from_file(trig)), KnowledgeGraph(
        MemoryStore.from_file(trig)
    )


@pytest.fixture(scope="module")
def fresh_report(engines):
    """The report computed by rdflib without the index, with the default options."""
    return engines[1].patterns()


def _sorted(table) -> list[str]:
    return sorted(repr(sorted(row.items())) for row in table.dicts())


def test_the_build_keeps_one_index_named_after_its_generation(build):
    trig = build / "kg.trig"
    path = index_path(trig)
    assert path is not None and path.parent == build / INDEX_DIR
    assert path.stem == Path(trig.resolve()).parent.name
    kept = sorted(p.name for p in (build / INDEX_DIR).iterdir())
    assert kept == [path.name, path.with_suffix(".report").name]
    parts = set(INDEXED) | {f"text:{name}" for name in INDEXED} | set(PARTS)
    parts |= {f"csv:{name}" for name in KEPT_CSV}
    assert set(AnalyticIndex.open(trig).tables) == parts


@pytest.mark.parametrize("name", INDEXED)
def test_indexed_answers_are_the_sparql_answers(indexed, engines, name):
    oxigraph, rdflib = engines
    table = indexed.select(name)
    engine = oxigraph.select(name)
    assert table.variables == engine.variables
    assert table.rows == engine.rows  # the same order too (ORDER BY ties included)
    assert _sorted(table) == _sorted(rdflib.select(name))
    assert sorted(indexed.values(name).rows, key=repr) == sorted(
        oxigraph.values(name).rows, key=repr
    )


def test_aggregates_and_the_report_need_no_graph_load(build, fresh_report):
    graph = KnowledgeGraph.open("auto", graph_file=build / "kg.trig")
    assert isinstance(graph.store, LazyStore)
    graph.select("mechanism-frequency")
    graph.values("case-tags")
    assert not graph.store.loaded
    assert graph.patterns().to_json() == fresh_report.to_json()


def test_queries_the_index_lacks_load_the_graph(indexed):
    assert not indexed.indexed("mechanism-cooccurrence", {"min_shared": "1"})
    assert indexed.indexed("mechanism-cooccurrence", {"min_shared": "2"})
    assert indexed.select("mechanism-cooccurrence", min_shared="1").rows
    assert indexed.select("cases-with-mechanism", mechanism="liaison-station").rows
    assert indexed.store.loaded


def test_a_copied_graph_does_not_use_the_index_of_its_build(build, tmp_path):
    copy = tmp_path / "kg.trig"
    shutil.copyfile(build / "kg.trig", copy)
    assert index_path(copy) is None
    graph = KnowledgeGraph.open("oxigraph", graph_file=copy)
    assert graph.index is None and isinstance(graph.store, OxigraphStore)


def test_an_unreadable_index_is_ignored(build, tmp_path):
    out = tmp_path / "build"
    shutil.copytree(build, out, symlinks=True)
    path = index_path(out / "kg.trig")
    path.write_bytes(b"renda-kg analytic index 1\n{broken")
    assert AnalyticIndex.open(out / "kg.trig") is None
    graph = KnowledgeGraph.open("auto", graph_file=out / "kg.trig")
    assert graph.index is None
    assert graph.select("mechanism-frequency").rows


def test_a_new_build_replaces_the_index(project, tmp_path):
    out = tmp_path / "out"
    runner = CliRunner()
    assert runner.invoke(main, ["build", "--root", str(project), "--out", str(out)]).exit_code == 0
    first = index_path(out / "kg.trig")
    record = project / "data" / "cases" / "gd-b3-01.yaml"
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace("  en: Establishing", "  en: Revised, establishing", 1), "utf-8")
    assert runner.invoke(main, ["build", "--root", str(project), "--out", str(out)]).exit_code == 0
    second = index_path(out / "kg.trig")
    assert second != first and second.is_file() and not first.exists()
    assert second.with_suffix(".report").is_file() and not first.with_suffix(".report").exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_kg_patterns_prints_the_kept_report_which_is_the_computed_one(build, fresh_report, fmt):
    trig = build / "kg.trig"
    graph = KnowledgeGraph.open("auto", graph_file=trig)
    assert kept_report(graph.index, fmt, min_cases=2, seed=42) is not None
    printed = CliRunner().invoke(main, ["patterns", "--graph", str(trig), "--format", fmt])
    assert printed.exit_code == 0, printed.output
    assert printed.output == render(fresh_report, fmt)  # rdflib, no index
    assert graph.report(fmt) == printed.output
    assert not graph.store.loaded


def test_the_kept_report_serves_only_its_options_and_its_code(build, tmp_path):
    out = tmp_path / "build"
    shutil.copytree(build, out, symlinks=True)
    trig = out / "kg.trig"
    path = index_path(trig).with_suffix(".report")
    parts = {fmt: f"kept {fmt}\n".encode() for fmt in FORMATS}
    path.write_bytes(pack(MAGIC, parts, code=source_digest()))

    def patterns(*args: str) -> str:
        result = CliRunner().invoke(main, ["patterns", "--graph", str(trig), *args])
        assert result.exit_code == 0, result.output
        return result.output

    assert patterns() == "kept table\n" and patterns("--format", "md") == "kept md\n"
    assert patterns("--seed", "7").startswith("Cross-case patterns (10 cases)")
    assert patterns("--min-cases", "3").startswith("Cross-case patterns (10 cases)")
    assert patterns() == "kept table\n"  # other options are computed, never kept
    for stale in (pack(MAGIC, parts, code="another version of kg"), MAGIC + b"{broken"):
        path.write_bytes(stale)
        computed = patterns()
        assert computed.startswith("Cross-case patterns (10 cases)")
        # kept for the next call (after an upgrade of kg, until the next `kg run`)
        assert is_current(path) and Packed.open(path, MAGIC).part("table").decode() == computed
        assert patterns() == computed


def test_the_api_keeps_a_computed_report_and_leaves_others_and_read_only_builds(
    build, tmp_path, monkeypatch
):
    """`KnowledgeGraph.report` keeps what it computed as `kg patterns` does; a report of
    another generation (a newer build switched in meanwhile) stays, and a build that
    cannot be written to is only read."""
    out = tmp_path / "build"
    shutil.copytree(build, out, symlinks=True)
    trig = out / "kg.trig"
    path = index_path(trig).with_suffix(".report")
    newer = path.with_name("0123456789abcdef.report")
    newer.write_bytes(b"a newer generation's report")
    path.write_bytes(pack(MAGIC, {f: b"stale" for f in FORMATS}, code="an older kg"))
    with monkeypatch.context() as patch:  # a read-only file system (root writes anywhere)

        def read_only(*_):
            raise OSError(errno.EROFS, "Read-only file system")

        patch.setattr(kg.analysis.report, "atomic_write_bytes", read_only)
        unkept = KnowledgeGraph.open("auto", graph_file=trig).report("md")
    assert unkept.startswith("# Cross-case patterns") and not is_current(path)
    computed = KnowledgeGraph.open("auto", graph_file=trig).report("md")
    assert computed == unkept and is_current(path)
    assert Packed.open(path, MAGIC).part("md").decode() == computed
    assert newer.read_bytes() == b"a newer generation's report"


@pytest.mark.parametrize("name", KEPT_CSV)
def test_a_kept_csv_is_the_bytes_the_engine_writes(indexed, engines, name, tmp_path):
    engine = engines[0]
    with open(tmp_path / "engine.csv", "wb") as out:
        assert stream_select(
            engine.store, engine.prepared_named(name, {}), "csv", out, timeout=None
        )
    with open(tmp_path / "kept.csv", "wb") as out:
        indexed.index.copy_part(f"csv:{name}", out.fileno())
    assert (tmp_path / "kept.csv").read_bytes() == (tmp_path / "engine.csv").read_bytes()
    assert (tmp_path / "kept.csv").read_bytes().count(b"\n") > 10
    assert indexed.index.has_csv(name) and not indexed.indexed(name, {})


@pytest.mark.parametrize("name", INDEXED)
def test_a_kept_text_table_is_what_the_engine_answer_prints(indexed, engines, name, tmp_path):
    engine = engines[0].select(name)
    with open(tmp_path / "kept.txt", "wb") as out:
        indexed.index.copy_part(f"text:{name}", out.fileno())
    assert (tmp_path / "kept.txt").read_text(encoding="utf-8") == format_table(engine, "table")
    assert indexed.index.has_text(name) and not indexed.index.has_text(name, {"x": "1"})


def test_kg_query_prints_a_kept_text_table_only_where_it_answers(build, tmp_path):
    """The default format is copied from the index; other formats, other parameters and
    --out are answered as before."""
    out = tmp_path / "build"
    shutil.copytree(build, out, symlinks=True)
    trig = out / "kg.trig"
    index = AnalyticIndex.open(trig)
    parts = {name: index.part(name) for name in index.tables}
    real = parts["text:bodies"]
    parts["text:bodies"] = "kept 人大\n".encode()
    index_path(trig).write_bytes(pack(b"renda-kg analytic index 1\n", parts))

    def kg(*args: str) -> bytes:
        done = subprocess.run([KG, "query", "--graph", str(trig), *args], capture_output=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert kg("--name", "bodies") == kg("--name", "bodies", "--format", "table")
    assert kg("--name", "bodies") == "kept 人大\n".encode()
    assert kg("--name", "bodies", "--format", "md").startswith(b"| body |")
    kg("--name", "bodies", "--out", str(tmp_path / "bodies.txt"))
    assert (tmp_path / "bodies.txt").read_bytes() == real
    changed = kg("--name", "mechanism-cooccurrence", "--param", "min_shared=1")
    assert changed.startswith(b"mechanism_a") and changed != parts["text:mechanism-cooccurrence"]


def test_kg_query_copies_a_kept_csv_and_asks_the_engine_for_other_formats(build, tmp_path):
    out = tmp_path / "build"
    shutil.copytree(build, out, symlinks=True)
    trig = out / "kg.trig"
    index = AnalyticIndex.open(trig)
    parts = {name: index.part(name) for name in index.tables}
    parts["csv:claims"] = b"subject,kept\r\n"
    index_path(trig).write_bytes(pack(b"renda-kg analytic index 1\n", parts))

    def kg(*args: str) -> bytes:
        done = subprocess.run([KG, "query", "--graph", str(trig), *args], capture_output=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert kg("--name", "claims", "--format", "csv") == b"subject,kept\r\n"
    tsv = kg("--name", "claims", "--format", "tsv")
    assert tsv.startswith(b"?subject\t?property") and tsv.count(b"\n") > 10
    assert kg("--name", "evidence", "--format", "csv") == parts["csv:evidence"]


def test_similar_cases_of_every_seed_case_come_from_the_index(build, engines):
    indexed = KnowledgeGraph.open("auto", graph_file=build / "kg.trig")
    oxigraph, rdflib = engines
    cases = sorted({row[0] for row in indexed.values("case-tags").rows})
    assert len(cases) == 10
    for case in cases:
        kept = indexed.computed("similar-cases", {"case": case})
        assert kept is not None and kept.rows == oxigraph.select("similar-cases", case=case).rows
        assert _sorted(kept) == _sorted(rdflib.select("similar-cases", case=case))
        csv = indexed.index.compute("similar-cases", {"case": case}, csv=True)
        assert csv == results_bytes(kept, "csv")
        text = indexed.index.compute("similar-cases", {"case": case}, text=True)
        assert text == format_table(kept, "table")
    short = cases[4].rsplit("/", 1)[1]
    for named in (short, f"case:{short}", cases[4]):  # an id, a prefixed name, an IRI
        assert indexed.computed("similar-cases", {"case": named}).rows == kept_rows(indexed, 4)
    # a title, an unknown id: the resolver's, on the graph (a match, or the close matches)
    assert indexed.computed("similar-cases", {"case": "gd-b3-99"}) is None
    assert not indexed.store.loaded


def kept_rows(graph, i):
    cases = sorted({row[0] for row in graph.values("case-tags").rows})
    return graph.computed("similar-cases", {"case": cases[i]}).rows


def test_kg_query_similar_cases_answers_from_the_index_in_every_format(build, tmp_path):
    copy = tmp_path / "kg.trig"
    shutil.copyfile(build / "kg.trig", copy)  # no index beside it: the engine answers
    for fmt in ("table", "csv", "tsv", "json", "md", "xml"):
        out = {}
        for graph in (build / "kg.trig", copy):
            args = ["query", "--graph", str(graph), "--store", "oxigraph", "--name"]
            args += ["similar-cases", "--param", "case=gd-b3-07", "--format", fmt]
            out[graph] = subprocess.run([KG, *args], capture_output=True, check=True).stdout
        assert out[build / "kg.trig"] == out[copy] and out[copy].count(b"gd-b3-0") >= 3
    unknown = subprocess.run(
        [KG, "query", "--graph", str(build / "kg.trig"), "--name", "similar-cases"]
        + ["--param", "case=gd-b3-99"],
        capture_output=True,
        text=True,
    )
    assert unknown.returncode == 2 and "gd-b3-99" in unknown.stderr
    graph_format = subprocess.run(
        [KG, "query", "--graph", str(build / "kg.trig"), "--name", "similar-cases"]
        + ["--param", "case=gd-b3-07", "--format", "ttl"],
        capture_output=True,
        text=True,
    )
    assert graph_format.returncode == 2 and "SELECT gives table, csv" in graph_format.stderr


def test_the_csv_of_similar_cases_quotes_as_pyoxigraph_does():
    """Titles with commas, quotes, breaks, tabs, other separators and wide characters, an
    IRI with a comma, a case without a title and one with two: the CSV and the text table
    written without terms are pyoxigraph's and `format_table`'s, byte for byte."""
    mech = "https://w3id.org/renda-kg/mechanism/"
    titles = [
        [["逗号,与“引号”", "zh"]],
        [['say "hi"', "zh"], ["line\r\nbreak\ttab", "zh"]],
        [],
        [["plain\u2028分隔\x0b全角", "zh"]],
    ]
    cases = [f"https://w3id.org/renda-kg/case/c{i}" for i in range(3)] + [
        "https://w3id.org/renda-kg/case/c,3"
    ]
    a, b, other = mech + "a", mech + "b", "https://example.org/other"
    sets = [{a, b}, {a, b, other}, {a, b}, {a}]
    parts = kept_parts(dict(zip(cases, sets, strict=True)), dict(zip(cases, titles, strict=True)))
    assert set(parts) == set(PARTS)
    closures = CaseClosures(parts.__getitem__)
    for case in cases:
        table = closures.similar(case)
        assert closures.similar_csv(case) == results_bytes(table, "csv")
        assert closures.similar_text(case) == format_table(table, "table")
    assert [row[0].value for row in closures.similar(cases[0]).native] == [
        cases[2],
        cases[1],
        cases[1],
        cases[3],
    ]


def test_similar_cases_over_many_concepts_rank_as_the_definition_says():
    """130 concepts (masks of three words), 300 cases, some sharing a set, one without
    any: each answer is every other case that shares a mechanism, by rounded Jaccard
    then IRI, with the shared mechanisms named."""
    import random

    rng = random.Random(7)
    mech = "https://w3id.org/renda-kg/mechanism/"
    concepts = [f"{mech}m{i:03d}" for i in range(130)]
    cases = [f"https://w3id.org/renda-kg/case/c{i:03d}" for i in range(300)]
    sets = {iri: set(rng.sample(concepts, rng.randint(1, 12))) for iri in cases}
    sets[cases[5]] = set(sets[cases[9]])
    sets[cases[7]] = set()
    titles = {iri: [[f"案例{i}", "zh"]] for i, iri in enumerate(cases)}
    closures = CaseClosures(kept_parts(sets, titles).__getitem__)
    for case in (cases[0], cases[5], cases[7], cases[299]):
        expected = []
        for other in cases:
            shared = sets[case] & sets[other]
            if other == case or not shared:
                continue
            union = len(sets[case] | sets[other])
            rank = (20000 * len(shared) + union) // (2 * union)
            names = " ".join(sorted(c.rsplit("/", 1)[1] for c in shared))
            expected.append((-rank, other, len(shared), names))
        expected.sort()
        rows = [
            (row[0].value, int(row[2].value), row[4].value) for row in closures.similar(case).native
        ]
        assert rows == [(iri, k, names) for _, iri, k, names in expected]
        assert closures.similar_csv(case) == results_bytes(closures.similar(case), "csv")
        assert closures.similar_text(case) == format_table(closures.similar(case), "table")
    assert closures.similar(cases[7]).native == []
