"""rdflib terms <-> pyoxigraph terms, and blank-node labels by content within a budget.

Both libraries are used side by side (rdflib for parsing records, SHACL and some
writers; pyoxigraph for SPARQL, fast writers and canonical labels), so terms cross
between them in one place.
"""

from __future__ import annotations

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from kg.core.errors import KgError, Problem
from kg.core.isolate import QueryTimeout, run_isolated

#: Seconds allowed to label blank nodes canonically (RDFC-1.0). Labelling is exponential
#: in the number of blank nodes that look alike (a clique of 9 did not finish in 120 s,
#: of 8 took 9.6 s); the ontology's lists take milliseconds.
CANONICAL_BUDGET = 20.0


def to_oxigraph(term, cache: dict | None = None):
    """The pyoxigraph term for an rdflib term (memoised in `cache`: terms repeat a lot)."""
    import pyoxigraph as ox

    found = cache.get(term) if cache is not None else None
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
        if cache is not None:
            cache[term] = found
    return found


def to_rdflib(term):
    """An Oxigraph term as the equivalent rdflib term (results look the same on every store)."""
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == str(XSD.string):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    if isinstance(term, ox.DefaultGraph):
        return None
    raise TypeError(f"unsupported term {term!r}")


def has_blank_node(quad) -> bool:
    import pyoxigraph as ox

    return any(isinstance(t, ox.BlankNode) for t in (quad.subject, quad.object, quad.graph_name))


def canonical_quads(quads: list, where: str, *, budget: float | None = None) -> list:
    """`quads` with RDFC-1.0 blank-node labels, computed in a child process that is
    stopped after `budget` seconds (a `KgError` then says why). Quads without blank
    nodes do not take part in the labelling, so only the others are sent."""
    import pyoxigraph as ox

    budget = CANONICAL_BUDGET if budget is None else budget
    blank = [q for q in quads if has_blank_node(q)]
    if not blank:
        return list(quads)
    data = ox.serialize(blank, format=ox.RdfFormat.N_QUADS)

    def label() -> bytes:
        dataset = ox.Dataset(ox.parse(data, format=ox.RdfFormat.N_QUADS))
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        return ox.serialize(list(dataset), format=ox.RdfFormat.N_QUADS)

    try:
        labelled = run_isolated(label, budget, where)
    except QueryTimeout:
        nodes = {t for q in blank for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)}
        raise KgError(
            Problem(
                where,
                f"{len(nodes)} blank nodes are too alike to be labelled canonically within "
                f"{budget:g} s (RDFC-1.0 grows exponentially on such shapes, e.g. a clique)",
                hint="give these resources IRIs where they are written",
            )
        ) from None
    rest = [q for q in quads if not has_blank_node(q)]
    return rest + list(ox.parse(labelled, format=ox.RdfFormat.N_QUADS))
