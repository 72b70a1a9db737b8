"""Deterministic RDF serialisations of a dataset: same triples, same bytes.

rdflib sorts subjects in Turtle but writes named graphs, N-Triples lines and JSON-LD
nodes in hash order; every writer here imposes a sorted order instead.
"""

from __future__ import annotations

import json
import re
from importlib import resources

from rdflib import BNode, Dataset, Graph, Literal
from rdflib.compare import to_canonical_graph

from kg.errors import KgError, Problem
from kg.namespaces import bind_prefixes

RDF_FORMATS = {  # our name -> (file suffix, media type)
    "ttl": (".ttl", "text/turtle"),
    "nt": (".nt", "application/n-triples"),
    "nq": (".nq", "application/n-quads"),
    "trig": (".trig", "application/trig"),
    "jsonld": (".jsonld", "application/ld+json"),
    "xml": (".rdf", "application/rdf+xml"),
}
# Characters XML 1.0 cannot hold, even escaped.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


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
            sorted(super().predicate_objects(subject), key=lambda po: (_key(po[0]), _key(po[1])))
        )


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


def turtle(dataset: Dataset) -> bytes:
    return union(dataset).serialize(format="turtle", encoding="utf-8")


def trig(dataset: Dataset) -> bytes:
    """TriG with the named graphs in IRI order."""
    prefixes: set[str] = set()
    blocks = []
    for graph in named_graphs(dataset):
        named = Graph()
        bind_prefixes(named.namespace_manager)
        for triple in graph:
            named.add(triple)
        # Split on "\n" only (splitlines() also breaks at \f, \x85, U+2028 inside literals),
        # and only the leading @prefix block is the header.
        text = named.serialize(format="turtle")
        head, _, body = text.partition("\n\n")
        if head.startswith("@prefix") and all(x.startswith("@prefix") for x in head.split("\n")):
            prefixes.update(head.split("\n"))
        else:
            body = text
        lines = body.strip("\n").split("\n")
        if '"""' not in body and "'''" not in body:  # indenting would alter a long literal
            lines = [f"    {line}" if line else "" for line in lines]
        blocks.append(f"<{graph.identifier}> {{\n" + "\n".join(lines).strip("\n") + "\n}\n")
    return ("\n".join(sorted(prefixes)) + "\n\n" + "\n".join(blocks)).encode("utf-8")


def _nt_lines(graph: Graph) -> list[str]:
    """N-Triples lines without " .", from rdflib's N-Triples writer: `n3()` writes a
    literal holding a line break as a Turtle long string, which N-Triples forbids."""
    text = graph.serialize(format="nt", encoding="utf-8").decode("utf-8")
    return [line.removesuffix(" .") for line in text.split("\n") if line]


def ntriples(dataset: Dataset) -> bytes:
    lines = {f"{line} .\n" for line in _nt_lines(stable(union(dataset)))}
    return "".join(sorted(lines)).encode("utf-8")


def nquads(dataset: Dataset) -> bytes:
    lines = {
        f"{line} {g.identifier.n3()} .\n"
        for g in named_graphs(dataset)
        for line in _nt_lines(stable(g))
    }
    return "".join(sorted(lines)).encode("utf-8")


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
