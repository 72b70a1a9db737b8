"""The default store: an rdflib Dataset in memory.

rdflib cannot cancel a running query, and it may hold the GIL for the whole of a
catastrophic REGEX, so a watchdog thread could not even wake up: with a timeout, each
query is evaluated in a forked child process that is killed at the deadline
(`kg.core.isolate.run_isolated`).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import rdflib.plugins.sparql
from rdflib import Dataset, URIRef
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query

from kg.core.isolate import run_isolated
from kg.core.namespaces import bind_prefixes
from kg.store.base import DEFAULT_TIMEOUT, QUERY_LIMITS, Graphs, Quad, Triples, capped, capped_list
from kg.store.rows import Table, Values
from kg.store.sparql import PreparedQuery

# rdflib would otherwise fetch FROM/FROM NAMED graphs from the web or the disk.
rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False


class MemoryStore:
    """An rdflib Dataset in memory; its default graph is the union of the named graphs."""

    name = "memory"
    engine = "rdflib"  # picks the library's query variants (kg.query.library)
    network = False  # reaches the network to answer (an endpoint may not sandbox it)

    def __init__(self, dataset: Dataset):
        dataset.default_union = True
        bind_prefixes(dataset.namespace_manager)
        self.dataset = dataset

    @classmethod
    def from_file(cls, path: Path) -> MemoryStore:
        from kg.core.rdfio import parse_dataset

        return cls(parse_dataset(path))

    def graph_names(self) -> list[str]:
        return sorted(str(g.identifier) for g in self.dataset.graphs() if len(g))

    def __len__(self) -> int:
        return len(set(self.dataset.triples((None, None, None))))

    def quads(self) -> Iterator[Quad]:
        for graph in self.dataset.graphs():
            for s, p, o in graph:
                yield s, p, o, graph.identifier

    def to_dataset(self) -> Dataset:
        return self.dataset

    def _result(self, query: PreparedQuery, graphs: Graphs | None = None):
        algebra = query.algebra
        if algebra is None:
            return self.dataset.query(query.text)
        if graphs is not None:  # the protocol's dataset, on a copy: the prepared query is shared
            clauses = [CompValue("DatasetClause", default=URIRef(g)) for g in graphs.default]
            clauses += [CompValue("DatasetClause", named=URIRef(g)) for g in graphs.named]
            top = CompValue(algebra.algebra.name, **algebra.algebra)
            top["datasetClause"] = clauses
            algebra = Query(algebra.prologue, top)
        return self.dataset.query(algebra)

    def select(
        self,
        query: PreparedQuery,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_rows: int | None = None,
        graphs: Graphs | None = None,
    ) -> Table:
        def work() -> Table:
            result = self._result(query, graphs)
            names = [str(v) for v in result.vars or []]
            rows = [
                tuple(row) for row in islice(result, None if max_rows is None else max_rows + 1)
            ]
            if max_rows is not None and len(rows) > max_rows:
                return Table(names, rows[:max_rows], truncated=True)
            return Table(names, rows)

        return run_isolated(work, timeout, "query", limits=QUERY_LIMITS)

    def values(
        self,
        query: PreparedQuery,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_rows: int | None = None,
    ) -> Values:
        return Values.of(self.select(query, timeout=timeout, max_rows=max_rows))

    def ask(
        self,
        query: PreparedQuery,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        graphs: Graphs | None = None,
    ) -> bool:
        return run_isolated(
            lambda: bool(self._result(query, graphs).askAnswer),
            timeout,
            "query",
            limits=QUERY_LIMITS,
        )

    def construct(
        self,
        query: PreparedQuery,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_rows: int | None = None,
        graphs: Graphs | None = None,
    ) -> Triples:
        # the triples travel from the child as a list; the Graph is built here
        def work() -> list:
            return capped_list(self._result(query, graphs), max_rows)

        return capped(run_isolated(work, timeout, "query", limits=QUERY_LIMITS), max_rows)
