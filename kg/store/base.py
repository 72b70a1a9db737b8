"""The one interface every store implements, and what its answers look like.

Memory (rdflib), Oxigraph and a remote endpoint answer the same checked queries
(`kg.store.sparql.PreparedQuery`) with the same kinds of result, so the facade, the
endpoint, exports, releases and statistics never ask which store they have.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from rdflib import Dataset, Graph, URIRef
from rdflib.term import Node

from kg.core.isolate import Limits
from kg.core.namespaces import bind_prefixes
from kg.store.rows import Table, Values
from kg.store.sparql import PreparedQuery

DEFAULT_TIMEOUT = 30.0
#: What a query given a deadline may do in its process: no network, and at most this
#: many bytes of memory beyond what the graph already takes (a query can build strings
#: that double in size at every step).
QUERY_LIMITS = Limits(sandbox=True, max_memory=2 * 1024**3)


@dataclass(frozen=True)
class Graphs:
    """The dataset of one query as the SPARQL protocol names it (default-graph-uri,
    named-graph-uri): which graphs make the default graph and which are named."""

    default: tuple[str, ...]
    named: tuple[str, ...] = ()


@dataclass(frozen=True)
class Triples:
    """What a CONSTRUCT or DESCRIBE returns: the graph, and whether it was cut at
    the caller's `max_rows` distinct triples."""

    graph: Graph
    truncated: bool = False


Quad = tuple[Node, Node, Node, URIRef]


@runtime_checkable
class Store(Protocol):
    """A read-only SPARQL store whose default graph is the union of its named graphs.

    `timeout` bounds the wait in seconds (None: no bound); `max_rows` caps the rows
    (or distinct triples) returned, flagging `truncated`; `graphs` replaces the default
    dataset for one query.
    """

    name: str  # memory | oxigraph | sparql
    engine: str  # rdflib | oxigraph | sparql: picks the library's query variants
    network: bool  # whether answering needs the network (a remote endpoint does)

    def graph_names(self) -> list[str]: ...

    def select(
        self,
        query: PreparedQuery,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_rows: int | None = None,
        graphs: Graphs | None = None,
    ) -> Table: ...

    def values(
        self,
        query: PreparedQuery,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_rows: int | None = None,
    ) -> Values: ...

    def ask(
        self,
        query: PreparedQuery,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        graphs: Graphs | None = None,
    ) -> bool: ...

    def construct(
        self,
        query: PreparedQuery,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_rows: int | None = None,
        graphs: Graphs | None = None,
    ) -> Triples: ...

    def quads(self) -> Iterator[Quad]:
        """Every quad of the named graphs, as rdflib terms."""
        ...

    def to_dataset(self) -> Dataset:
        """The named graphs as an rdflib Dataset (for the deterministic writers)."""
        ...


def new_graph() -> Graph:
    graph = Graph()
    bind_prefixes(graph.namespace_manager)
    return graph


def capped(triples, max_rows: int | None) -> Triples:
    """A graph of the distinct `triples`, at most `max_rows` of them."""
    graph = new_graph()
    seen: set = set()
    for triple in triples:
        if triple in seen:
            continue
        if max_rows is not None and len(seen) >= max_rows:
            return Triples(graph, truncated=True)
        seen.add(triple)
        graph.add(triple)
    return Triples(graph)


def capped_list(triples, max_rows: int | None) -> list:
    """The distinct `triples`, stopping after `max_rows` + 1 (enough to tell a cut)."""
    out, seen = [], set()
    for triple in triples:
        if triple not in seen:
            seen.add(triple)
            out.append(triple)
            if max_rows is not None and len(out) > max_rows:
                break
    return out


def dataset_from_quads(quads) -> Dataset:
    """An rdflib Dataset holding `quads` (stores that are not rdflib build theirs so)."""
    dataset = Dataset()
    bind_prefixes(dataset.namespace_manager)
    for s, p, o, g in quads:
        dataset.graph(g).add((s, p, o))
    return dataset
