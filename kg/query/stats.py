"""Counts of what the graph holds: triples, graphs, and instances per class."""

from __future__ import annotations

from kg.core.namespaces import RKG, compact_iri
from kg.query.graph import QueryGraph

_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
_GRAPHS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
_CLASSES = """
SELECT ?g ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s a ?class } }
GROUP BY ?g ?class
"""


def graph_stats(graph: QueryGraph) -> dict:
    """Triples (union and per named graph) and instance counts per class.

    A class's count adds up its instances graph by graph, as the build writes each
    instance in one graph.
    """
    triples = int(graph.query(_TRIPLES).rows[0][0])  # type: ignore[union-attr]
    graphs = {str(g): int(n) for g, n in graph.query(_GRAPHS).rows if int(n)}  # type: ignore
    classes: dict[str, int] = {}
    for _, cls, n in graph.query(_CLASSES).rows:  # type: ignore[union-attr]
        name = compact_iri(str(cls))
        classes[name] = classes.get(name, 0) + int(n)
    return {
        "triples": triples,
        "graphs": dict(sorted(graphs.items())),
        "cases": classes.get(compact_iri(str(RKG.InnovationCase)), 0),
        "mechanisms": classes.get(compact_iri(str(RKG.Mechanism)), 0),
        "evidence": classes.get(compact_iri(str(RKG.Evidence)), 0),
        "classes": dict(sorted(classes.items(), key=lambda kv: (-kv[1], kv[0]))),
    }
