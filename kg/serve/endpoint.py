"""`kg serve`: make and run the endpoint (a `Server` with the protocol's `Handler`).

server = make_server(graph, port=0)        # binds 127.0.0.1 on a free port
threading.Thread(target=server.serve_forever, daemon=True).start()
print(server.url + "/sparql")
...
server.shutdown(); server.server_close()
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import TextIO

from kg.core.errors import KgError, Problem, option
from kg.query.graph import QueryGraph
from kg.query.params import check_timeout
from kg.serve.execute import DEFAULT_MAX_ROWS
from kg.serve.http import Handler
from kg.serve.server import (
    DEFAULT_MAX_BODY,
    DEFAULT_MAX_MEMORY,
    DEFAULT_MAX_REPLY,
    DEFAULT_PORT,
    DEFAULT_TIMEOUT,
    Server,
    is_loopback,
)


def make_server(
    graph: QueryGraph,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    timeout: float = DEFAULT_TIMEOUT,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_body: int = DEFAULT_MAX_BODY,
    allow_remote: bool = False,
    workers: int | None = None,
    max_memory: int | None = DEFAULT_MAX_MEMORY,
    max_reply: int = DEFAULT_MAX_REPLY,
    log_requests: bool = False,
    stderr: TextIO | None = None,
    site: Path | None = None,
) -> Server:
    """A bound (not yet serving) endpoint over `graph`; call `serve_forever()` to run it.

    Only loopback addresses unless `allow_remote`, which prints a warning instead.
    """
    if not is_loopback(host):
        if not allow_remote:
            raise KgError(
                Problem(
                    option("host"),
                    f"{host} is not a loopback address: the endpoint would be reachable "
                    "from other machines",
                    hint=f"pass {option('allow_remote', True)} to serve on other interfaces",
                )
            )
        print(
            f"warning: serving on {host}: anyone who can reach this address can query the "
            "graph (read-only, no authentication, CORS open to every web page)",
            file=stderr or sys.stderr,
        )
    if check_timeout(timeout) is None:
        raise KgError(Problem(option("timeout"), "must be a positive number of seconds"))
    if max_rows < 1:
        raise KgError(Problem(option("max_rows"), "must be at least 1"))
    if max_body < 1024:
        raise KgError(Problem(option("max_body"), "must be at least 1024 bytes"))
    if max_reply < 1024:
        raise KgError(Problem(option("max_reply"), "must be at least 1024 bytes"))
    if site is not None and not (site / "index.html").is_file():
        raise KgError(
            Problem(
                option("site"),
                f"{site} holds no research site (no index.html)",
                hint="write one with `kg site` (or `make run`), or leave the option out",
            )
        )
    try:
        return Server(
            graph,
            host=host,
            port=port,
            timeout=timeout,
            max_rows=max_rows,
            max_body=max_body,
            workers=workers,
            max_memory=max_memory,
            max_reply=max_reply,
            log_requests=log_requests,
            site=site,
            handler=Handler,
        )
    except OSError as exc:
        raise KgError(
            Problem(
                f"{host}:{port}",
                f"cannot listen: {exc.strerror or exc}",
                hint=f"choose another {option('port')}, or stop the program that uses it",
            )
        ) from None


def serve(
    graph: QueryGraph,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    timeout: float = DEFAULT_TIMEOUT,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_body: int = DEFAULT_MAX_BODY,
    allow_remote: bool = False,
    workers: int | None = None,
    max_reply: int = DEFAULT_MAX_REPLY,
    log_requests: bool = True,
    out: TextIO | None = None,
    site: Path | None = None,
) -> None:
    """Serve until Ctrl-C, printing the URLs first."""
    out = out or sys.stdout
    server = make_server(
        graph,
        host=host,
        port=port,
        timeout=timeout,
        max_rows=max_rows,
        max_body=max_body,
        allow_remote=allow_remote,
        workers=workers,
        max_reply=max_reply,
        log_requests=log_requests,
        site=site,
    )
    print(f"SPARQL endpoint: {server.url}/sparql", file=out)
    print(f"query page:      {server.url}/", file=out)
    if site is not None:
        print(f"research site:   {server.url}/site/", file=out)
    print(
        f"read-only; a query stops after {timeout:g} s and returns at most {max_rows} rows. "
        "Press Ctrl-C to stop.",
        file=out,
        flush=True,
    )
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=out, flush=True)
    finally:
        server.server_close()


def _stop_on_sigterm(signum, frame) -> None:
    raise KeyboardInterrupt
