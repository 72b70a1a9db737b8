"""`parse_turtle` keeps what a text parses to: a second read is what a parse gives."""

from pathlib import Path

import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from kg.core.errors import KgError
from kg.core.rdfio import new_graph, parse_turtle

from ..conftest import ROOT

TEXT = """@prefix ex: <http://example.org/ns#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
ex:a skos:prefLabel "甲"@zh ; ex:link [ ex:b ex:c ] .
"""


def _in_order(graph: Graph) -> list:
    """The triples in the graph's own order, blank nodes named by first appearance."""
    names: dict = {}

    def name(term):
        return names.setdefault(term, f"_:{len(names)}") if isinstance(term, BNode) else term

    return [tuple(map(name, triple)) for triple in graph]


def test_a_text_read_again_is_what_rdflib_parses_in_the_same_order(tmp_path: Path):
    vocab = ROOT / "data" / "vocab" / "mechanisms.ttl"
    direct = Graph().parse(vocab, format="turtle")
    parse_turtle(vocab)
    parse_turtle(vocab)  # read twice: kept now, if not before
    copy = tmp_path / "elsewhere.ttl"
    copy.write_bytes(vocab.read_bytes())
    again = parse_turtle(copy)
    assert isomorphic(again, direct) and _in_order(again) == _in_order(direct)
    assert set(direct.namespaces()) <= set(again.namespaces())


def test_each_read_has_blank_nodes_of_its_own_and_a_copy_to_change(tmp_path: Path):
    one, two = tmp_path / "one.ttl", tmp_path / "two.ttl"
    one.write_text(TEXT, encoding="utf-8")
    two.write_text(TEXT, encoding="utf-8")
    first = parse_turtle(one)
    second = parse_turtle(two, into=new_graph())
    assert isomorphic(first, second) and len(second) == 3
    assert ("ex", URIRef("http://example.org/ns#")) in set(second.namespaces())
    both = parse_turtle(one, into=parse_turtle(two))  # as two files of one vocabulary
    assert len(both) == 5  # the label once, the blank node's two triples twice
    second.add((URIRef("http://example.org/ns#z"), URIRef("http://example.org/ns#p"), Literal(1)))
    assert len(parse_turtle(one, into=Graph())) == 3  # the change stays in that copy


def test_into_a_dataset_the_triples_land_in_its_default_graph(tmp_path: Path):
    path = tmp_path / "one.ttl"
    path.write_text(TEXT, encoding="utf-8")
    parse_turtle(path)
    dataset = parse_turtle(path, into=Dataset())
    assert len(dataset.default_graph) == 3


def test_a_bad_text_is_refused_each_time_with_its_own_file(tmp_path: Path):
    for name in ("one.ttl", "two.ttl"):
        path = tmp_path / name
        path.write_text(TEXT.replace(" .\n", " \n", 1), encoding="utf-8")
        with pytest.raises(KgError) as caught:
            parse_turtle(path)
        assert name in str(caught.value)
