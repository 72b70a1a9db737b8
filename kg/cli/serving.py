"""`kg serve`: the read-only SPARQL endpoint."""

from __future__ import annotations

from pathlib import Path

import click

from kg.cli.options import GraphSource, finish_checks, graph_options


@click.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=7878,
    show_default=True,
    help="TCP port (0: any free port).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind; anything but loopback needs --allow-remote.",
)
@click.option(
    "--allow-remote", is_flag=True, help="Allow binding a non-loopback address (prints a warning)."
)
@click.option(
    "--timeout",
    type=float,
    default=5.0,
    show_default=True,
    help="Seconds a query may run before it is cancelled.",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Rows per result; more are cut (X-Truncated: true).",
)
@click.option(
    "--max-body",
    type=click.IntRange(min=1),
    default=1_000_000,
    show_default=True,
    help="Largest request body in bytes (413 above).",
)
@click.option(
    "--max-reply",
    type=click.IntRange(min=1),
    default=64 * 1024**2,
    show_default=True,
    help="Largest reply to one query in bytes (500 above); a reply is held in memory once.",
)
@click.option(
    "--workers", type=click.IntRange(min=1), help="Queries run at once (default: twice the cores)."
)
@click.option(
    "--site",
    type=click.Path(path_type=Path, file_okay=False),
    help="Serve this research site (kg site's folder) at /site/. "
    "Default: ROOT/build/site when it exists.",
)
@graph_options
def serve(
    port: int,
    host: str,
    allow_remote: bool,
    timeout: float,
    max_rows: int,
    max_body: int,
    max_reply: int,
    workers: int | None,
    site: Path | None,
    source: GraphSource,
) -> None:
    """Serve a read-only SPARQL 1.1 endpoint at /sparql and a query page at /.

    Updates are refused (403); SERVICE, LOAD and FROM <url> never reach the network or
    the disk; each query runs in its own process and is cancelled after --timeout. The
    research site, when there is one, is served read-only at /site/.
    """
    from kg.serve.endpoint import serve as run_server

    if site is None and (source.root / "build" / "site" / "index.html").is_file():
        site = source.root / "build" / "site"

    graph = source.load()
    finish_checks()  # a server runs until stopped: its warnings come before it starts
    run_server(
        graph,
        host=host,
        port=port,
        timeout=timeout,
        max_rows=max_rows,
        max_body=max_body,
        allow_remote=allow_remote,
        workers=workers,
        max_reply=max_reply,
        site=site,
    )
