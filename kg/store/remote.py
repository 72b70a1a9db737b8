"""A remote SPARQL 1.1 Protocol endpoint (Oxigraph server, Virtuoso, Fuseki, GraphDB).

Answers are read as they arrive and parsed by pyoxigraph's streaming readers: a row cap
asks the endpoint for one row more than the cap (`with_row_limit`) and stops reading
there, and the deadline holds for the whole answer, not for each network read.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

from rdflib import Dataset

from kg.core.errors import KgError, Problem, option
from kg.core.isolate import timed_out
from kg.store.base import DEFAULT_TIMEOUT, Graphs, Quad, Triples, capped, dataset_from_quads
from kg.store.oxigraph import TermCache
from kg.store.rows import Table, Values
from kg.store.sparql import PreparedQuery
from kg.store.sparqltext import with_row_limit

REMOTE_TIMEOUT = 30.0
_JSON = "application/sparql-results+json"
_NTRIPLES = "application/n-triples"


@dataclass
class _Deadline:
    timeout: float | None

    def __post_init__(self) -> None:
        self.at = None if self.timeout is None else time.monotonic() + self.timeout

    def left(self) -> float | None:
        return None if self.at is None else self.at - time.monotonic()

    def check(self) -> None:
        left = self.left()
        if left is not None and left <= 0:
            raise timed_out(self.timeout or 0, "query")


class RemoteStore:
    """A SPARQL endpoint whose default graph is the union of the named graphs
    (Virtuoso's default; `oxigraph serve --union-default-graph`; Fuseki's
    unionDefaultGraph). Queries are checked locally first, like on every store;
    `timeout` bounds every request that has no deadline of its own."""

    name = "sparql"
    engine = "sparql"
    network = True  # reaches the network to answer (an endpoint may not sandbox it)

    def __init__(self, url: str, *, timeout: float = REMOTE_TIMEOUT):
        if not url.startswith(("http://", "https://")):
            raise KgError(
                Problem(
                    option("store"),
                    f"{url!r} is not an http(s) URL",
                    hint="give the query endpoint as sparql:http://HOST:PORT/query",
                )
            )
        self.url = url
        self.timeout = timeout

    # -- the protocol --
    def _open(self, query: str, accept: str, deadline: _Deadline, graphs: Graphs | None):
        fields = [("query", query)]
        if graphs is not None:
            fields += [("default-graph-uri", g) for g in graphs.default]
            fields += [("named-graph-uri", g) for g in graphs.named]
        request = urllib.request.Request(
            self.url,
            data=urllib.parse.urlencode(fields).encode(),
            method="POST",
            headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
        )
        left = deadline.left()
        wait = self.timeout if left is None else max(0.001, min(left, self.timeout))
        try:
            return urllib.request.urlopen(request, timeout=wait)  # noqa: S310
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace").strip()
            raise KgError(
                Problem(self.url, f"endpoint answered HTTP {exc.code}: {detail}")
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError) and deadline.left() is not None:
                deadline.check()
            raise KgError(
                Problem(
                    self.url,
                    f"cannot reach the endpoint: {reason}",
                    hint="check that the server runs and the URL is its query "
                    f"endpoint (timeout {wait:g} s)",
                )
            ) from None

    def _stream(self, response, deadline: _Deadline, parse) -> Iterator:
        """Items parsed from `response`, checking the deadline between them."""
        sock = getattr(getattr(response, "fp", None), "raw", None)
        try:
            for item in parse(response):
                deadline.check()
                left = deadline.left()
                # a response read to its end has let go of its socket (_sock is None)
                raw = getattr(sock, "_sock", None)
                if left is not None and raw is not None:
                    raw.settimeout(max(0.001, left))
                yield item
        except (SyntaxError, ValueError) as exc:
            raise KgError(Problem(self.url, f"malformed answer from the endpoint: {exc}")) from None
        except (TimeoutError, OSError) as exc:
            deadline.check()
            raise KgError(Problem(self.url, f"the answer broke off: {exc}")) from None
        finally:
            response.close()

    def _solutions(
        self, text: str, deadline: _Deadline, graphs: Graphs | None = None
    ) -> tuple[list[str], Iterator]:
        import pyoxigraph as ox

        response = self._open(text, _JSON, deadline, graphs)
        try:
            solutions = ox.parse_query_results(response, format=ox.QueryResultsFormat.JSON)
        except (SyntaxError, ValueError) as exc:
            response.close()
            raise KgError(
                Problem(
                    self.url, f"endpoint answered something that is not SPARQL JSON results: {exc}"
                )
            ) from None
        if isinstance(solutions, ox.QueryBoolean):
            response.close()
            raise KgError(Problem(self.url, "the endpoint answered true/false to a SELECT"))
        names = [v.value for v in solutions.variables]
        return names, self._stream(response, deadline, lambda _: solutions)

    def _rows(self, query, timeout, max_rows, graphs, cell) -> tuple[list[str], list, bool]:
        deadline = _Deadline(timeout)
        limit = None if max_rows is None else max_rows + 1
        text = query.text if limit is None else with_row_limit(query.text, limit)
        names, solutions = self._solutions(text, deadline, graphs)
        rows = []
        for solution in solutions:
            rows.append(tuple(cell(solution[n]) for n in names))
            if limit is not None and len(rows) >= limit:
                solutions.close()
                break
        if max_rows is not None and len(rows) > max_rows:
            return names, rows[:max_rows], True
        return names, rows, False

    # -- the Store interface --
    def graph_names(self) -> list[str]:
        text = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
        _, solutions = self._solutions(text, _Deadline(None))
        return sorted(s["g"].value for s in solutions)

    def select(
        self,
        query: PreparedQuery,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_rows: int | None = None,
        graphs: Graphs | None = None,
    ) -> Table:
        names, rows, truncated = self._rows(query, timeout, max_rows, graphs, TermCache())
        return Table(names, rows, truncated)

    def values(
        self,
        query: PreparedQuery,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_rows: int | None = None,
    ) -> Values:
        names, rows, truncated = self._rows(
            query, timeout, max_rows, None, lambda t: None if t is None else t.value
        )
        return Values(names, rows, truncated)

    def ask(
        self,
        query: PreparedQuery,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        graphs: Graphs | None = None,
    ) -> bool:
        import pyoxigraph as ox

        response = self._open(query.text, _JSON, _Deadline(timeout), graphs)
        try:
            answer = ox.parse_query_results(response, format=ox.QueryResultsFormat.JSON)
        except (SyntaxError, ValueError) as exc:
            raise KgError(Problem(self.url, f"malformed ASK result: {exc}")) from None
        finally:
            response.close()
        if not isinstance(answer, ox.QueryBoolean):
            raise KgError(Problem(self.url, "malformed ASK result: no boolean"))
        return bool(answer)

    def construct(
        self,
        query: PreparedQuery,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_rows: int | None = None,
        graphs: Graphs | None = None,
    ) -> Triples:
        import pyoxigraph as ox

        deadline = _Deadline(timeout)
        response = self._open(query.text, _NTRIPLES, deadline, graphs)
        convert = TermCache()

        def parse(stream):
            for quad in ox.parse(stream, format=ox.RdfFormat.N_TRIPLES):
                yield convert(quad.subject), convert(quad.predicate), convert(quad.object)

        triples = self._stream(response, deadline, parse)
        try:
            return capped(triples, max_rows)
        finally:
            triples.close()

    def quads(self) -> Iterator[Quad]:
        text = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
        names, solutions = self._solutions(text, _Deadline(None))
        convert = TermCache()
        for solution in solutions:
            yield tuple(convert(solution[n]) for n in names)  # type: ignore[misc]

    def to_dataset(self) -> Dataset:
        return dataset_from_quads(self.quads())
