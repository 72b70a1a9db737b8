"""Broken RDF/XML and tracebacks (issue #21, items 3 and 4).

Before: a datatype IRI holding `&` (valid Turtle in a vocabulary file) was written
unescaped by rdflib's RDF/XML serialiser, so `kg export --format xml` shipped a file
that was not well-formed; SPARQL XML results escaped datatype IRIs twice (`&amp;amp;`);
`--timeout nan|inf|1e308` ended in a traceback or in a server that answered 500 to
everything; an invalid IRI made with `IRI()` crashed `--format ttl|nt|tsv`; an id with a
trailing newline crashed `kg build` or named files with a newline in them.
Now RDF/XML is written by pyoxigraph (and parsed back before it is published), and each
of those inputs is refused with a message that names it.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
import rdflib
import rdflib.compare
from rdflib.plugins.sparql.results.xmlresults import XMLResultParser

from .conftest import Built, accepted, no_traceback, refused, run, snapshot

AMP = "http://example.org/type?a=1&b=<2>"
AMP_TURTLE = "http://example.org/type?a=1&b=%3C2%3E"


def test_a_datatype_with_an_ampersand_gives_well_formed_rdfxml(built: Built, tmp_path):
    vocab = built.root / "data" / "vocab" / "categories.ttl"
    vocab.write_text(
        vocab.read_text(encoding="utf-8")
        + f'\n<http://example.org/thing> <http://example.org/p> "v"^^<{AMP_TURTLE}> .\n',
        encoding="utf-8",
    )
    accepted(run("build", "--root", built.root, "--out", built.build))
    out = tmp_path / "kg.rdf"
    accepted(run("export", "--graph", built.trig, "--format", "xml", "--out", out))
    ET.parse(out)  # well-formed
    back = rdflib.Graph().parse(out, format="xml")
    literal = back.value(
        rdflib.URIRef("http://example.org/thing"), rdflib.URIRef("http://example.org/p")
    )
    assert literal is not None and str(literal.datatype) == AMP_TURTLE
    ttl = tmp_path / "kg.ttl"
    accepted(run("export", "--graph", built.trig, "--format", "ttl", "--out", ttl))
    assert rdflib.compare.isomorphic(back, rdflib.Graph().parse(ttl, format="turtle"))


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_sparql_xml_results_round_trip_a_datatype_with_markup(seed_trig, store):
    query = f'SELECT ?v WHERE {{ BIND(STRDT("x<y>&amp;", IRI("{AMP_TURTLE}&c=d")) AS ?v) }}'
    out = accepted(run("query", "--graph", seed_trig, "--store", store, "--format", "xml", query))
    ET.fromstring(out.encode())  # no injected element, well-formed
    rows = list(XMLResultParser().parse(io.BytesIO(out.encode())))
    assert [(str(r["v"]), str(r["v"].datatype)) for r in rows] == [
        ("x<y>&amp;", AMP_TURTLE + "&c=d")
    ]
    assert "&amp;amp;c=d" not in out  # the datatype escaped once (the value's &amp; is text)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e308", "-1"])
def test_query_timeout_must_be_a_finite_number(seed_trig, value):
    out = refused(run("query", "--graph", seed_trig, "--timeout", value, "ASK { ?s ?p ?o }"))
    assert "timeout" in out.lower()


@pytest.mark.parametrize("value", ["nan", "inf", "1e308"])
def test_serve_timeout_must_be_a_finite_number(seed_trig, value):
    out = refused(run("serve", "--graph", seed_trig, "--port", "0", "--timeout", value))
    assert "timeout" in out.lower()


@pytest.mark.parametrize("fmt", ["ttl", "nt", "tsv", "csv", "json", "xml", "table"])
@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_an_invalid_iri_made_by_iri_is_never_a_traceback(seed_trig, fmt, store):
    kind = "CONSTRUCT { ?v ?v ?v }" if fmt in ("ttl", "nt") else "SELECT ?v"
    query = f'{kind} WHERE {{ BIND(IRI("http://e/a b>c{{}}") AS ?v) }}'
    result = run("query", "--graph", seed_trig, "--store", store, "--format", fmt, query)
    no_traceback(result)
    if result.exit_code == 0 and fmt in ("ttl", "nt"):
        rdflib.Graph().parse(data=result.output, format={"ttl": "turtle", "nt": "nt"}[fmt])


def test_an_id_with_a_trailing_newline_is_refused_by_the_build(built: Built):
    built.edit(
        "data/places/places.yaml",
        "region: pearl-river-delta",
        'region: "pearl-river-delta\\n"',
    )
    kept = snapshot(built.build)
    refused(run("build", "--root", built.root, "--out", built.build), "places.yaml", "region")
    assert snapshot(built.build) == kept


def test_a_source_id_with_a_newline_writes_nothing(built: Built, tmp_path):
    notice = tmp_path / "notice.txt"
    notice.write_text(
        "广东省人大常委会办公厅关于第四届全省县乡人大工作创新案例的通报\n"
        "经研究,确定广州市越秀区人大常委会“代表联络站建设”等1个项目为创新案例。\n",
        encoding="utf-8",
    )
    kept = snapshot(built.root / "data")
    refused(run("ingest", notice, "--root", built.root, "--source-id", "gd-x-2021\n"), "source")
    assert snapshot(built.root / "data") == kept
    assert not any("\n" in p.name for p in (built.root / "data").rglob("*"))
