"""Deterministic RDF serialisations of a dataset: same triples, same bytes.

rdflib sorts subjects in Turtle but writes named graphs, N-Triples lines and JSON-LD
nodes in hash order; every writer here imposes a sorted order instead.
"""

from __future__ import annotations

import heapq
import json
import re
import xml.parsers.expat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources

from rdflib import BNode, Dataset, Graph, Literal, URIRef

from kg.core.errors import KgError, Problem
from kg.core.formats import XML_ILLEGAL
from kg.core.namespaces import PREFIXES, bind_prefixes
from kg.core.terms import canonical_quads, to_oxigraph, to_rdflib


def union(dataset: Dataset) -> Graph:
    """All named graphs merged into one graph with the project prefixes bound."""
    return union_of(dataset.graphs())


def union_of(graphs: Iterable[Graph | TripleSet]) -> Graph:
    """The triples of `graphs` in one rdflib graph with the project prefixes bound."""
    graph = Graph()
    bind_prefixes(graph.namespace_manager)
    for context in graphs:
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
    out = SortedGraph()
    bind_prefixes(out.namespace_manager)
    if any(isinstance(t, BNode) for triple in graph for t in triple):
        import pyoxigraph as ox

        cache: dict = {}
        quads = [ox.Quad(*(to_oxigraph(t, cache) for t in triple)) for triple in graph]
        for quad in canonical_quads(quads, "blank nodes of the graph"):
            out.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
        return out
    for triple in graph:
        out.add(triple)
    return out


def _in_graph_key(quad) -> tuple[str, str, str]:
    return (str(quad.subject), str(quad.predicate), str(quad.object))


@dataclass(frozen=True)
class Quads:
    """A dataset as sorted quads: N-Quads, one chunk per named graph in order of graph
    name, each chunk sorted by subject, predicate and object (as text), blank nodes
    canonical; with the project prefixes its IRIs use and the number of quads.

    Bytes rather than pyoxigraph objects: ~150 bytes a quad instead of ~500, so a build
    of 100k cases (~9.6 M quads) is written in a few GB.
    """

    chunks: tuple[bytes, ...]
    prefixes: dict[str, str]
    count: int

    def graphs(self) -> Iterator[Iterator]:
        """The quads of each named graph, parsed as they are read."""
        import pyoxigraph as ox

        for chunk in self.chunks:
            yield ox.parse(chunk, format=ox.RdfFormat.N_QUADS)


def sorted_quads(dataset: Dataset) -> Quads:
    """Every quad of the named graphs as pyoxigraph quads, sorted, blank nodes canonical.

    Turtle, TriG, N-Triples and N-Quads are written by pyoxigraph from this list: rdflib's
    Turtle writer needs ~20 s for 100k triples, this path well under one. Blank nodes (the
    OWL lists of the ontology) get RDFC-1.0 labels, so the same triples give the same bytes.
    """
    return quads_of(named_graphs(dataset))


class TripleSet:
    """A named graph as a plain set of rdflib triples: what `quads_of` reads of a graph
    (its name, its triples, their number) and what a build writes to one (`add`), at
    a third of the cost of rdflib's indexed store."""

    def __init__(self, identifier: URIRef) -> None:
        self.identifier = identifier
        self._triples: set[tuple] = set()

    def add(self, triple: tuple) -> None:
        self._triples.add(triple)

    def __iter__(self) -> Iterator[tuple]:
        return iter(self._triples)

    def __len__(self) -> int:
        return len(self._triples)


def quads_of(graphs: Iterable[Graph | TripleSet]) -> Quads:
    """`sorted_quads` of named graphs read one after the other, in any order: a graph
    can be made just before it is read and dropped after, so a build too big for rdflib
    as a whole (~2 KB a triple) is written from its quads alone (`kg build --no-validate`).

    Sorted by graph, subject, predicate, object (as text): each graph is sorted alone,
    and the graphs are put in order of their names.
    """
    import pyoxigraph as ox

    by_graph: dict[str, bytes] = {}
    counts: dict[str, int] = {}
    with_bnodes: list = []
    iris: set[str] = set()

    def keep(name: str, items: list) -> None:
        items.sort(key=_in_graph_key)
        by_graph[name] = ox.serialize(items, format=ox.RdfFormat.N_QUADS)
        counts[name] = len(items)

    for graph in graphs:
        if not len(graph):
            continue
        cache: dict = {}  # per graph: it holds each distinct term once
        name = to_oxigraph(graph.identifier, cache)
        items, blank = [], False
        for s, p, o in graph:
            blank = blank or isinstance(s, BNode) or isinstance(o, BNode)
            items.append(
                ox.Quad(to_oxigraph(s, cache), to_oxigraph(p, cache), to_oxigraph(o, cache), name)
            )
        if blank:
            with_bnodes += items
        else:
            keep(str(name), items)
        # the IRIs (and datatypes) in use, for the prefixes
        iris |= {str(t) for t in cache if isinstance(t, URIRef)}
        iris |= {str(t.datatype) for t in cache if isinstance(t, Literal) and t.datatype}
    if with_bnodes:  # one dataset: blank-node labels are shared by a whole TriG document
        names = sorted({q.graph_name.value for q in with_bnodes})
        labelled: dict[str, list] = {}
        for quad in canonical_quads(with_bnodes, f"blank nodes in {', '.join(names)}"):
            labelled.setdefault(str(quad.graph_name), []).append(quad)
        for name, items in labelled.items():
            keep(name, items)
    order = sorted(by_graph)
    return Quads(tuple(by_graph[n] for n in order), _used_prefixes(iris), sum(counts.values()))


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


def _triples(quads: Quads) -> Iterator:
    """The union graph as sorted, distinct triples, merged from the sorted graphs of
    `quads` as they are parsed, without a copy of them all."""
    runs = [(q.triple for q in graph) for graph in quads.graphs()]
    last = None
    for triple in heapq.merge(*runs, key=_in_graph_key):
        if triple != last:
            yield triple
        last = triple


def _trig(quads: Quads) -> bytes:
    """TriG: one prefix header, then each graph's block as pyoxigraph writes it (the same
    bytes as writing all the quads in one call, a graph at a time)."""
    if not quads.chunks:
        return _ox_write([], "TRIG", quads.prefixes)
    blocks, head = [], b""
    for graph in quads.graphs():
        lines = _ox_write(graph, "TRIG", quads.prefixes).split(b"\n")
        prefixes = [line for line in lines if line.startswith(b"@prefix ")]
        head = head or b"".join(line + b"\n" for line in prefixes)
        blocks.append(b"\n".join(lines[len(prefixes) :]))
    return head + b"".join(blocks)


def write_quads(quads: Quads, fmt: str) -> bytes:
    """Turtle, TriG, N-Triples or N-Quads bytes from `sorted_quads` (computed once, used twice)."""
    if fmt == "ttl":
        return _ox_write(_triples(quads), "TURTLE", quads.prefixes)
    if fmt == "trig":
        return _trig(quads)
    if fmt == "nt":
        return _ox_write(_triples(quads), "N_TRIPLES")
    if fmt == "nq":
        return b"".join(quads.chunks)
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


# An XML name (NCName): where a predicate's IRI is split into namespace and element name.
_NAME_START = (
    "A-Z_a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_LOCAL_NAME = re.compile(f"[{_NAME_START}][{_NAME_START}\\-.0-9\u00b7\u0300-\u036f\u203f\u2040]*$")


def _unwritable(subject: object, message: str) -> KgError:
    return KgError(
        Problem(
            getattr(subject, "value", str(subject)),
            message,
            hint="export as Turtle or N-Triples, or change the data",
        )
    )


def rdfxml_triples(triples: list) -> bytes:
    """RDF/XML of rdflib triples, in the given order (see `_rdfxml`)."""
    import pyoxigraph as ox

    cache: dict = {}
    return _rdfxml(
        [
            ox.Triple(to_oxigraph(s, cache), to_oxigraph(p, cache), to_oxigraph(o, cache))
            for s, p, o in triples
        ]
    )


def _rdfxml(items: list) -> bytes:
    """RDF/XML of pyoxigraph triples, written by pyoxigraph in the given order.

    What XML 1.0 cannot carry is refused naming the triple: a control character, or a
    predicate IRI with no XML name at its end (RDF/XML writes predicates as elements).
    The result is parsed back before it is returned, so no ill-formed file leaves here
    (rdflib's writer, used before, did not escape `&` in datatype IRIs).
    """
    import pyoxigraph as ox

    iris: set[str] = set()
    for t in items:
        texts = [t.subject.value, t.predicate.value, t.object.value]
        if isinstance(t.object, ox.Literal):
            texts += [t.object.datatype.value, t.object.language or ""]
        if any(XML_ILLEGAL.search(text) for text in texts):
            raise _unwritable(
                t.subject,
                f"the value of <{t.predicate.value}> holds a control character that RDF/XML "
                "cannot carry",
            )
        if not _LOCAL_NAME.search(t.predicate.value):
            raise _unwritable(
                t.subject,
                f"cannot write RDF/XML: the predicate <{t.predicate.value}> does not end in a "
                "name XML allows",
            )
        iris.update(
            x.value for x in (t.subject, t.predicate, t.object) if isinstance(x, ox.NamedNode)
        )
    data = ox.serialize(items, format=ox.RdfFormat.RDF_XML, prefixes=_used_prefixes(iris))
    # pyoxigraph writes a carriage return as it is, and XML readers turn it into a line
    # feed; its layout uses only \n and \t, so every \r is content: write it as a reference.
    data = data.replace(b"\r", b"&#13;")
    try:
        xml.parsers.expat.ParserCreate().Parse(data, True)  # well-formed for any XML reader
        back = sum(1 for _ in ox.parse(data, format=ox.RdfFormat.RDF_XML))
    except (SyntaxError, xml.parsers.expat.ExpatError) as exc:
        raise KgError(Problem("RDF/XML", f"the RDF/XML written is not valid: {exc}")) from None
    if back != len(items):
        raise KgError(
            Problem("RDF/XML", f"the RDF/XML written holds {back} of {len(items)} triples")
        )
    return data


def rdfxml(dataset: Dataset) -> bytes:
    """RDF/XML of the union graph, triples sorted, blank nodes canonical."""
    return _rdfxml(list(_triples(sorted_quads(dataset))))


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


def serialize_all(dataset: Dataset, fmts: list[str]) -> dict[str, bytes]:
    """Several formats of one dataset (a release): the sorted quads that Turtle, TriG,
    N-Triples and N-Quads are written from are made once, not once per format."""
    quads: Quads | None = None
    out = {}
    for fmt in fmts:
        if fmt in ("ttl", "trig", "nt", "nq"):
            quads = quads or sorted_quads(dataset)
            out[fmt] = write_quads(quads, fmt)
        else:
            out[fmt] = serialize(dataset, fmt)
    return out
