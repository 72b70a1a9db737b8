"""`KnowledgeGraph`: the one facade that the CLI and the notebooks share.

kg = KnowledgeGraph.load()                 # build/kg.trig if present, else rebuild
kg.query("SELECT ...")                     # -> Table (rows), bool (ASK) or Graph
kg.named("similar-cases", case="gd-b3-05") # a query of the library, by name
kg.patterns()                              # the cross-case report
kg.cooccurrence_graph()                    # networkx projections with string ids
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph

from kg.core.errors import KgError, Problem
from kg.query.library import named_query
from kg.query.writers import Table
from kg.store.sparql import PreparedQuery, prepare
from kg.store.stores import DEFAULT_TIMEOUT, MemoryStore, Values

if TYPE_CHECKING:
    import networkx as nx

    from kg.analysis.patterns import Patterns


class KnowledgeGraph:
    """A read-only view of the graph in a store, with queries, patterns and projections."""

    def __init__(self, store: MemoryStore, *, origin: str = ""):
        self.store = store
        self.origin = origin
        self._prepared: dict[tuple, PreparedQuery] = {}  # library queries, checked once

    # -- loading --
    @classmethod
    def from_file(cls, path: Path | str) -> KnowledgeGraph:
        """Load a built file (TriG keeps the named graphs; Turtle has only the union)."""
        path = Path(path)
        return cls(MemoryStore.from_file(path), origin=str(path))

    @classmethod
    def from_data(cls, root: Path | str = ".") -> KnowledgeGraph:
        """Build in memory from the project's data/ and ontology/ (no files written)."""
        from kg.build.dataset import build, load_inputs

        result = build(load_inputs(Path(root)))
        return cls(MemoryStore(result.dataset), origin=f"built from {root}")

    @classmethod
    def load(cls, root: Path | str = ".", build_dir: Path | str = "build") -> KnowledgeGraph:
        """The build output if there is one, otherwise a fresh in-memory build."""
        trig = Path(root) / build_dir / "kg.trig"
        if not trig.is_file():
            return cls.from_data(root)
        built = trig.stat().st_mtime
        inputs = [
            p
            for part in ("data/sources", "data/cases", "data/vocab", "data/places", "ontology")
            for p in (Path(root) / part).rglob("*")
            if p.is_file()
        ]
        if any(p.stat().st_mtime > built for p in inputs):
            warnings.warn(
                f"{trig} is older than data/ or ontology/: run `kg build` to refresh it",
                stacklevel=2,
            )
        return cls.from_file(trig)

    @classmethod
    def open(
        cls, store: str = "memory", *, root: Path | str = ".", graph_file: Path | str | None = None
    ) -> KnowledgeGraph:
        """The graph in the store named by a `--store` spec (see `kg.store.stores.open_store`).

        `memory` and `oxigraph` read `graph_file`, else ROOT/build/kg.trig, else build
        from ROOT in memory; `oxigraph:DIR` and `sparql:URL` use what `kg load` put there.
        """
        from kg.store.stores import OxigraphStore, open_store

        kind = store.partition(":")[0]
        if ":" not in store and kind in ("memory", "oxigraph"):
            path = Path(graph_file) if graph_file else Path(root) / "build" / "kg.trig"
            if kind == "memory":
                return cls.from_file(path) if graph_file else cls.load(root)
            if graph_file or path.is_file():  # a --graph that is missing is an error
                return cls(OxigraphStore.from_file(path), origin=str(path))
            return cls(
                OxigraphStore.from_dataset(cls.from_data(root).store.dataset),
                origin=f"built from {root}",
            )
        return cls(open_store(store), origin=store)

    # -- queries --
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
        prepared = prepare(
            sparql,
            where=where,
            local_graphs=self.store.graph_names(),
            allow_service=allow_service,
            bindings=params,
        )
        if allow_service:
            raise KgError(
                Problem(
                    where, f"federated queries are not supported by the {self.store.name} store"
                )
            )
        return self._evaluate(prepared, timeout)

    def _evaluate(self, prepared: PreparedQuery, timeout: float | None) -> Table | bool | Graph:
        if prepared.form == "SELECT":
            return self.store.select(prepared, timeout)
        if prepared.form == "ASK":
            return self.store.ask(prepared, timeout)
        return self.store.construct(prepared, timeout)

    def _library(self, name: str, params: dict[str, str]) -> PreparedQuery:
        """A library query checked and parsed once per parameters and graphs: parsing
        costs 15-60 ms, as much as Oxigraph needs to answer an aggregate at 10k cases."""
        q = named_query(name)
        bindings = q.bind({k: str(v) for k, v in params.items()})
        graphs = tuple(self.store.graph_names())
        key = (name, graphs, tuple(sorted((k, v.n3()) for k, v in bindings.items())))
        found = self._prepared.get(key)
        if found is None:
            if len(self._prepared) >= 256:  # e.g. similar-cases for every case
                self._prepared.clear()
            found = self._prepared[key] = prepare(
                q.text_for(self.store.engine),
                where=f"{name}.rq",
                local_graphs=list(graphs),
                bindings=bindings,
            )
        return found

    def named(
        self, name: str, *, timeout: float | None = DEFAULT_TIMEOUT, **params: str
    ) -> Table | bool | Graph:
        """Run a query of the library; parameters are given as strings, as on the CLI."""
        return self._evaluate(self._library(name, params), timeout)

    def select(self, name: str, *, timeout: float | None = None, **params: str) -> Table:
        """Rows of a library query. No deadline by default: the library's queries are
        ours and bind parameters as terms, and a large graph needs the time it needs
        (pass `timeout` to bound it anyway)."""
        result = self.named(name, timeout=timeout, **params)
        if not isinstance(result, Table):
            raise KgError(Problem(f"{name}.rq", "is not a SELECT query"))
        return result

    def values(self, name: str, *, timeout: float | None = None, **params: str) -> Values:
        """Rows of a library SELECT as plain strings (`kg.store.stores.Values`): the lean form
        that patterns and networks read large edge lists with."""
        prepared = self._library(name, params)
        if prepared.form != "SELECT":
            raise KgError(Problem(f"{name}.rq", "is not a SELECT query"))
        return self.store.values(prepared, timeout)

    # -- analysis --
    def patterns(self, **options) -> Patterns:
        from kg.analysis.patterns import find_patterns

        return find_patterns(self, **options)

    def bipartite_graph(self) -> nx.Graph:
        from kg.analysis.networks import case_mechanism_graph

        return case_mechanism_graph(self)

    def cooccurrence_graph(self) -> nx.Graph:
        from kg.analysis.networks import cooccurrence_graph

        return cooccurrence_graph(self)

    def similarity_graph(self, min_shared: int = 1) -> nx.Graph:
        from kg.analysis.networks import similarity_graph

        return similarity_graph(self, min_shared=min_shared)
