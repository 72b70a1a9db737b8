"""The SKOS vocabularies (`data/vocab/*.ttl`): mechanisms, actors, categories, ..."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, SKOS

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


def replacements(graph: Graph, namespace: str) -> dict[str, str]:
    """Deprecated concepts of `namespace` (owl:deprecated) -> the slug that replaces them."""
    out = {}
    for concept in graph.subjects(OWL.deprecated, Literal(True)):
        if isinstance(concept, URIRef) and str(concept).startswith(namespace):
            new = next(iter(graph.objects(concept, DCTERMS.isReplacedBy)), None)
            out[str(concept)[len(namespace) :]] = str(new).removeprefix(namespace) if new else ""
    return out


def vocabulary_ids(graph: Graph) -> dict[str, frozenset[str]]:
    """The live concept ids of each scheme (deprecated concepts are not among them)."""
    replaced = replacements(graph, str(MECH))
    return {
        "mechanisms": concept_ids(graph, str(MECH)) - frozenset(replaced),
        "actors": concept_ids(graph, str(ACTOR)),
        "categories": concept_ids(graph, str(CAT)),
        "platform_types": concept_ids(graph, str(PTYPE)),
        "regions": concept_ids(graph, str(REGION)),
    }
