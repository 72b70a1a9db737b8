"""Stores that answer checked queries. The in-memory rdflib store is the default.

Neither engine can cancel a running query, so queries with a timeout run where they can
be abandoned. The rdflib store evaluates in a forked child process that is killed at
the deadline (`kg.core.isolate.run_isolated`): rdflib may hold the GIL for the whole of a
catastrophic REGEX, so a watchdog thread could not even wake up. Oxigraph releases the
GIL, so its queries run in a daemon thread that is abandoned at the deadline (it never
keeps the process alive).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import rdflib.plugins.sparql
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import XSD

from kg.core.errors import KgError, Problem
from kg.core.isolate import run_in_thread, run_isolated
from kg.core.namespaces import bind_prefixes
from kg.query.writers import Table
from kg.store.sparql import PreparedQuery

# rdflib would otherwise fetch FROM/FROM NAMED graphs from the web or the disk.
rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False

DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Values:
    """The rows of a SELECT as plain strings (IRIs, lexical forms; None where unbound).

    The lean form for analyses that read hundreds of thousands of rows, where building
    rdflib terms costs more than Oxigraph's evaluation (case-tags at 10k cases: 0.126 s as
    terms, 0.091 s as strings, 0.039 s in the engine). Languages and datatypes are
    dropped: ask for them as columns.
    """

    variables: list[str]
    rows: list[tuple[str | None, ...]]

    @classmethod
    def of(cls, table: Table) -> Values:
        """The strings of a table of terms (stores without a cheaper path)."""
        rows = [tuple(None if t is None else str(t) for t in row) for row in table.rows]
        return cls(table.variables, rows)


class MemoryStore:
    """An rdflib Dataset in memory; its default graph is the union of the named graphs."""

    name = "memory"
    engine = "rdflib"  # picks the library's query variants (kg.query.library)

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

    def _result(self, query: PreparedQuery):
        return self.dataset.query(query.algebra or query.text)

    # With a timeout, each query is evaluated in a forked child (see kg.core.isolate): only
    # killing a process stops rdflib, which may hold the GIL for a whole REGEX match.
    def select(self, query: PreparedQuery, timeout: float | None = DEFAULT_TIMEOUT) -> Table:
        def work() -> Table:
            result = self._result(query)
            names = [str(v) for v in result.vars or []]
            return Table(names, [tuple(row) for row in result])

        return run_isolated(work, timeout, "query")

    def values(self, query: PreparedQuery, timeout: float | None = DEFAULT_TIMEOUT) -> Values:
        return Values.of(self.select(query, timeout))

    def ask(self, query: PreparedQuery, timeout: float | None = DEFAULT_TIMEOUT) -> bool:
        return run_isolated(lambda: bool(self._result(query).askAnswer), timeout, "query")

    def construct(self, query: PreparedQuery, timeout: float | None = DEFAULT_TIMEOUT) -> Graph:
        # the triples travel from the child as a list; the Graph is built here
        triples = run_isolated(lambda: list(self._result(query)), timeout, "query")
        graph = Graph()
        bind_prefixes(graph.namespace_manager)
        for triple in triples:
            graph.add(triple)
        return graph


# -- Oxigraph --


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


_OX_FORMATS = {".trig": "TRIG", ".nq": "N_QUADS", ".ttl": "TURTLE", ".nt": "N_TRIPLES"}


class OxigraphStore:
    """pyoxigraph in memory or in a folder; the default graph is the union of named graphs.

    Oxigraph evaluates SPARQL one to two orders of magnitude faster than rdflib
    (MEASUREMENTS.md), so it is the store for large graphs.
    """

    name = "oxigraph"
    engine = "oxigraph"

    def __init__(self, path: Path | None = None):
        import pyoxigraph as ox

        self.path = path
        self.store = ox.Store(str(path)) if path is not None else ox.Store()

    @classmethod
    def from_file(cls, path: Path, into: Path | None = None) -> OxigraphStore:
        """Bulk-load a TriG, N-Quads, Turtle or N-Triples file."""
        import pyoxigraph as ox

        fmt = _OX_FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise KgError(
                Problem(
                    str(path),
                    f"Oxigraph cannot load {path.suffix!r} files",
                    hint="use .trig, .nq, .ttl or .nt",
                )
            )
        store = cls(into)
        try:
            with path.open("rb") as handle:
                bom = handle.read(3) == b"\xef\xbb\xbf"  # skipped, as by every other reader
            source = {"input": path.read_bytes()[3:]} if bom else {"path": str(path)}
            store.store.bulk_load(**source, format=getattr(ox.RdfFormat, fmt))
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

    def _run(self, query: PreparedQuery):
        try:
            # the union is the default graph, unless the query names its own (FROM)
            return self.store.query(query.text, use_default_graph_as_union=not query.has_dataset)
        except SyntaxError as exc:
            raise KgError(Problem("query", f"SPARQL syntax error: {exc}")) from None

    def select(self, query: PreparedQuery, timeout: float | None = DEFAULT_TIMEOUT) -> Table:
        def work() -> Table:
            solutions = self._run(query)
            names = [v.value for v in solutions.variables]
            # Converting terms is most of the cost of a long result, and IRIs and labels
            # repeat from row to row: convert each distinct term once (4x at 70k rows).
            seen: dict = {}

            def convert(term):
                found = seen.get(term)
                if found is None and term is not None:
                    found = seen[term] = to_rdflib(term)
                return found

            rows = [tuple(map(convert, solution)) for solution in solutions]
            return Table(names, rows)

        return run_in_thread(work, timeout, "query")

    def values(self, query: PreparedQuery, timeout: float | None = DEFAULT_TIMEOUT) -> Values:
        def work() -> Values:
            solutions = self._run(query)
            names = [v.value for v in solutions.variables]
            rows = [tuple(None if t is None else t.value for t in s) for s in solutions]
            return Values(names, rows)

        return run_in_thread(work, timeout, "query")

    def ask(self, query: PreparedQuery, timeout: float | None = DEFAULT_TIMEOUT) -> bool:
        return run_in_thread(lambda: bool(self._run(query)), timeout, "query")

    def construct(self, query: PreparedQuery, timeout: float | None = DEFAULT_TIMEOUT) -> Graph:
        def work() -> Graph:
            graph = Graph()
            bind_prefixes(graph.namespace_manager)
            for t in self._run(query):
                graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
            return graph

        return run_in_thread(work, timeout, "query")


# -- a remote SPARQL 1.1 endpoint --

REMOTE_TIMEOUT = 30.0


class RemoteStore:
    """A SPARQL 1.1 Protocol endpoint (Oxigraph server, Virtuoso, Fuseki, GraphDB).

    Its default graph must be the union of the named graphs (Virtuoso's default;
    `oxigraph serve --union-default-graph`; Fuseki's unionDefaultGraph). Queries are
    checked locally first, like on every store; every request has a timeout.
    """

    name = "sparql"
    engine = "sparql"

    def __init__(self, url: str, *, timeout: float = REMOTE_TIMEOUT):
        if not url.startswith(("http://", "https://")):
            raise KgError(
                Problem(
                    "--store",
                    f"{url!r} is not an http(s) URL",
                    hint="use --store sparql:http://HOST:PORT/query",
                )
            )
        self.url = url
        self.timeout = timeout

    def _request(self, query: str, accept: str) -> bytes:
        import urllib.error
        import urllib.parse
        import urllib.request

        body = urllib.parse.urlencode({"query": query}).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace").strip()
            raise KgError(
                Problem(self.url, f"endpoint answered HTTP {exc.code}: {detail}")
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise KgError(
                Problem(
                    self.url,
                    f"cannot reach the endpoint: {reason}",
                    hint="check that the server runs and the URL is its query "
                    f"endpoint (timeout {self.timeout:g} s)",
                )
            ) from None

    def _json(self, query: str) -> dict:
        import json

        data = self._request(query, "application/sparql-results+json")
        try:
            return json.loads(data)
        except ValueError:
            raise KgError(
                Problem(
                    self.url,
                    f"endpoint answered something that is not SPARQL JSON results: {data[:80]!r}",
                )
            ) from None

    def graph_names(self) -> list[str]:
        doc = self._json("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return sorted(b["g"]["value"] for b in doc.get("results", {}).get("bindings", []))

    def select(self, query: PreparedQuery, timeout: float | None = DEFAULT_TIMEOUT) -> Table:
        doc = self._json(query.text)
        try:
            names = doc["head"]["vars"]
            rows = [tuple(_from_json(b.get(n)) for n in names) for b in doc["results"]["bindings"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise KgError(Problem(self.url, f"malformed SPARQL JSON results: {exc}")) from None
        return Table(names, rows)

    def values(self, query: PreparedQuery, timeout: float | None = DEFAULT_TIMEOUT) -> Values:
        return Values.of(self.select(query, timeout))

    def ask(self, query: PreparedQuery, timeout: float | None = DEFAULT_TIMEOUT) -> bool:
        doc = self._json(query.text)
        if not isinstance(doc.get("boolean"), bool):
            raise KgError(Problem(self.url, "malformed ASK result: no boolean"))
        return doc["boolean"]

    def construct(self, query: PreparedQuery, timeout: float | None = DEFAULT_TIMEOUT) -> Graph:
        data = self._request(query.text, "application/n-triples")
        graph = Graph()
        bind_prefixes(graph.namespace_manager)
        try:
            graph.parse(data=data.decode("utf-8"), format="nt")
        except Exception as exc:
            raise KgError(Problem(self.url, f"endpoint sent unreadable N-Triples: {exc}")) from None
        return graph


def _from_json(cell: dict | None):
    if cell is None:
        return None
    kind, value = cell["type"], cell["value"]
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in cell:
            return Literal(value, lang=cell["xml:lang"])
        if cell.get("datatype") and cell["datatype"] != str(XSD.string):
            return Literal(value, datatype=URIRef(cell["datatype"]))
        return Literal(value)
    raise ValueError(f"unknown term type {kind!r}")


def open_store(spec: str, *, graph_file: Path | None = None, timeout: float = REMOTE_TIMEOUT):
    """A store from `--store`: memory | oxigraph | oxigraph:DIR | sparql:URL.

    `memory` and `oxigraph` load `graph_file`; `oxigraph:DIR` opens a persistent store
    filled by `kg load`; `sparql:URL` talks to a running endpoint.
    """
    kind, _, arg = spec.partition(":")
    if kind == "memory" and not arg:
        return MemoryStore.from_file(graph_file) if graph_file else None
    if kind == "oxigraph" and not arg:
        return OxigraphStore.from_file(graph_file) if graph_file else None
    if kind == "oxigraph":
        folder = Path(arg)
        if not folder.is_dir():
            raise KgError(
                Problem(
                    arg,
                    "no Oxigraph store in this folder",
                    hint=f"fill it first: kg load --store oxigraph:{arg}",
                )
            )
        try:
            return OxigraphStore(folder)
        except OSError as exc:
            raise KgError(Problem(arg, f"cannot open the Oxigraph store: {exc}")) from None
    if kind == "sparql" and arg:
        return RemoteStore(arg, timeout=timeout)
    raise KgError(
        Problem(
            "--store",
            f"unknown store {spec!r}",
            hint="use memory, oxigraph, oxigraph:DIR or sparql:URL",
        )
    )
