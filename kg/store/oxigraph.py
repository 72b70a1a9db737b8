"""pyoxigraph in memory or in a folder: the store for large graphs.

Oxigraph evaluates SPARQL one to two orders of magnitude faster than rdflib
(MEASUREMENTS.md). A query with a deadline runs in a forked child process, like on
every local store (`kg.core.isolate`): it is killed at the deadline, cannot open a
network connection, and its memory is capped (`QUERY_LIMITS`); a thread could be
abandoned but not stopped, and would share this process's memory.
"""

from __future__ import annotations

import fcntl
import os
import weakref
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

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


LOCK_FILE = "kg.lock"
T = TypeVar("T")


def lock_folder(folder: Path, *, exclusive: bool) -> int | None:
    """A lock on the store in `folder`: shared by its readers, exclusive for a writer.

    RocksDB lets readers open a folder while a writer holds it, but the writer's
    compactions delete the files a reader still expects. The lock (a file of ours beside
    RocksDB's) makes `kg load` and a running `kg query` or `kg serve` wait for each other
    with a message instead. Returns the descriptor that holds the lock (closing it lets
    go), or None for a reader of a folder it cannot write, where no writer can come.
    """
    try:
        fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        if not exclusive:
            return None
        raise KgError(Problem(str(folder), f"cannot write the store: {exc.strerror}")) from None
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        busy = "is open in another process" if exclusive else "is being loaded"
        raise KgError(
            Problem(
                str(folder),
                f"the Oxigraph store {busy}",
                hint="stop kg serve or kg query on it first"
                if exclusive
                else "query it when kg load has finished",
            )
        ) from None
    return fd


def write_folder(folder: Path, write: Callable[[Any], T]) -> T:
    """Call `write` with the store in `folder` (created if need be) opened for writing,
    under the exclusive lock; the store is flushed and closed before the lock goes, so a
    reader that opens it then sees the whole write. The one way kg writes a folder."""
    import pyoxigraph as ox

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KgError(Problem(str(folder), f"cannot create the store: {exc.strerror}")) from None
    lock = lock_folder(folder, exclusive=True)
    try:
        try:
            store = ox.Store(str(folder))
        except OSError as exc:
            raise KgError(Problem(str(folder), f"cannot open the Oxigraph store: {exc}")) from None
        result = write(store)
        store.flush()
        del store  # closed here: `write` keeps no reference to it
    finally:
        os.close(lock)
    return result


class OxigraphStore:
    """pyoxigraph in memory or in a folder; the default graph is the union of named graphs."""

    name = "oxigraph"
    engine = "oxigraph"
    network = False  # reaches the network to answer (an endpoint may not sandbox it)

    def __init__(self, path: Path | None = None):
        """In memory, or the store `kg load` filled in the folder `path`, opened read-only.

        Read-only because querying never writes, and because a store opened for writing
        runs RocksDB's flushes and compactions in background threads: a query child
        forked while one of them held the database's lock would wait for it forever.
        """
        import pyoxigraph as ox

        self.path = path
        if path is None:
            self.store = ox.Store()
            return
        lock = lock_folder(path, exclusive=False)
        try:
            self.store = ox.Store.read_only(str(path))
        except BaseException:
            if lock is not None:
                os.close(lock)
            raise
        if lock is not None:
            weakref.finalize(self, os.close, lock)

    @classmethod
    def from_file(cls, path: Path, into: Path | None = None) -> OxigraphStore:
        """Bulk-load a TriG, N-Quads, Turtle or N-Triples file, in memory or `into` a
        folder (written, closed, then opened read-only like any folder store)."""
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

        def load(target) -> None:
            source = oxigraph_input(path)
            try:
                target.bulk_load(**source, format=getattr(ox.RdfFormat, fmt.oxigraph))
            except MemoryError:
                raise term_too_large(path) from None
            except (SyntaxError, ValueError) as exc:
                raise KgError(Problem(str(path), f"cannot load: {exc}")) from None
            except OSError as exc:
                raise KgError(Problem(str(path), f"cannot read: {exc.strerror or exc}")) from None

        if into is None:
            store = cls()
            load(store.store)
            return store
        write_folder(into, load)
        return cls(into)

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
