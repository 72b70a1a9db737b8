"""Commands that write files from the graph: views, figures, exports, docs, releases."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from kg.cli.options import GraphSource, emit, graph_options, out_folder, report
from kg.core.about import __version__
from kg.core.errors import KgError
from kg.core.formats import NETWORKS, RDF, TABLES, find, names

EXPORT_FORMATS = names(RDF) + names(NETWORKS) + names(TABLES)


@click.command()
@out_folder("build/views", "Folder for the pages.")
@graph_options
def render(out_dir: Path, source: GraphSource) -> None:
    """Write the interactive network views (offline HTML) and their index page."""
    from kg.outputs.render import render_all

    started = time.perf_counter()
    pages = render_all(source.load(), out_dir)
    for page in pages:
        if page.view is not None and page.path.parent.name != "cases":
            click.echo(
                f"  {page.path}  {page.size:,} bytes, {len(page.view.nodes)} nodes, "
                f"{len(page.view.edges)} edges"
            )
    click.echo(
        f"wrote {len(pages)} pages to {out_dir} in {time.perf_counter() - started:.2f} s"
        f"; open {out_dir / 'index.html'}"
    )


@click.command()
@out_folder("build/figures", "Folder for the figures.")
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the labels.",
)
@graph_options
def figures(out_dir: Path, lang: str, source: GraphSource) -> None:
    """Write static figures for papers (PNG and SVG): mechanism frequency, case x mechanism."""
    from kg.outputs.figures import write_figures

    for path in write_figures(source.load(), out_dir, lang=lang):
        click.echo(f"  wrote {path}")


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPORT_FORMATS),
    required=True,
    help="ttl, nt, nq, trig, jsonld, xml (RDF); graphml, gexf (Gephi); csv, dta, parquet (tables).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    help="Target file (a folder for csv). Default: build/export/kg.<ext> or build/export/csv/.",
)
@click.option("--force", is_flag=True, help="Replace existing files.")
@click.option("--excel", is_flag=True, help="CSV: start with a UTF-8 BOM so Excel reads Chinese.")
@click.option(
    "--network",
    "network_name",
    type=click.Choice(["graph", "case-mechanism", "cooccurrence", "similarity"]),
    default="graph",
    show_default=True,
    help="graphml/gexf: the typed graph, or the case-mechanism, co-occurrence or "
    "similarity network.",
)
@graph_options
def export(
    fmt: str, out: Path | None, force: bool, excel: bool, network_name: str, source: GraphSource
) -> None:
    """Export the graph for Protégé, Gephi, triplestores, pandas/R/Stata/Excel.

    RDF keeps one named graph per source in nq and trig; JSON-LD carries its context
    inline (nothing is fetched). Tables (csv; dta and parquet with the extra `tables`)
    come with codebook.csv and codebook.md; CSV cells that start with = + - @ are made
    inert.
    """
    from kg.outputs.export import export as export_graph

    if out is None:
        stem = "kg" if network_name == "graph" else network_name
        suffix = (find(RDF, fmt) or find(NETWORKS, fmt) or find(TABLES, fmt)).suffix
        out = Path("build/export") / (fmt if find(TABLES, fmt) else f"{stem}{suffix}")
    for path in export_graph(
        source.load(), fmt, out, force=force, excel=excel, network_name=network_name
    ):
        click.echo(f"  wrote {path}  {path.stat().st_size:,} bytes")


@click.command()
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("build/docs/index.html"),
    show_default=True,
    help="The HTML page.",
)
@graph_options
def docs(out_file: Path, source: GraphSource) -> None:
    """Write HTML documentation of the ontology and vocabularies (offline, zh/en)."""
    from kg.outputs.docs import render_docs

    emit(render_docs(source.load()), out_file)


@click.command()
@out_folder("build/release", "Folder that receives renda-kg-VERSION/.", name="out_root")
@click.option(
    "--version",
    "version",
    default=__version__,
    show_default=True,
    help="Version label of the release.",
)
@click.option("--force", is_flag=True, help="Replace an existing release of that version.")
@graph_options
def release(out_root: Path, version: str, force: bool, source: GraphSource) -> None:
    """Write a versioned release: every format, docs, VoID/DCAT, checksums.

    The same graph gives the same bytes; CANONICAL holds an RDFC-1.0 checksum that
    compares two releases independent of serialisation.
    """
    from kg.outputs.release import make_release

    target = make_release(source.load(), out_root, version=version, force=force, root=source.root)
    click.echo(f"wrote {target}")
    click.echo((target / "CANONICAL").read_text(encoding="utf-8").rstrip())


@click.command()
@click.argument("before", type=click.Path(exists=True, path_type=Path))
@click.argument("after", type=click.Path(exists=True, path_type=Path))
@click.option("--summary", is_flag=True, help="Print the per-case summary and counts only.")
def diff(before: Path, after: Path, summary: bool) -> None:
    """List the quads added (+) and removed (-) between two builds or releases.

    BEFORE and AFTER are built files (.trig, .nq, .ttl, .nt) or release folders. Lines
    starting with # summarise each changed case (mechanisms tagged and untagged, fields
    changed); a side without named graphs (Turtle) is compared as triples.
    Exits 0 when the graphs are the same, 1 when they differ and 2 when one cannot be
    read, like diff(1), so scripts can tell a change from a failure.
    """
    from kg.outputs.release import diff_graphs

    try:
        result = diff_graphs(before, after)
    except KgError as exc:
        for problem in exc.problems:
            click.echo(report(problem), err=True)
        sys.exit(2)
    click.echo(result.summary(), nl=False)
    if not summary:
        click.echo(result.text(), nl=False)
    click.echo(f"{len(result.added)} added, {len(result.removed)} removed", err=True)
    sys.exit(0 if result.same else 1)
