"""Counts of what the graph holds: triples, graphs, and instances per class."""

from __future__ import annotations

from rdflib import Dataset, URIRef

from kg.core.namespaces import RKG, sparql_prologue

_CLASS_COUNTS = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class }
GROUP BY ?class ORDER BY DESC(?n) ?class
"""


def graph_stats(dataset: Dataset) -> dict:
    """Triples (union and per named graph) and instance counts per class."""
    union_triples = set()
    graphs = {}
    for context in sorted(dataset.graphs(), key=lambda g: str(g.identifier)):
        if len(context):
            graphs[str(context.identifier)] = len(context)
            union_triples.update(context)
    classes: dict[str, int] = {}
    for context in dataset.graphs():
        for cls, n in context.query(sparql_prologue() + _CLASS_COUNTS):
            name = dataset.namespace_manager.normalizeUri(cls) if isinstance(cls, URIRef) else cls
            classes[name] = classes.get(name, 0) + int(n)
    key = dataset.namespace_manager.normalizeUri
    return {
        "triples": len(union_triples),
        "graphs": graphs,
        "cases": classes.get(key(RKG.InnovationCase), 0),
        "mechanisms": classes.get(key(RKG.Mechanism), 0),
        "evidence": classes.get(key(RKG.Evidence), 0),
        "classes": dict(sorted(classes.items(), key=lambda kv: (-kv[1], kv[0]))),
    }
