"""The SKOS vocabularies (`data/vocab/*.ttl`): mechanisms, actors, categories, ..."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS

from kg.core.namespaces import ACTOR, CAT, MECH, PTYPE, REGION
from kg.core.rdfio import new_graph, parse_turtle


def load_vocabulary(folder: Path) -> Graph:
    """All vocabulary files in `folder`, merged into one graph."""
    graph = new_graph()
    for path in sorted(folder.glob("*.ttl")):
        parse_turtle(path, into=graph)
    return graph


def concept_ids(graph: Graph, namespace: str) -> frozenset[str]:
    """Slugs of the skos:Concepts whose IRI lies in `namespace`."""
    return frozenset(
        str(c)[len(namespace) :]
        for c in graph.subjects(RDF.type, SKOS.Concept)
        if isinstance(c, URIRef) and str(c).startswith(namespace)
    )


def vocabulary_ids(graph: Graph) -> dict[str, frozenset[str]]:
    return {
        "mechanisms": concept_ids(graph, str(MECH)),
        "actors": concept_ids(graph, str(ACTOR)),
        "categories": concept_ids(graph, str(CAT)),
        "platform_types": concept_ids(graph, str(PTYPE)),
        "regions": concept_ids(graph, str(REGION)),
    }
