"""Hostile RDF files through every loader: `kg query --graph` (rdflib and Oxigraph stores),
`kg diff` and `kg load --store oxigraph:DIR`.

The rdflib paths (`--store memory`, `kg diff`) go through the strict gate of
`kg.core.rdfio`: Oxigraph parses first and its error names line and column; RDF/XML DOCTYPEs
and JSON-LD contexts by reference are refused unread; ill-typed literals are refused.
The Oxigraph paths use Oxigraph's own strict parser (same positions); they keep an
ill-typed literal verbatim and evaluate it as SPARQL says (a type error), which is the
safe result there. A failed `kg load` leaves the store as it was.
"""

from __future__ import annotations

import gc
import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import accepted, refused, run

P = "@prefix ex: <http://example.org/> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
G = "<http://example.org/g>"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_HEAD = (
    '<?xml version="1.0"?>\n{doctype}'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns:ex="http://example.org/">\n'
    '<rdf:Description rdf:about="{about}"><ex:p>{value}</ex:p></rdf:Description>\n'
    "</rdf:RDF>\n"
)
LAUGHS = (
    '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
    + "]>\n"
)
CONTROL = "nul\\u0000 ff\\u000C fffe\\uFFFE zwsp\\u200B rlo\\u202E"


def rdfxml(value: str = "x", doctype: str = "", about: str = "http://example.org/s") -> str:
    return RDF_HEAD.format(doctype=doctype, about=about, value=value)


@dataclass(frozen=True)
class Hostile:
    """A hostile file; `words` (with `{file}`) must be in the strict loaders' message."""

    name: str
    suffix: str
    content: str | bytes
    words: tuple[str, ...] = ()
    line: int | None = None
    safe: bool = False  # accepted by the strict loaders, with a correct result
    oxigraph_safe: bool = False  # accepted by the Oxigraph loaders (verbatim, SPARQL rules)

    def write(self, folder: Path) -> Path:
        path = folder / f"{self.name}{self.suffix}"
        data = self.content.encode("utf-8") if isinstance(self.content, str) else self.content
        path.write_bytes(data)
        return path


INPUTS = [
    Hostile(
        "literal-subject",
        ".ttl",
        P + '"lit" ex:p ex:o .\n',
        ('"lit" is not a valid subject',),
        3,
    ),
    Hostile(
        "literal-subject",
        ".nq",
        f'"lit" <http://example.org/p> "o" {G} .\n',
        ("must be an IRI or a blank node",),
        1,
    ),
    Hostile("blank-node-predicate", ".ttl", P + "ex:s _:b ex:o .\n", ("not a valid predicate",), 3),
    Hostile(
        "blank-node-predicate",
        ".trig",
        P + G + " {\n  ex:s _:b ex:o .\n}\n",
        ("not a valid predicate",),
        4,
    ),
    Hostile(
        "iri-with-space",
        ".nt",
        '<http://example.org/a b> <http://example.org/p> "o" .\n',
        ("Invalid IRI code point ' '",),
        1,
    ),
    Hostile(
        "relative-iri",
        ".ttl",
        P + "<notes.txt> ex:p ex:o .\n",
        ("relative IRI with no @base",),
        3,
    ),
    Hostile(
        "relative-iri",
        ".trig",
        P + G + " {\n  ex:s ex:p <../../etc/passwd> .\n}\n",
        ("relative IRI with no @base",),
        4,
    ),
    Hostile(
        "ill-typed-integer",
        ".ttl",
        P + 'ex:s ex:n "abc"^^xsd:integer .\n',
        ("ill-typed literal 'abc': not a valid xsd:integer",),
        3,
        oxigraph_safe=True,
    ),
    Hostile(
        "ill-typed-date",
        ".trig",
        P + G + ' {\n  ex:s ex:d "2023-02-30"^^xsd:date .\n}\n',
        ("ill-typed literal '2023-02-30': not a valid xsd:date",),
        4,
        oxigraph_safe=True,
    ),
    Hostile(
        "fullwidth-digits-integer",
        ".nq",
        f'<http://example.org/s> <http://example.org/n> "１２"^^<{XSD}integer> {G} .\n',
        ("ill-typed literal '１２': not a valid xsd:integer",),
        1,
        oxigraph_safe=True,
    ),
    Hostile(
        "nested-3000-collections",
        ".ttl",
        P + "ex:s ex:p " + "(" * 3000 + ")" * 3000 + " .\n",
        ("nested too deeply",),
        oxigraph_safe=True,
    ),
    Hostile(
        "nested-3000-blank-nodes",
        ".trig",
        P + G + " {\n  ex:s ex:p " + "[ ex:p " * 3000 + "1" + " ]" * 3000 + " .\n}\n",
        ("nested too deeply",),
        oxigraph_safe=True,
    ),
    Hostile("utf8-bom", ".ttl", "\ufeff" + P + 'ex:s ex:p "x" .\n', safe=True, oxigraph_safe=True),
    Hostile(
        "utf8-bom",
        ".trig",
        "\ufeff" + P + G + ' {\n  ex:s ex:p "x" .\n}\n',
        safe=True,
        oxigraph_safe=True,
    ),
    Hostile(
        "gbk-bytes",
        ".ttl",
        (P + 'ex:s ex:p "广州市" .\n').encode("gbk"),
        ("not valid UTF-8",),
        3,
    ),
    Hostile(
        "gbk-bytes",
        ".trig",
        (P + G + ' {\n  ex:s ex:p "广州市" .\n}\n').encode("gbk"),
        ("not valid UTF-8",),
        4,
    ),
    Hostile(
        "truncated",
        ".trig",
        P + G + ' {\n  ex:s ex:p "x" .\n  ex:t ex:p "y',
        ("line 5, column 13: Unexpected end of file",),
        5,
    ),
    Hostile(
        "undeclared-prefix", ".ttl", "foo:s foo:p foo:o .\n", ("foo: has not been declared",), 1
    ),
    Hostile(
        "control-characters-in-labels",
        ".trig",
        P + G + ' {\n  ex:s ex:label "' + CONTROL + '" .\n}\n',
        safe=True,
        oxigraph_safe=True,
    ),
    Hostile("empty", ".ttl", "", safe=True, oxigraph_safe=True),
    Hostile(
        "jsonld-remote-context",
        ".jsonld",
        '{"@context": "https://example.org/context.jsonld", "@id": "http://example.org/s"}',
        ("'https://example.org/context.jsonld' is a reference to another document",),
        1,
    ),
    Hostile(
        "jsonld-file-context",
        ".jsonld",
        '{"@context": "file:///etc/passwd", "@id": "http://example.org/s"}',
        ("'file:///etc/passwd' is a reference to another document",),
        1,
    ),
    Hostile(
        "jsonld-relative-context",
        ".jsonld",
        '{"@context": ["context.jsonld", {"p": "http://example.org/p"}],\n'
        ' "@id": "http://example.org/s", "p": "x"}',
        ("'context.jsonld' is a reference to another document",),
        1,
    ),
    Hostile(
        "jsonld-import",
        ".jsonld",
        '{"@context": {"@version": 1.1,\n  "@import": "https://example.org/c.jsonld"},\n'
        ' "@id": "http://example.org/s"}',
        ("@import 'https://example.org/c.jsonld' is refused",),
        2,
    ),
    Hostile(
        "jsonld-scoped-remote-context",
        ".jsonld",
        '{"@context": {"t": {"@id": "http://example.org/t",\n'
        '  "@context": "http://example.org/scoped"}},\n'
        ' "@id": "http://example.org/s", "t": {"@id": "http://example.org/o"}}',
        ("'http://example.org/scoped' is a reference to another document",),
        2,
    ),
    Hostile(
        "jsonld-relative-id",
        ".jsonld",
        '{"@id": "notes.txt", "http://example.org/p": "x"}',
        ("relative IRI 'notes.txt'",),
    ),
    Hostile(
        "jsonld-nested-3000",
        ".jsonld",
        '{"@context": {"p": "http://example.org/p"}, "@id": "http://example.org/s", "p": '
        + "[" * 3000
        + "1"
        + "]" * 3000
        + "}",
        ("nested too deeply",),
    ),
    Hostile(
        "jsonld-broken",
        ".jsonld",
        '{"@id": "http://example.org/s",\n "http://example.org/p": }',
        ("line 2, column",),
        2,
    ),
    Hostile(
        "rdfxml-billion-laughs",
        ".rdf",
        rdfxml("&j;", LAUGHS),
        ("<!DOCTYPE declarations are refused",),
        2,
    ),
    Hostile(
        "rdfxml-xxe-file",
        ".rdf",
        rdfxml("&x;", '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'),
        ("<!DOCTYPE declarations are refused",),
        2,
    ),
    Hostile(
        "rdfxml-xxe-http",
        ".rdf",
        rdfxml("&x;", '<!DOCTYPE r [<!ENTITY x SYSTEM "http://example.org/x">]>\n'),
        ("<!DOCTYPE declarations are refused",),
        2,
    ),
    Hostile(
        "rdfxml-external-dtd",
        ".rdf",
        rdfxml("x", '<!DOCTYPE rdf:RDF SYSTEM "http://example.org/rdf.dtd">\n'),
        ("<!DOCTYPE declarations are refused",),
        2,
    ),
    Hostile("rdfxml-relative-about", ".rdf", rdfxml(about="notes.txt"), ("relative IRI",)),
    Hostile(
        "rdfxml-unclosed",
        ".rdf",
        rdfxml().replace("</rdf:RDF>\n", ""),
        ("cannot parse xml",),
    ),
    Hostile("unknown-type", ".txt", "<a> <b> <c> .", ("unknown RDF file type '.txt'",)),
]
GOOD = P + G + ' {\n  ex:s ex:p "x" .\n}\n'
QUERY = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
OXIGRAPH_SUFFIXES = (".ttl", ".trig", ".nq", ".nt")
LOAD_SUFFIXES = (".trig", ".nq")
ENTRIES = {
    "query": lambda f, tmp: run("query", "--graph", f, QUERY),
    "query-oxigraph": lambda f, tmp: run("query", "--store", "oxigraph", "--graph", f, QUERY),
    "diff": lambda f, tmp: run("diff", "--summary", tmp / "good.trig", f),
    "load": lambda f, tmp: run("load", "--store", f"oxigraph:{tmp / 'store'}", "--graph", f),
}


def _cases():
    for item in INPUTS:
        for entry in ENTRIES:
            if entry == "query-oxigraph" and item.suffix not in OXIGRAPH_SUFFIXES:
                continue
            if entry == "load" and item.suffix not in LOAD_SUFFIXES:
                continue
            yield pytest.param(item, entry, id=f"{item.name}{item.suffix}-{entry}")


def _store_rows(tmp: Path) -> str:
    """The store's rows; the query must answer (a query child that waited for a lock the
    parent's RocksDB thread held at the fork once timed out here unnoticed)."""
    gc.collect()  # closes any store left in a reference cycle (RocksDB: one handle a process)
    out = accepted(run("query", "--store", f"oxigraph:{tmp / 'store'}", QUERY, "--format", "csv"))
    gc.collect()
    return out


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "good.trig").write_text(GOOD, encoding="utf-8")
    accepted(
        run("load", "--store", f"oxigraph:{tmp_path / 'store'}", "--graph", tmp_path / "good.trig")
    )
    return tmp_path


@pytest.mark.parametrize("item, entry", list(_cases()))
def test_hostile_rdf_file(workdir: Path, item: Hostile, entry: str):
    path = item.write(_mkdir(workdir / "in"))
    store_before = _store_rows(workdir) if entry == "load" else None
    gc.collect()
    started = time.perf_counter()
    result = ENTRIES[entry](path, workdir)
    elapsed = time.perf_counter() - started
    strict = entry in ("query", "diff")
    safe = item.safe if strict else item.oxigraph_safe
    if safe:
        if entry == "diff":  # exit 1 means "the graphs differ", as for diff(1)
            assert "error:" not in result.output and "added" in result.output, result.output
            assert result.exception is None or isinstance(result.exception, SystemExit)
        else:
            accepted(result)
    else:
        output = refused(result, path.name)
        if strict:
            for word in item.words:
                assert word in output, f"{word!r} not in:\n{output}"
            if item.line:
                assert f"{path.name}:{item.line}:" in output, output
        elif item.line:
            assert f"line {item.line}" in output, output
    if entry == "load":
        del result  # it holds the failed load's frames, and with them the store's lock
        gc.collect()
        after = _store_rows(workdir)
        if not safe:
            assert after == store_before, "a refused load changed the store"
    assert elapsed < 20, f"took {elapsed:.1f} s"


def _mkdir(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    return folder


def test_control_characters_come_back_exactly(tmp_path: Path):
    """NUL, U+000C, U+FFFE, U+200B, U+202E in a label are data: returned unchanged."""
    path = tmp_path / "labels.trig"
    path.write_text(P + G + ' {\n  ex:s ex:label "' + CONTROL + '" .\n}\n', encoding="utf-8")
    expected = "nul\x00 ff\x0c fffe\ufffe zwsp\u200b rlo\u202e"
    for store in ("memory", "oxigraph"):
        out = accepted(
            run(
                "query",
                "--store",
                store,
                "--graph",
                path,
                "SELECT ?o { ?s ?p ?o }",
                "--format",
                "json",
            )
        )
        (row,) = json.loads(out)["results"]["bindings"]
        assert row["o"]["value"] == expected, store


def test_ill_typed_literal_on_oxigraph_is_a_type_error_not_a_wrong_answer(tmp_path: Path):
    """Oxigraph keeps "abc"^^xsd:integer verbatim; comparing it is an error, so no row."""
    path = tmp_path / "ill.ttl"
    path.write_text(P + 'ex:s ex:n "abc"^^xsd:integer, 5 .\n', encoding="utf-8")
    graph = ("--store", "oxigraph", "--graph", path)
    where = "{ ?s <http://example.org/n> ?n"
    out = accepted(run("query", *graph, f"SELECT ?n {where} FILTER(?n > 3) }}", "--format", "csv"))
    assert out.split() == ["n", "5"]
    out = accepted(run("query", *graph, f"SELECT ?n {where} }}", "--format", "csv"))
    assert sorted(out.split()) == ["5", "abc", "n"]
    # rdflib (the default store) would answer "abc" > 3 as true: the strict gate refuses it
    refused(run("query", "--graph", path, f"SELECT ?n {where} }}"), "ill-typed literal")


def test_billion_laughs_is_refused_before_any_expansion(tmp_path: Path):
    """Oxigraph and rdflib would both expand it (10^10 characters); the gate reads 1 line."""
    path = Hostile("laughs", ".rdf", rdfxml("&j;", LAUGHS)).write(tmp_path)
    started = time.perf_counter()
    refused(run("query", "--graph", path, QUERY), "<!DOCTYPE declarations are refused")
    assert time.perf_counter() - started < 2.0


def test_every_export_of_the_seed_passes_the_strict_gate(seed_trig: Path, tmp_path: Path):
    """What kg writes, kg reads back: the gate refuses nothing of a real build."""
    count = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"
    expected = accepted(run("query", "--graph", seed_trig, count, "--format", "csv")).split()[-1]
    for fmt in ("ttl", "nt", "nq", "trig", "jsonld", "xml"):
        out = tmp_path / f"kg.{fmt}"
        if fmt == "xml":
            out = tmp_path / "kg.rdf"
        accepted(run("export", "--graph", seed_trig, "--format", fmt, "--out", out))
        result = run("query", "--graph", out, count, "--format", "csv")
        assert accepted(result).split()[-1] == expected, fmt


def test_an_oxigraph_folder_is_released_after_a_query(tmp_path: Path):
    """Regression: once pyparsing's packrat cache is on (matplotlib's mathtext turns it on
    for the whole process, e.g. after `kg figures`), it kept the tracebacks of a parse, the
    caller's frames, the graph and its store: the folder stayed locked ("lock hold by
    current process") until the cache entry was evicted. kg.store.sparql.prepare now clears it.
    """
    from pyparsing import ParserElement

    ParserElement.enable_packrat()
    (tmp_path / "good.trig").write_text(GOOD, encoding="utf-8")
    store = f"oxigraph:{tmp_path / 'store'}"
    accepted(run("load", "--store", store, "--graph", tmp_path / "good.trig"))
    for _ in range(3):
        gc.collect()  # CliRunner keeps each run's traceback in a reference cycle
        out = accepted(run("query", "--store", store, QUERY, "--format", "csv"))
        assert "http://example.org/s" in out
    gc.collect()
    accepted(run("load", "--store", store, "--graph", tmp_path / "good.trig"))


def test_readers_share_an_oxigraph_folder_and_a_load_waits_for_them(tmp_path: Path):
    """Querying opens a folder read-only, so two readers can hold it at once (`kg serve`
    and `kg query` on one store), and no reader runs a RocksDB flush or compaction that
    could hold a lock while a query child is forked. A load meanwhile would delete
    files the readers still use: it is refused with a message, and proceeds after."""
    from kg.store.open import open_store

    (tmp_path / "good.trig").write_text(GOOD, encoding="utf-8")
    (tmp_path / "more.trig").write_text(GOOD.replace(G, "<http://example.org/h>"), encoding="utf-8")
    folder = tmp_path / "store"
    spec = f"oxigraph:{folder}"
    accepted(run("load", "--store", spec, "--graph", tmp_path / "good.trig"))
    first, second = open_store(spec), open_store(spec)
    assert first.graph_names() == second.graph_names() == ["http://example.org/g"]
    refused(run("load", "--store", spec, "--graph", tmp_path / "more.trig"), "open in another")
    del first, second
    gc.collect()
    accepted(run("load", "--store", spec, "--graph", tmp_path / "more.trig"))
    gc.collect()
    assert open_store(spec).graph_names() == ["http://example.org/g", "http://example.org/h"]
