"""Stores that answer checked queries. The in-memory rdflib store is the default.

Queries are run in a worker thread with a deadline: rdflib cannot cancel a running
query, so on timeout the caller gets an error at once and the thread is abandoned
(it is a daemon thread, so it never keeps the process alive).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import rdflib.plugins.sparql
from rdflib import Dataset, Graph

from kg.errors import KgError, Problem
from kg.namespaces import bind_prefixes
from kg.results import Table
from kg.sparql import PreparedQuery, bind_variables

# rdflib would otherwise fetch FROM/FROM NAMED graphs from the web or the disk.
rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False

T = TypeVar("T")
DEFAULT_TIMEOUT = 30.0


def run_with_deadline(work: Callable[[], T], timeout: float | None, what: str) -> T:
    """Run `work` in a daemon thread; raise a `KgError` if it outlives `timeout` seconds."""
    if not timeout:
        return work()
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # handed to the caller's thread below
            box["error"] = exc

    worker = threading.Thread(target=target, name="kg-query", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise KgError(
            Problem(
                what,
                f"query did not finish within {timeout:g} s and was abandoned",
                hint="narrow the query, or raise --timeout",
            )
        )
    if "error" in box:
        error = box["error"]
        if isinstance(error, KgError):
            raise error
        if isinstance(error, RecursionError):
            raise KgError(Problem(what, "query is nested too deeply to evaluate"))
        raise KgError(Problem(what, f"query failed: {type(error).__name__}: {error}"))
    return box["value"]  # type: ignore[return-value]


class MemoryStore:
    """An rdflib Dataset in memory; its default graph is the union of the named graphs."""

    name = "memory"

    def __init__(self, dataset: Dataset):
        dataset.default_union = True
        bind_prefixes(dataset.namespace_manager)
        self.dataset = dataset

    @classmethod
    def from_file(cls, path: Path) -> MemoryStore:
        from kg.rdfio import parse_dataset

        return cls(parse_dataset(path))

    def graph_names(self) -> list[str]:
        return sorted(str(g.identifier) for g in self.dataset.graphs() if len(g))

    def __len__(self) -> int:
        return len(set(self.dataset.triples((None, None, None))))

    def _result(self, query: PreparedQuery):
        return self.dataset.query(
            query.algebra or query.text, initBindings=bind_variables(query.bindings)
        )

    def select(self, query: PreparedQuery, timeout: float | None = DEFAULT_TIMEOUT) -> Table:
        def work() -> Table:
            result = self._result(query)
            names = [str(v) for v in result.vars or []]
            return Table(names, [tuple(row) for row in result])

        return run_with_deadline(work, timeout, "query")

    def ask(self, query: PreparedQuery, timeout: float | None = DEFAULT_TIMEOUT) -> bool:
        return run_with_deadline(lambda: bool(self._result(query).askAnswer), timeout, "query")

    def construct(self, query: PreparedQuery, timeout: float | None = DEFAULT_TIMEOUT) -> Graph:
        def work() -> Graph:
            graph = Graph()
            bind_prefixes(graph.namespace_manager)
            for triple in self._result(query):
                graph.add(triple)
            return graph

        return run_with_deadline(work, timeout, "query")
