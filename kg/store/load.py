"""`kg load`: push a build into a persistent store, one named graph at a time.

Each source's graph is replaced atomically: into Oxigraph through a staging graph
and one transactional MOVE; into a remote endpoint with a Graph Store Protocol PUT
(which replaces the graph whole). Reloading the same build changes nothing.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

from kg.core.errors import KgError, Problem, option
from kg.core.rdfio import oxigraph_input, term_too_large
from kg.store.oxigraph import write_folder
from kg.store.remote import REMOTE_TIMEOUT

_STAGING = "urn:renda-kg:staging:"


def _graphs(path: Path) -> dict[str, list]:
    """The quads of a TriG or N-Quads file, grouped by named graph."""
    import pyoxigraph as ox

    formats = {".trig": ox.RdfFormat.TRIG, ".nq": ox.RdfFormat.N_QUADS}
    if path.suffix not in formats:
        raise KgError(
            Problem(
                str(path),
                "kg load needs a .trig or .nq build (named graphs)",
                hint=f"give the TriG of a build as {option('graph_file')} (build/kg.trig)",
            )
        )
    groups: dict[str, list] = defaultdict(list)
    source = oxigraph_input(path)
    try:
        for quad in ox.parse(**source, format=formats[path.suffix]):
            if isinstance(quad.graph_name, ox.DefaultGraph):
                raise KgError(
                    Problem(
                        str(path),
                        "holds triples outside any named graph",
                        hint="load a TriG written by kg build",
                    )
                )
            groups[quad.graph_name.value].append(quad)
    except MemoryError:
        raise term_too_large(path) from None
    except SyntaxError as exc:
        raise KgError(Problem(str(path), f"cannot parse: {exc}")) from None
    except OSError as exc:
        raise KgError(Problem(str(path), f"cannot read: {exc.strerror or exc}")) from None
    return dict(sorted(groups.items()))


def load_into_oxigraph(path: Path, folder: Path) -> dict[str, int]:
    """Replace each named graph of `path` in the Oxigraph store at `folder`."""
    import pyoxigraph as ox

    graphs = _graphs(path)  # first: a file that cannot be read creates or opens no store

    def replace(store) -> dict[str, int]:
        counts = {}
        for graph, quads in graphs.items():
            staging = ox.NamedNode(_STAGING + graph)
            store.update(f"DROP SILENT GRAPH <{staging.value}>")
            store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, staging) for q in quads)
            store.update(f"MOVE SILENT GRAPH <{staging.value}> TO GRAPH <{graph}>")
            counts[graph] = len(quads)
        return counts

    return write_folder(folder, replace)


def gsp_url(query_url: str) -> str:
    """Guess the Graph Store Protocol URL of an endpoint (Oxigraph: /query -> /store)."""
    if query_url.endswith("/query"):
        return query_url[: -len("/query")] + "/store"
    raise KgError(
        Problem(
            option("gsp"),
            f"cannot guess the Graph Store URL of {query_url}",
            hint=f"give {option('gsp', 'URL')} (Virtuoso: /sparql-graph-crud-auth)",
        )
    )


def load_into_endpoint(
    path: Path,
    store_url: str,
    *,
    timeout: float = REMOTE_TIMEOUT,
    auth: tuple[str, str] | None = None,
) -> dict[str, int]:
    """PUT each named graph of `path` to a Graph Store Protocol endpoint."""
    import pyoxigraph as ox

    opener = urllib.request.build_opener()
    if auth:
        manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        manager.add_password(None, store_url, *auth)
        opener = urllib.request.build_opener(
            urllib.request.HTTPDigestAuthHandler(manager),
            urllib.request.HTTPBasicAuthHandler(manager),
        )
    counts = {}
    for graph, quads in _graphs(path).items():
        body = ox.serialize(
            (ox.Triple(q.subject, q.predicate, q.object) for q in quads),
            format=ox.RdfFormat.N_TRIPLES,
        )
        sep = "&" if "?" in store_url else "?"
        url = f"{store_url}{sep}graph={urllib.parse.quote(graph, safe='')}"
        request = urllib.request.Request(
            url, data=body, method="PUT", headers={"Content-Type": "application/n-triples"}
        )
        try:
            with opener.open(request, timeout=timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:200].decode("utf-8", "replace")
            raise KgError(Problem(url, f"graph store answered HTTP {exc.code}: {detail}")) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise KgError(
                Problem(store_url, f"cannot reach the graph store: {getattr(exc, 'reason', exc)}")
            ) from None
        counts[graph] = len(quads)
    return counts


def load_build(
    path: Path,
    spec: str,
    *,
    gsp: str | None = None,
    timeout: float = REMOTE_TIMEOUT,
    auth: tuple[str, str] | None = None,
) -> dict[str, int]:
    """Load a build into `--store` spec: `oxigraph:DIR` or `sparql:URL`."""
    kind, _, arg = spec.partition(":")
    if kind == "oxigraph" and arg:
        return load_into_oxigraph(path, Path(arg))
    if kind == "sparql" and arg:
        return load_into_endpoint(path, gsp or gsp_url(arg), timeout=timeout, auth=auth)
    raise KgError(
        Problem(
            option("store"),
            f"cannot load into {spec!r}",
            hint="load into a persistent store: oxigraph:DIR or sparql:URL",
        )
    )
