"""`kg site`: write the browsable research site (a thin shell over `kg.api.write_site`)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from kg.cli.options import GraphSource, graph_options, out_folder


@click.command()
@out_folder("build/site", "Folder for the site.")
@graph_options
def site(out_dir: Path, source: GraphSource) -> None:
    """Write the research site: case, source, mechanism, body, place and batch pages, the
    case list, the county map and the network views (static, offline, zh/en)."""
    from kg.api import write_site

    started = time.perf_counter()
    report = write_site(source.load(), out_dir, root=source.root)
    kinds = ", ".join(f"{n} {kind}" for kind, n in report.pages.items())
    click.echo(
        f"wrote {sum(report.pages.values())} pages ({kinds}) and "
        f"{report.files - sum(report.pages.values())} assets, {report.size:,} bytes, to "
        f"{out_dir} in {time.perf_counter() - started:.2f} s; open {out_dir / 'index.html'}"
    )
