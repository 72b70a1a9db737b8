"""The endpoint's server: threads that parse requests, processes that run queries.

Every query runs in a child process forked from the server (the graph is inherited
copy-on-write) through `kg.core.isolate`: the child checks the query (read-only, no
SERVICE, no FROM outside the local graphs), evaluates it, serialises the answer and
sends the bytes back. On timeout the child is killed, which truly stops rdflib and
Oxigraph; the server never runs user SPARQL in its own process, so neither a runaway
evaluation nor a pathological parse (a 600 kB query can keep pyparsing busy for a
minute) can stall it. A child of a local store runs without the network (seccomp) and
with its address space capped at `max_memory` above what it inherited; it dies with
the server and after `timeout` + 2 s of CPU in any case. A fork costs about 3 ms;
the server calls `gc.freeze()` once so that the children's garbage collections do not
copy the inherited graph page by page.
"""

from __future__ import annotations

import contextlib
import gc
import ipaddress
import os
import socket
import socketserver
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from kg.core.errors import KgError
from kg.core.isolate import (
    ChildDied,
    Children,
    Limits,
    QueryTimeout,
    ReplyTooLarge,
    WithBytes,
    run_isolated,
)
from kg.query.graph import QueryGraph
from kg.query.library import named_queries
from kg.serve.execute import DEFAULT_MAX_ROWS, reply_for_exception
from kg.serve.replies import Reply, error_reply

DEFAULT_PORT = 7878
DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_BODY = 1_000_000
DEFAULT_MAX_MEMORY = 2 * 1024**3
DEFAULT_MAX_REPLY = 64 * 1024**2  # bytes a query's reply may have (held once, in memory)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Server(ThreadingHTTPServer):
    """A threaded HTTP server answering SPARQL over one `QueryGraph`.

    Handler threads parse requests and wait; queries run in forked child processes, at
    most `workers` at a time (a request waits up to `timeout` s for a slot, then 503).
    """

    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        graph: QueryGraph,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        timeout: float = DEFAULT_TIMEOUT,
        max_rows: int = DEFAULT_MAX_ROWS,
        max_body: int = DEFAULT_MAX_BODY,
        workers: int | None = None,
        max_memory: int | None = DEFAULT_MAX_MEMORY,
        max_reply: int = DEFAULT_MAX_REPLY,
        log_requests: bool = False,
        site: Path | None = None,
        handler: type[BaseHTTPRequestHandler],
    ):
        self.kg = graph
        self.site = site.resolve() if site is not None else None
        self.query_timeout = float(timeout)
        self.max_rows = int(max_rows)
        self.max_body = int(max_body)
        self.workers = workers or (os.cpu_count() or 2) * 2
        self.log_requests = log_requests
        # Only local stores are sandboxed: a remote store must reach its endpoint.
        self.limits = Limits(
            sandbox=not graph.store.network,
            max_memory=max_memory,
            max_reply=max_reply,
            strict=True,
        )
        self.children = Children()
        self._slots = threading.BoundedSemaphore(self.workers)
        self._lock = threading.Lock()
        self._cache: dict[tuple, Reply] = {}
        # Read everything the parent needs from the store now, before any thread or
        # child exists; after this the parent never touches the store again.
        self.graph_names = graph.graph_names()
        self.named = named_queries()
        self._warm_up()
        # Park everything that exists now outside the collector's reach, so that a
        # child's garbage collections do not write to (and so copy) the inherited graph.
        gc.collect()
        gc.freeze()
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.host = host
        self.loopback = is_loopback(host)
        super().__init__((host.strip("[]"), port), handler)

    def _warm_up(self) -> None:
        """Import and initialise rdflib's evaluator once, so every child inherits it."""
        with contextlib.suppress(KgError):
            self.kg.query("ASK { ?s ?p ?o }", timeout=None)
        for name, q in self.named.items():
            if not q.params:
                with contextlib.suppress(KgError):
                    self.kg.prepared_named(name, {})

    def accepts_host(self, host: str) -> bool:
        """Whether a request's Host header names this server. On loopback only loopback
        names are answered, so a page that rebinds its own domain name to 127.0.0.1
        (DNS rebinding) is refused; a server bound elsewhere answers to any name."""
        if not self.loopback:
            return True
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        name = name.strip("[]").lower()
        if name == "localhost" or name.endswith(".localhost"):
            return True
        try:
            return ipaddress.ip_address(name).is_loopback
        except ValueError:
            return False

    def server_bind(self) -> None:
        # skip HTTPServer's getfqdn(), which may wait on DNS
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.host, self.server_address[1]

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:7878 (no trailing slash)."""
        host = self.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.server_address[1]}"

    def handle_error(self, request, client_address) -> None:
        exc = sys.exc_info()[1]
        if not isinstance(exc, ConnectionError | TimeoutError):
            print(f"kg serve: error with {client_address[0]}: {exc!r}", file=sys.stderr)

    def server_close(self) -> None:
        super().server_close()
        self.children.kill_all()

    def cached(self, key: tuple, make: Callable[[], Reply]) -> Reply:
        with self._lock:
            found = self._cache.get(key)
        if found is None:
            found = make()
            if found.status == 200:
                with self._lock:
                    if len(self._cache) > 64:
                        self._cache.clear()
                    self._cache[key] = found
        return found

    # -- isolation --
    def run_isolated(
        self, work: Callable[[], Reply], timeout: float | None = None, text: bool = False
    ) -> Reply:
        """Run `work` in a forked child; kill it after `timeout` s (503)."""
        timeout = self.query_timeout if timeout is None else timeout
        if not self._slots.acquire(timeout=timeout):
            return error_reply(
                503,
                f"the server is busy: {self.workers} queries are running; try again",
                headers={"Retry-After": "1"},
                text=text,
            )

        def guarded() -> WithBytes:  # in the child: every failure becomes a reply
            try:
                reply = work()
            except BaseException as exc:
                reply = reply_for_exception(exc, text)
            return WithBytes(Reply(reply.status, reply.headers), reply.body)

        try:
            answer = run_isolated(
                guarded, timeout, "query", limits=self.limits, children=self.children
            )
            return Reply(answer.value.status, answer.value.headers, answer.data)
        except QueryTimeout:
            return error_reply(
                503,
                f"query did not finish within {timeout:g} s and was cancelled",
                hint="narrow the query (LIMIT, more specific patterns) or ask for a "
                "longer --timeout",
                text=text,
            )
        except ReplyTooLarge:
            return error_reply(
                500,
                f"the answer is larger than {self.limits.max_reply:,} bytes",
                hint="ask for fewer rows or shorter values",
                text=text,
            )
        except ChildDied as exc:
            return error_reply(500, exc.problems[0].message, text=text)
        except KgError as exc:  # no process to spare
            return error_reply(503, exc.problems[0].message, text=text)
        finally:
            self._slots.release()
