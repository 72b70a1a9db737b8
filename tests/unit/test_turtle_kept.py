"""`parse_turtle` keeps what a text parses to: a second read is the same graph, a copy."""

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

from kg.core.errors import KgError
from kg.core.rdfio import new_graph, parse_turtle

TEXT = """@prefix ex: <http://example.org/ns#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
ex:a skos:prefLabel "甲"@zh ; ex:link [ ex:b ex:c ] .
"""


def test_a_text_read_again_gives_the_same_graph_with_its_prefixes(tmp_path: Path):
    one, two = tmp_path / "one.ttl", tmp_path / "two.ttl"
    one.write_text(TEXT, encoding="utf-8")
    two.write_text(TEXT, encoding="utf-8")
    first = parse_turtle(one)
    second = parse_turtle(two, into=new_graph())
    assert set(first) == set(second) and len(second) == 3
    assert ("ex", URIRef("http://example.org/ns#")) in set(second.namespaces())
    second.add((URIRef("http://example.org/ns#z"), URIRef("http://example.org/ns#p"), Literal(1)))
    third = parse_turtle(one, into=Graph())
    assert len(third) == 3  # the change to a copy stays in that copy


def test_a_bad_text_is_refused_each_time_with_its_own_file(tmp_path: Path):
    for name in ("one.ttl", "two.ttl"):
        path = tmp_path / name
        path.write_text(TEXT.replace(" .\n", " \n", 1), encoding="utf-8")
        with pytest.raises(KgError) as caught:
            parse_turtle(path)
        assert name in str(caught.value)
