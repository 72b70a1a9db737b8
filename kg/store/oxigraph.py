"""pyoxigraph in memory or in a folder: the store for large graphs.

Oxigraph evaluates SPARQL one to two orders of magnitude faster than rdflib
(MEASUREMENTS.md). A query with a deadline runs in a forked child process, like on
every local store (`kg.core.isolate`): it is killed at the deadline, cannot open a
network connection, and its memory is capped (`QUERY_LIMITS`); a thread could be
abandoned but not stopped, and would share this process's memory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from rdflib import Dataset

from kg.core.errors import KgError, Problem
from kg.core.formats import by_suffix
from kg.core.isolate import run_isolated
from kg.core.rdfio import oxigraph_input, term_too_large
from kg.core.terms import to_rdflib
from kg.store.base import (
    DEFAULT_TIMEOUT,
    QUERY_LIMITS,
    Graphs,
    Quad,
    Triples,
    capped,
    capped_list,
    dataset_from_quads,
)
from kg.store.rows import Table, Values
from kg.store.sparql import PreparedQuery
from kg.store.sparqltext import with_row_limit


class TermCache:
    """Converts Oxigraph terms to rdflib terms, each distinct term once: converting is
    most of the cost of a long result, and IRIs and labels repeat (4x at 70k rows)."""

    def __init__(self) -> None:
        self.seen: dict = {}

    def __call__(self, term):
        found = self.seen.get(term)
        if found is None and term is not None:
            found = self.seen[term] = to_rdflib(term)
        return found


class OxigraphStore:
    """pyoxigraph in memory or in a folder; the default graph is the union of named graphs."""

    name = "oxigraph"
    engine = "oxigraph"
    network = False  # reaches the network to answer (an endpoint may not sandbox it)

    def __init__(self, path: Path | None = None):
        import pyoxigraph as ox

        self.path = path
        self.store = ox.Store(str(path)) if path is not None else ox.Store()

    @classmethod
    def from_file(cls, path: Path, into: Path | None = None) -> OxigraphStore:
        """Bulk-load a TriG, N-Quads, Turtle or N-Triples file."""
        import pyoxigraph as ox

        fmt = by_suffix(path.suffix)
        if fmt is None or fmt.oxigraph is None or fmt.kind != "rdf":
            raise KgError(
                Problem(
                    str(path),
                    f"Oxigraph cannot load {path.suffix!r} files",
                    hint="use .trig, .nq, .ttl or .nt",
                )
            )
        store = cls(into)
        source = oxigraph_input(path)
        try:
            store.store.bulk_load(**source, format=getattr(ox.RdfFormat, fmt.oxigraph))
        except MemoryError:
            raise term_too_large(path) from None
        except (SyntaxError, ValueError) as exc:
            raise KgError(Problem(str(path), f"cannot load: {exc}")) from None
        except OSError as exc:
            raise KgError(Problem(str(path), f"cannot read: {exc.strerror or exc}")) from None
        return store

    @classmethod
    def from_dataset(cls, dataset: Dataset) -> OxigraphStore:
        import pyoxigraph as ox

        store = cls()
        store.store.bulk_load(
            dataset.serialize(format="nquads", encoding="utf-8"), format=ox.RdfFormat.N_QUADS
        )
        return store

    def graph_names(self) -> list[str]:
        return sorted(g.value for g in self.store.named_graphs())

    def __len__(self) -> int:
        return sum(
            1
            for _ in self.store.query(
                "SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o }", use_default_graph_as_union=True
            )
        )

    def quads(self) -> Iterator[Quad]:
        convert = TermCache()
        for quad in self.store:
            yield (
                convert(quad.subject),
                convert(quad.predicate),
                convert(quad.object),
                convert(quad.graph_name),
            )

    def to_dataset(self) -> Dataset:
        return dataset_from_quads(self.quads())

    def _run(self, query: PreparedQuery, graphs: Graphs | None = None, rows: int | None = None):
        import pyoxigraph as ox

        if graphs is not None:
            kwargs = {
                "default_graph": [ox.NamedNode(g) for g in graphs.default],
                "named_graphs": [ox.NamedNode(g) for g in graphs.named],
            }
        else:  # the union is the default graph, unless the query names its own (FROM)
            kwargs = {"use_default_graph_as_union": not query.has_dataset}
        text = query.text if rows is None else with_row_limit(query.text, rows)
        try:
            return self.store.query(text, **kwargs)
        except SyntaxError as exc:
            raise KgError(Problem("query", f"SPARQL syntax error: {exc}")) from None

    def select(
        self,
        query: PreparedQuery,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_rows: int | None = None,
        graphs: Graphs | None = None,
    ) -> Table:
        def work() -> Table:
            limit = None if max_rows is None else max_rows + 1
            solutions = self._run(query, graphs, limit)
            names = [v.value for v in solutions.variables]
            rows = [tuple(solution) for solution in islice(solutions, limit)]
            truncated = max_rows is not None and len(rows) > max_rows
            if truncated:
                del rows[max_rows:]
            return Table(names, truncated=truncated, native=rows, convert=TermCache())

        return run_isolated(work, timeout, "query", limits=QUERY_LIMITS)

    def values(
        self,
        query: PreparedQuery,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_rows: int | None = None,
    ) -> Values:
        def work() -> Values:
            limit = None if max_rows is None else max_rows + 1
            solutions = self._run(query, None, limit)
            names = [v.value for v in solutions.variables]
            rows = [
                tuple(None if t is None else t.value for t in s) for s in islice(solutions, limit)
            ]
            if max_rows is not None and len(rows) > max_rows:
                return Values(names, rows[:max_rows], truncated=True)
            return Values(names, rows)

        return run_isolated(work, timeout, "query", limits=QUERY_LIMITS)

    def write_select(
        self, query: PreparedQuery, fmt: str, fd: int, *, timeout: float | None = DEFAULT_TIMEOUT
    ) -> None:
        """Write a SELECT's rows to the file descriptor `fd` as the engine yields them, in
        a W3C format (`fmt`: the pyoxigraph name, CSV, TSV, JSON or XML), by Oxigraph's
        own writer: no Python object per cell, and the first row leaves at once.

        With a deadline this runs in the query's own process (`run_isolated`), which
        writes to the inherited descriptor; the caller flushes its own buffers first.
        """

        def work() -> None:
            import pyoxigraph as ox

            solutions = self._run(query)
            with os.fdopen(os.dup(fd), "wb", buffering=1 << 16) as out:
                solutions.serialize(out, format=getattr(ox.QueryResultsFormat, fmt))

        run_isolated(work, timeout, "query", limits=QUERY_LIMITS)

    def select_serialized(
        self,
        query: PreparedQuery,
        fmt: str,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_rows: int | None = None,
        graphs: Graphs | None = None,
    ) -> tuple[bytes, bool]:
        """A SELECT's answer written by Oxigraph in a W3C format (`fmt`: pyoxigraph's name,
        CSV, TSV or JSON), at most `max_rows` rows, and whether it was cut.

        No Python object per cell: the rows go to TSV (one line a row, breaks escaped),
        the lines past `max_rows` are dropped, and TSV is rewritten in `fmt` by Oxigraph.
        """

        def work() -> tuple[bytes, bool]:
            import pyoxigraph as ox

            limit = None if max_rows is None else max_rows + 1
            tsv = self._run(query, graphs, limit).serialize(format=ox.QueryResultsFormat.TSV)
            truncated = max_rows is not None and tsv.count(b"\n") - 1 > max_rows
            if truncated:
                lines = tsv.split(b"\n", max_rows + 1)
                tsv = b"\n".join(lines[: max_rows + 1]) + b"\n"
            if fmt == "TSV":
                return tsv, truncated
            solutions = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
            return solutions.serialize(format=getattr(ox.QueryResultsFormat, fmt)), truncated

        return run_isolated(work, timeout, "query", limits=QUERY_LIMITS)

    def ask(
        self,
        query: PreparedQuery,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        graphs: Graphs | None = None,
    ) -> bool:
        return run_isolated(
            lambda: bool(self._run(query, graphs)), timeout, "query", limits=QUERY_LIMITS
        )

    def construct(
        self,
        query: PreparedQuery,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_rows: int | None = None,
        graphs: Graphs | None = None,
    ) -> Triples:
        def work() -> list:  # travels back as a list; the graph is built here
            convert = TermCache()
            triples = (
                (convert(t.subject), convert(t.predicate), convert(t.object))
                for t in self._run(query, graphs)
            )
            return capped_list(triples, max_rows)

        return capped(run_isolated(work, timeout, "query", limits=QUERY_LIMITS), max_rows)
