"""The strict gate of kg.core.rdfio: Oxigraph parses first and the error names the position.

rdflib tolerates a literal as subject, a blank node as predicate, an IRI with a space and
relative IRIs (resolved against the file's own path); the gate refuses them with the
line and column, refuses RDF/XML DTDs and JSON-LD contexts by reference before any
parser runs, and refuses ill-typed literals. Valid input reads as before.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from kg.core.errors import KgError
from kg.core.rdfio import _well_typed, check_rdf, parse_dataset, parse_turtle

P = "@prefix ex: <http://example.org/> .\n"
XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.mark.parametrize(
    "suffix, text, line, column, words",
    [
        (".ttl", P + '\n"lit" ex:p ex:o .\n', 3, 1, "not a valid subject"),
        (".ttl", P + "ex:s _:b ex:o .\n", 2, 6, "not a valid predicate"),
        (".ttl", P + "<http://example.org/a b> ex:p ex:o .\n", 2, 1, "Invalid IRI code point"),
        (".ttl", P + "ex:s ex:p <o> .\n", 2, 11, "relative IRI with no @base"),
        (".ttl", P + "ex:s ex:p ex:o\nex:t ex:p ex:o .\n", 3, 1, "A dot is expected"),
        (".trig", P + "<http://example.org/g> {\n ex:s ex:p <o> .\n}\n", 3, 12, "relative"),
        (".nt", '<http://e/s> <http://e/p> "x" \n', 2, 1, "followed by a dot"),
        (".nq", '<http://e/s> <http://e/p> "x" "g" .\n', 1, 31, "must be an IRI"),
        (".jsonld", '{"@id": "http://e/s",\n  "http://e/p": }', 2, 17, "line 2, column 17"),
    ],
)
def test_the_error_names_line_and_column(tmp_path: Path, suffix, text, line, column, words):
    path = tmp_path / f"bad{suffix}"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KgError) as info:
        parse_dataset(path)
    (problem,) = info.value.problems
    assert problem.file == str(path)
    assert problem.line == line, problem
    assert words in problem.message, problem
    if suffix != ".jsonld":
        assert f"line {line}, column {column}:" in problem.message, problem


def test_rdflib_alone_would_have_accepted_them(tmp_path: Path):
    """Why the gate exists: every one of these parses in rdflib without a word."""
    for text in (
        P + '"lit" ex:p ex:o .\n',
        P + "ex:s _:b ex:o .\n",
        P + "<http://example.org/a b> ex:p ex:o .\n",
        P + "<notes.txt> ex:p ex:o .\n",
    ):
        graph = Graph().parse(data=text, format="turtle", publicID="file:///home/me/x.ttl")
        assert len(graph) == 1
        path = tmp_path / "x.ttl"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(KgError):
            parse_turtle(path)


def test_a_declared_base_makes_relative_iris_fine(tmp_path: Path):
    path = tmp_path / "based.ttl"
    path.write_text("@base <http://example.org/> .\n<s> <p> <o> .\n", encoding="utf-8")
    graph = parse_turtle(path)
    assert (URIRef("http://example.org/s"), URIRef("http://example.org/p"), None) in graph
    doc = '{"@context": {"@base": "http://example.org/"}, "@id": "s", "http://e/p": "x"}'
    path = tmp_path / "based.jsonld"
    path.write_text(doc, encoding="utf-8")
    assert {str(s) for s in parse_dataset(path).subjects()} == {"http://example.org/s"}


@pytest.mark.parametrize(
    "doc",
    [
        '{"@context": {"@vocab": "terms/"}, "@id": "http://e/s", "p": "x"}',
        '{"@id": "s", "http://e/p": "x"}',
        '{"@id": "http://e/s", "@type": "Thing"}',
    ],
)
def test_jsonld_relative_terms_are_refused(tmp_path: Path, doc: str):
    path = tmp_path / "rel.jsonld"
    path.write_text(doc, encoding="utf-8")
    with pytest.raises(KgError, match="relative IRI"):
        parse_dataset(path)


@pytest.mark.parametrize(
    "doctype",
    [
        "<!DOCTYPE r>",
        "<!doctype r>",
        '<! DOCTYPE r SYSTEM "http://example.org/r.dtd">',
        '<!ENTITY x "y">',
    ],
)
def test_rdfxml_dtds_are_refused_unread(tmp_path: Path, doctype: str):
    path = tmp_path / "x.rdf"
    path.write_text(
        f'<?xml version="1.0"?>\n\n{doctype}\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>\n',
        encoding="utf-8",
    )
    with pytest.raises(KgError) as info:
        parse_dataset(path)
    assert info.value.problems[0].line == 3
    assert "declarations are refused" in info.value.problems[0].message


def test_a_bom_is_ignored_everywhere(tmp_path: Path):
    plain = tmp_path / "plain.ttl"
    plain.write_text(P + 'ex:s ex:p "x" .\n', encoding="utf-8")
    bom = tmp_path / "bom.ttl"
    bom.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    assert isomorphic(parse_turtle(bom), parse_turtle(plain))
    for suffix in (".trig", ".nq", ".jsonld"):
        good = {
            ".trig": P + '<http://e/g> { ex:s ex:p "x" . }\n',
            ".nq": '<http://e/s> <http://e/p> "x" <http://e/g> .\n',
            ".jsonld": '{"@id": "http://e/s", "http://e/p": "x"}',
        }[suffix]
        path = tmp_path / f"bom{suffix}"
        path.write_bytes(b"\xef\xbb\xbf" + good.encode())
        assert len(parse_dataset(path)) >= 0


@pytest.mark.parametrize(
    "datatype, good, bad",
    [
        ("integer", ["0", "-12", "+7", "007"], ["abc", "1.0", "１２", " 1", "1_000", ""]),
        ("nonNegativeInteger", ["0", "5"], ["-1"]),
        ("positiveInteger", ["1"], ["0"]),
        ("byte", ["127", "-128"], ["128"]),
        ("decimal", ["1.5", "-.5", "1.", "3"], ["1e3", "NaN", "1,5"]),
        ("double", ["1.5E0", "INF", "-INF", "NaN", ".5e-3"], ["inf", "1.5D0", "e3"]),
        ("boolean", ["true", "false", "1", "0"], ["True", "yes", "NO"]),
        (
            "date",
            ["2020-12-31", "2024-02-29", "2020-12-31Z", "2020-12-31+08:00"],
            [
                "2023-02-30",
                "2023-02-29",
                "20201231",
                "2020-W01-1",
                "2020-13-01",
                "２０２０-１２-３１",
            ],
        ),
        (
            "dateTime",
            ["2020-12-31T23:59:59", "2020-12-31T24:00:00Z"],
            [
                "2020-12-31",
                "2020-12-31T25:00:00",
                "2020-02-30T00:00:00",
            ],
        ),
        ("gYear", ["2020", "-0044", "12345"], ["20", "2020-01", "２０２０"]),
        ("gYearMonth", ["2020-01"], ["2020-13", "2020"]),
        ("string", ["anything", ""], []),
    ],
)
def test_lexical_forms(datatype: str, good: list[str], bad: list[str]):
    for value in good:
        assert _well_typed(XSD + datatype, value), (datatype, value)
    for value in bad:
        assert not _well_typed(XSD + datatype, value), (datatype, value)


def test_the_gate_reads_every_file_of_the_project():
    from ..conftest import ROOT

    for path in sorted((ROOT / "data").rglob("*.ttl")) + sorted((ROOT / "ontology").glob("*.ttl")):
        check_rdf(path, path.read_text(encoding="utf-8"), "turtle")
