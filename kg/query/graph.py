"""`QueryGraph`: a read-only view of the graph in a store, asked in checked SPARQL.

    graph = QueryGraph.open("oxigraph")        # build/kg.trig in Oxigraph, or a fresh build
    graph.query("SELECT ...")                  # -> Table (rows), bool (ASK) or Graph
    graph.named("similar-cases", case="gd-b3-05")  # a query of the library, by name
    graph.values("case-tags")                  # rows as plain strings, for long lists

The analyses and outputs take a `QueryGraph`; `kg.KnowledgeGraph` adds them as methods.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

from rdflib import Graph

from kg.core.errors import KgError, Problem
from kg.core.layout import Project, stale_build
from kg.query.index import AnalyticIndex
from kg.query.kept import index_path
from kg.query.library import named_query
from kg.query.resolve import Resolver
from kg.store.base import DEFAULT_TIMEOUT, Store
from kg.store.rows import Table, Values
from kg.store.sparql import PreparedQuery, prepare, prepare_trusted


class QueryGraph:
    """A read-only view of the graph in a store, with checked queries and the library."""

    def __init__(self, store: Store, *, origin: str = ""):
        self.store = store
        self.origin = origin
        self._graph_names: tuple[str, ...] | None = None
        self._prepared: dict[tuple, PreparedQuery] = {}  # library queries, checked once
        self._parse_lock = threading.Lock()  # pyparsing is not known to be thread-safe
        self._resolver: Resolver | None = None
        self.index: AnalyticIndex | None = None  # the build's aggregate answers, if any

    # -- loading --
    @classmethod
    def from_file(cls, path: Path | str):
        """Load a built file (TriG keeps the named graphs; Turtle has only the union)."""
        from kg.store.memory import MemoryStore

        path = Path(path)
        return cls(MemoryStore.from_file(path), origin=str(path))

    @classmethod
    def from_data(cls, root: Path | str = "."):
        """Build in memory from the project's data/ and ontology/ (no files written)."""
        from kg.build.dataset import build, load_inputs
        from kg.store.memory import MemoryStore

        result = build(load_inputs(Project(Path(root))))
        return cls(MemoryStore(result.dataset), origin=f"built from {root}")

    @classmethod
    def load(cls, root: Path | str = ".", build_dir: Path | str = "build"):
        """The build output if there is one, otherwise a fresh in-memory build."""
        project = Project(Path(root), Path(root) / build_dir)
        trig = project.trig
        if not trig.is_file():
            return cls.from_data(root)
        cls.warn_if_stale(root, build_dir)
        return cls.from_file(trig)

    @staticmethod
    def warn_if_stale(root: Path | str = ".", build_dir: Path | str = "build") -> None:
        """Warn when data/ or ontology/ changed after the build was written."""
        if (message := stale_build(root, build_dir)) is not None:
            warnings.warn(message, stacklevel=3)

    @classmethod
    def open(
        cls,
        store: str = "memory",
        *,
        root: Path | str = ".",
        graph_file: Path | str | None = None,
        check_stale: bool = True,
    ):
        """The graph in the store named by a spec (see `kg.store.open.open_store`).

        `memory` and `oxigraph` read `graph_file`, else ROOT/build/kg.trig, else build
        from ROOT in memory; `oxigraph:DIR` and `sparql:URL` use what `kg load` put there.
        `auto` is Oxigraph (its parser and evaluator are 10-80x rdflib's, MEASUREMENTS.md)
        for a file `kg build` wrote and for a graph built from ROOT's records, and rdflib
        for any other file, which rdflib's strict reader checks (`kg.core.rdfio`). With
        `auto`, ROOT/build is checked against data/ and ontology/ (`warn_if_stale`) unless
        `check_stale` is False (the CLI checks it beside the command instead).
        """
        from kg.store.open import open_store
        from kg.store.oxigraph import OxigraphStore

        if store == "auto":
            if graph_file is None and not Project(Path(root)).trig.is_file():
                store = "oxigraph"  # built from the records below
            elif graph_file is not None and index_path(Path(graph_file)) is None:
                store = "memory"  # a file from elsewhere: rdflib's strict, hostile-safe reader
            else:
                store = "oxigraph"  # a file `kg build` wrote
                if graph_file is None and check_stale:
                    cls.warn_if_stale(root)
        if store not in ("memory", "oxigraph"):
            graph = cls(open_store(store), origin=store)
            if graph.store.network and (problem := graph.union_problem()):
                warnings.warn(problem.render(), stacklevel=2)
            return graph
        path = Path(graph_file) if graph_file else Project(Path(root)).trig
        if store == "memory":
            return cls.from_file(path) if graph_file else cls.load(root)
        if graph_file or path.is_file():  # a graph file that is missing is an error
            index = AnalyticIndex.open(path)
            if index is None:
                return cls(OxigraphStore.from_file(path), origin=str(path))
            from kg.store.lazy import LazyStore  # a build: loaded if the index cannot answer

            # In memory: an on-disk store opens at once but answered the 10k claims in
            # 28 s of CPU against 6 s to load the file and 1 s to answer (benchmarks).
            lazy = LazyStore(
                lambda: OxigraphStore.from_file(path), name="oxigraph", engine="oxigraph"
            )
            graph = cls(lazy, origin=str(path))
            graph.index = index
            return graph
        built = cls.from_data(root).store
        return cls(OxigraphStore.from_dataset(built.to_dataset()), origin=f"built from {root}")

    @property
    def resolver(self) -> Resolver:
        """Looks parameter values (ids, IRIs, zh/en labels) up in this graph."""
        if self._resolver is None:
            self._resolver = Resolver(self)
        return self._resolver

    def graph_names(self) -> tuple[str, ...]:
        """The named graphs of the store (asked once: a remote store is asked over HTTP)."""
        if self._graph_names is None:
            self._graph_names = tuple(self.store.graph_names())
        return self._graph_names

    def union_problem(self) -> Problem | None:
        """A problem if the store's default graph is not the union of its named graphs.

        Every query here reads the default graph: on an endpoint that keeps it apart
        (Oxigraph server without --union-default-graph) each answer would be empty, which
        reads as "no cases" rather than as a setting. One triple of the first and of the
        last named graph is looked for in the default graph: two cheap requests.
        """
        names = self.graph_names()
        for name in dict.fromkeys((names[0], names[-1]) if names else ()):
            rows = self.query(
                f"SELECT ?s ?p ?o WHERE {{ GRAPH <{name}> {{ ?s ?p ?o "
                "FILTER(isIRI(?s) && !isBlank(?o)) } } LIMIT 1",
                timeout=None,
                where="union check",
            ).rows
            if rows and not self.query(
                "ASK { " + " ".join(t.n3() for t in rows[0]) + " }",
                timeout=None,
                where="union check",
            ):
                return Problem(
                    self.origin,
                    "the endpoint's default graph is not the union of its named graphs: "
                    "queries will miss what is in the named graphs",
                    hint="serve it as the union (oxigraph serve --union-default-graph; "
                    "Fuseki tdb:unionDefaultGraph; Virtuoso does by default)",
                )
        return None

    # -- queries --
    def prepare(
        self,
        sparql: str,
        *,
        params: dict | None = None,
        allow_service: bool = False,
        where: str = "query",
    ) -> PreparedQuery:
        """Check a query against this graph (read-only, local graphs only)."""
        with self._parse_lock:
            return prepare(
                sparql,
                where=where,
                local_graphs=self.graph_names(),
                allow_service=allow_service,
                bindings=params,
            )

    def prepare_own(
        self, sparql: str, params: dict | None = None, *, where: str = "query"
    ) -> PreparedQuery:
        """Make a query of the package ready (the library, internal look-ups): an engine
        that parses SPARQL itself gets it without rdflib's parse (`prepare_trusted`)."""
        if self.store.engine == "rdflib":
            return self.prepare(sparql, params=params, where=where)
        return prepare_trusted(sparql, where=where, bindings=params)

    def query_own(self, sparql: str, *, where: str = "query") -> Table | bool | Graph:
        """Run a query of the package (no deadline: ours, and bounded)."""
        return self.evaluate(self.prepare_own(sparql, where=where), None)

    def query(
        self,
        sparql: str,
        *,
        params: dict | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        allow_service: bool = False,
        where: str = "query",
    ) -> Table | bool | Graph:
        """Run a checked, read-only query. `params` bind variables by name to RDF terms."""
        prepared = self.prepare(sparql, params=params, allow_service=allow_service, where=where)
        if allow_service:
            raise KgError(
                Problem(
                    where, f"federated queries are not supported by the {self.store.name} store"
                )
            )
        return self.evaluate(prepared, timeout)

    def evaluate(self, prepared: PreparedQuery, timeout: float | None) -> Table | bool | Graph:
        if prepared.form == "SELECT":
            return self.store.select(prepared, timeout=timeout)
        if prepared.form == "ASK":
            return self.store.ask(prepared, timeout=timeout)
        return self.store.construct(prepared, timeout=timeout).graph

    def prepared_named(self, name: str, params: dict[str, str]) -> PreparedQuery:
        """A library query checked and parsed once per parameters: parsing costs 15-60 ms,
        as much as Oxigraph needs to answer an aggregate at 10k cases."""
        q = named_query(name)
        bindings = q.bind({k: str(v) for k, v in params.items()}, self.resolver.resolve)
        key = (name, tuple(sorted((k, v.n3()) for k, v in bindings.items())))
        found = self._prepared.get(key)
        if found is None:
            found = self.prepare_own(q.text_for(self.store.engine), bindings, where=f"{name}.rq")
            if len(self._prepared) >= 256:  # e.g. similar-cases for every case
                self._prepared.clear()
            self._prepared[key] = found
        return found

    def indexed(self, name: str, params: dict[str, str]) -> bool:
        """Whether the analytic index of the build answers this library query with these
        parameters (given as strings; the build kept the defaults' answers of the queries
        in `kg.query.index.INDEXED`)."""
        return self.index is not None and self.index.has(name, params)

    def computed(self, name: str, params: dict[str, str]) -> Table | None:
        """The answer of a library query that the build's index computes without the
        graph (`similar-cases` for one case), or None."""
        return None if self.index is None else self.index.compute(name, params)

    def named(
        self, name: str, *, timeout: float | None = DEFAULT_TIMEOUT, **params: str
    ) -> Table | bool | Graph:
        """Run a query of the library; parameters are given as strings, as on the CLI:
        an id, an IRI or a zh/en label (`kg.query.resolve`); one that names nothing
        raises `kg.query.params.ParamError`. Aggregates come from the build's analytic
        index where it has them (the same rows, in the same order)."""
        if self.indexed(name, params):
            return self.index.table(name)
        if (found := self.computed(name, params)) is not None:
            return found
        return self.evaluate(self.prepared_named(name, params), timeout)

    def select(self, name: str, *, timeout: float | None = None, **params: str) -> Table:
        """Rows of a library query. No deadline by default: the library's queries are
        ours and bind parameters as terms, and a large graph needs the time it needs
        (pass `timeout` to bound it anyway)."""
        result = self.named(name, timeout=timeout, **params)
        if not isinstance(result, Table):
            raise KgError(Problem(f"{name}.rq", "is not a SELECT query"))
        return result

    def values(self, name: str, *, timeout: float | None = None, **params: str) -> Values:
        """Rows of a library SELECT as plain strings (`kg.store.rows.Values`): the lean form
        that patterns and networks read large edge lists with."""
        if self.indexed(name, params):
            return self.index.values(name)
        if (found := self.computed(name, params)) is not None:
            rows = [tuple(None if t is None else t.value for t in row) for row in found.native]
            return Values(found.variables, rows)
        prepared = self.prepared_named(name, params)
        if prepared.form != "SELECT":
            raise KgError(Problem(f"{name}.rq", "is not a SELECT query"))
        return self.store.values(prepared, timeout=timeout)
