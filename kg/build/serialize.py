"""Deterministic RDF serialisations of a dataset: same triples, same bytes.

rdflib sorts subjects in Turtle but writes named graphs, N-Triples lines and JSON-LD
nodes in hash order; every writer here imposes a sorted order instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph

from kg.core.errors import KgError, Problem
from kg.core.formats import XML_ILLEGAL
from kg.core.namespaces import PREFIXES, bind_prefixes


def union(dataset: Dataset) -> Graph:
    """All named graphs merged into one graph with the project prefixes bound."""
    graph = Graph()
    bind_prefixes(graph.namespace_manager)
    for context in dataset.graphs():
        for triple in context:
            graph.add(triple)
    return graph


def named_graphs(dataset: Dataset) -> list[Graph]:
    return sorted((g for g in dataset.graphs() if len(g)), key=lambda g: str(g.identifier))


def _key(term) -> str:
    return term.n3()


class SortedGraph(Graph):
    """A graph whose subject and predicate-object iteration is sorted.

    rdflib's RDF/XML and JSON-LD writers walk `subjects()` and `predicate_objects()`,
    which follow hash order; sorting them makes those writers deterministic.
    """

    def subjects(self, predicate=None, object=None, unique=False):  # noqa: A002
        return iter(sorted(set(super().subjects(predicate, object)), key=_key))

    def predicate_objects(self, subject=None, unique=False):
        return iter(
            sorted(
                super().predicate_objects(subject),
                key=lambda po: (_key(po[0]), _falsy(po[1]), _key(po[1])),
            )
        )


def _falsy(term) -> bool:
    """Whether rdflib's JSON-LD writer compacts `term` to a false JSON value ("", 0, false).

    Its writer (rdflib 7.6, JsonLDSerializer.add_to_node) tests the value already stored
    for a property with `if value:`, so a falsy first value is overwritten by the next
    one and lost. Sorted after the other values of the property, it is appended instead.
    """
    return isinstance(term, Literal) and term.language is None and not term.toPython()


def stable(graph: Graph) -> Graph:
    """A `SortedGraph` copy whose blank nodes are named by content, not at random.

    Blank nodes (the OWL lists of the ontology) get canonical labels, so N-Triples,
    N-Quads, RDF/XML and JSON-LD come out the same from the same triples.
    """
    if any(isinstance(t, BNode) for triple in graph for t in triple):
        graph = to_canonical_graph(graph)
    out = SortedGraph()
    bind_prefixes(out.namespace_manager)
    for triple in graph:
        out.add(triple)
    return out


def _ox_term(term, cache: dict):
    """The pyoxigraph term for an rdflib term (memoised: IRIs and labels repeat a lot)."""
    import pyoxigraph as ox

    found = cache.get(term)
    if found is None:
        if isinstance(term, URIRef):
            found = ox.NamedNode(str(term))
        elif isinstance(term, BNode):
            found = ox.BlankNode(str(term))
        elif term.language:
            found = ox.Literal(str(term), language=term.language)
        elif term.datatype is not None:
            found = ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        else:
            found = ox.Literal(str(term))
        cache[term] = found
    return found


def _sort_key(quad) -> tuple[str, str, str, str]:
    return (str(quad.graph_name), str(quad.subject), str(quad.predicate), str(quad.object))


@dataclass(frozen=True)
class Quads:
    """A dataset as sorted pyoxigraph quads, with the project prefixes its IRIs use."""

    items: list
    prefixes: dict[str, str]


def sorted_quads(dataset: Dataset) -> Quads:
    """Every quad of the named graphs as pyoxigraph quads, sorted, blank nodes canonical.

    Turtle, TriG, N-Triples and N-Quads are written by pyoxigraph from this list: rdflib's
    Turtle writer needs ~20 s for 100k triples, this path well under one. Blank nodes (the
    OWL lists of the ontology) get RDFC-1.0 labels, so the same triples give the same bytes.
    """
    import pyoxigraph as ox

    cache: dict = {}
    quads, with_bnodes = [], []
    for graph in named_graphs(dataset):
        name = _ox_term(graph.identifier, cache)
        target = quads
        if any(isinstance(t, BNode) for t in graph.all_nodes()):
            target = with_bnodes
        target.extend(
            ox.Quad(_ox_term(s, cache), _ox_term(p, cache), _ox_term(o, cache), name)
            for s, p, o in graph
        )
    if with_bnodes:  # one dataset: blank-node labels are shared by a whole TriG document
        canonical = ox.Dataset(with_bnodes)
        canonical.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        quads.extend(canonical)
    quads.sort(key=_sort_key)
    # the cache holds each distinct term once: the IRIs (and datatypes) in use
    iris = {str(t) for t in cache if isinstance(t, URIRef)}
    iris |= {str(t.datatype) for t in cache if isinstance(t, Literal) and t.datatype is not None}
    return Quads(quads, _used_prefixes(iris))


def _used_prefixes(iris: set[str]) -> dict[str, str]:
    """The project prefixes that some IRI starts with (Turtle headers stay short)."""
    return {
        prefix: ns
        for prefix, ns in sorted(PREFIXES.items())
        if any(iri.startswith(ns) for iri in iris)
    }


def _ox_write(items: list, fmt: str, prefixes: dict[str, str] | None = None) -> bytes:
    import pyoxigraph as ox

    data = ox.serialize(items, format=getattr(ox.RdfFormat, fmt), prefixes=prefixes or {})
    if not prefixes:
        return data
    # pyoxigraph writes the @prefix lines in an order of its own: sort them.
    lines = data.split(b"\n")
    head = 0
    while head < len(lines) and lines[head].startswith(b"@prefix "):
        head += 1
    return b"\n".join(sorted(lines[:head]) + lines[head:])


def _triples(quads: list) -> list:
    """The union graph as sorted, distinct triples."""
    seen = {q.triple for q in quads}
    return sorted(seen, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))


def write_quads(quads: Quads, fmt: str) -> bytes:
    """Turtle, TriG, N-Triples or N-Quads bytes from `sorted_quads` (computed once, used twice)."""
    if fmt == "ttl":
        return _ox_write(_triples(quads.items), "TURTLE", quads.prefixes)
    if fmt == "trig":
        return _ox_write(quads.items, "TRIG", quads.prefixes)
    if fmt == "nt":
        return _ox_write(_triples(quads.items), "N_TRIPLES")
    if fmt == "nq":
        return _ox_write(quads.items, "N_QUADS")
    raise ValueError(f"pyoxigraph does not write {fmt!r} here")


def turtle(dataset: Dataset) -> bytes:
    """Turtle of the union of the named graphs, subjects in IRI order."""
    return write_quads(sorted_quads(dataset), "ttl")


def trig(dataset: Dataset) -> bytes:
    """TriG with the named graphs in IRI order."""
    return write_quads(sorted_quads(dataset), "trig")


def ntriples(dataset: Dataset) -> bytes:
    """N-Triples of the union graph, one sorted line per distinct triple."""
    return write_quads(sorted_quads(dataset), "nt")


def nquads(dataset: Dataset) -> bytes:
    """N-Quads, lines sorted by graph, subject, predicate, object."""
    return write_quads(sorted_quads(dataset), "nq")


def context() -> dict:
    """The project's JSON-LD context, shipped in the package (never fetched)."""
    return json.loads((resources.files("kg") / "static" / "context.jsonld").read_text("utf-8"))


def jsonld(dataset: Dataset) -> bytes:
    """JSON-LD with the context inline, one @graph per named graph, nodes sorted by @id."""
    ctx = context()["@context"]
    graphs = []
    for graph in named_graphs(dataset):
        doc = json.loads(stable(graph).serialize(format="json-ld", context=ctx, auto_compact=True))
        nodes = doc.get("@graph", [doc] if "@id" in doc else [])
        for node in nodes:
            node.pop("@context", None)
        graphs.append(
            {"@id": str(graph.identifier), "@graph": sorted(nodes, key=lambda n: n.get("@id", ""))}
        )
    text = json.dumps(
        {"@context": ctx, "@graph": graphs}, ensure_ascii=False, indent=1, sort_keys=True
    )
    return (text + "\n").encode("utf-8")


def rdfxml(dataset: Dataset) -> bytes:
    """RDF/XML of the union graph; refuses what XML 1.0 cannot carry, naming the triple."""
    graph = stable(union(dataset))
    for s, p, o in graph:
        if isinstance(o, Literal) and XML_ILLEGAL.search(str(o)):
            raise KgError(
                Problem(
                    str(s),
                    f"the value of {p} holds a control character that RDF/XML cannot carry",
                    hint="export as Turtle or N-Triples, or remove the character from the data",
                )
            )
    try:
        return graph.serialize(format="xml", encoding="utf-8")
    except ValueError as exc:  # e.g. a predicate IRI that cannot be split into a QName
        raise KgError(
            Problem(
                "RDF/XML",
                f"cannot write RDF/XML: {exc}",
                hint="export as Turtle or N-Triples instead",
            )
        ) from None


WRITERS = {
    "ttl": turtle,
    "nt": ntriples,
    "nq": nquads,
    "trig": trig,
    "jsonld": jsonld,
    "xml": rdfxml,
}


def serialize(dataset: Dataset, fmt: str) -> bytes:
    return WRITERS[fmt](dataset)
