"""The `kg` command: a thin shell over the Python API (parse options, call, print)."""

from __future__ import annotations

import functools
import json
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import click

from kg import __version__
from kg.core.errors import KgError, Problem

ROOT_OPTION = click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Project folder holding data/ and ontology/.",
)


class _Group(click.Group):
    """Turns `KgError` into a readable message and exit status 1, without a traceback."""

    def invoke(self, ctx: click.Context):
        warnings.formatwarning = lambda message, *args, **kwargs: f"warning: {message}\n"
        try:
            return super().invoke(ctx)
        except KgError as exc:
            for problem in exc.problems:
                click.echo(f"error: {problem}", err=True)
            sys.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="kg")
def main() -> None:
    """renda-kg: a knowledge graph of local people's congress innovation cases.

    Start with `kg build`, which builds the graph from data/, validates it and writes
    build/kg.ttl and build/kg.trig.
    """


@main.command()
@ROOT_OPTION
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build"),
    show_default=True,
    help="Folder for the output files.",
)
@click.option("--no-validate", is_flag=True, help="Skip validation (not recommended).")
def build(root: Path, out: Path, no_validate: bool) -> None:
    """Build the graph from data/, validate it, and write Turtle and TriG.

    Nothing is written unless validation passes, so OUT keeps its last good output.
    """
    from kg.build.publish import build_project, write_build

    started = time.perf_counter()
    result, report = build_project(root, check=not no_validate)
    if report is not None:
        if report.problems:
            click.echo(report.text(), err=True)
        if not report.conforms:
            click.echo(f"not written: {out} keeps its previous contents", err=True)
            sys.exit(1)
    written = write_build(result, out)
    stats = len(result.union())
    click.echo(
        f"built {len(result.inputs.cases)} cases, {stats} triples "
        f"in {time.perf_counter() - started:.2f} s"
    )
    for path in written:
        click.echo(f"  wrote {path}")


@main.command()
@ROOT_OPTION
def validate(root: Path) -> None:
    """Check records, evidence quotes, SHACL shapes and QC queries; exit 1 on any error."""
    from kg.build.publish import build_project

    _, report = build_project(root, check=True)
    assert report is not None
    click.echo(report.text())
    if not report.conforms:
        sys.exit(1)


@main.command()
@ROOT_OPTION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
def stats(root: Path, fmt: str) -> None:
    """Count triples, named graphs and instances per class."""
    from kg.build.dataset import build as build_dataset
    from kg.build.dataset import load_inputs
    from kg.query.stats import graph_stats

    result = graph_stats(build_dataset(load_inputs(root)).dataset)
    if fmt == "json":
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    click.echo(f"triples   {result['triples']}")
    click.echo(f"cases     {result['cases']}")
    click.echo(f"evidence  {result['evidence']}")
    click.echo("graphs:")
    for name, n in result["graphs"].items():
        click.echo(f"  {n:>7}  {name}")
    click.echo("classes:")
    for name, n in result["classes"].items():
        click.echo(f"  {n:>7}  {name}")


SELECT_FORMATS = ("table", "csv", "tsv", "json", "md")  # kg.query.writers renders them
GRAPH_FORMATS = ("ttl", "nt", "jsonld")


@dataclass(frozen=True)
class GraphSource:
    """Where a command reads the graph from: --root, --graph and --store together."""

    root: Path
    graph_file: Path | None
    store: str

    def load(self):
        from kg.query.graph import KnowledgeGraph

        return KnowledgeGraph.open(self.store, root=self.root, graph_file=self.graph_file)


def graph_options(command):
    """Add --root, --graph and --store; the command receives them as `source`."""

    @functools.wraps(command)
    def wrapper(*args, root: Path, graph_file: Path | None, store: str, **kwargs):
        return command(*args, source=GraphSource(root, graph_file, store), **kwargs)

    wrapper = click.option(
        "--store",
        default="memory",
        show_default=True,
        metavar="SPEC",
        help="memory (rdflib), oxigraph (in memory), oxigraph:DIR (a store filled by "
        "kg load) or sparql:URL (a SPARQL endpoint whose default graph is the union).",
    )(wrapper)
    wrapper = click.option(
        "--graph",
        "graph_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="A built graph (.trig, .ttl, .nq, .nt). Default: ROOT/build/kg.trig if it "
        "exists, else an in-memory build from ROOT.",
    )(wrapper)
    return ROOT_OPTION(wrapper)


def output_option(command):
    return click.option(
        "--out",
        "out_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write to this file (atomically) instead of standard output.",
    )(command)


def load_graph(source: GraphSource):
    return source.load()


def emit(text: str, out_file: Path | None) -> None:
    if out_file is None:
        click.echo(text, nl=False)
        return
    from kg.core.textio import atomic_write_text

    try:
        atomic_write_text(out_file, text)
    except OSError as exc:
        raise KgError(Problem(str(out_file), f"cannot write: {exc.strerror}")) from None
    click.echo(f"wrote {out_file}", err=True)


def _parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise KgError(
                Problem(
                    "--param",
                    f"{pair!r} is not NAME=VALUE",
                    hint="e.g. --param mechanism=liaison-station",
                )
            )
        if name in out:
            raise KgError(Problem("--param", f"{name!r} is given twice"))
        out[name] = value
    return out


@main.command()
@click.argument("sparql", required=False)
@click.option(
    "-f",
    "--file",
    "query_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read the query from a .rq file.",
)
@click.option("-n", "--name", help="Run a query of the named library (see --list).")
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Bind a query variable (repeatable). Ids expand for named queries.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(SELECT_FORMATS + GRAPH_FORMATS),
    help="SELECT: table (default), csv, tsv, json, md. CONSTRUCT/DESCRIBE: ttl "
    "(default), nt, jsonld.",
)
@click.option("--list", "list_queries", is_flag=True, help="List the named queries and exit.")
@click.option(
    "--timeout",
    type=float,
    default=30.0,
    show_default=True,
    help="Give up after this many seconds (0: no limit).",
)
@click.option(
    "--allow-service",
    is_flag=True,
    help="Allow SERVICE clauses (federated queries reach the network).",
)
@graph_options
@output_option
def query(
    sparql,
    query_file,
    name,
    params,
    fmt,
    list_queries,
    timeout,
    allow_service,
    source,
    out_file,
) -> None:
    """Run a read-only SPARQL query: inline, from a file, or by name.

    The project prefixes (rkg:, mech:, case:, skos:, ...) are predeclared. ASK prints
    true or false and exits 0 or 1. Updates, SERVICE and FROM <url> are refused.

    \b
    Examples:
      kg query --list
      kg query --name mechanism-frequency --format md
      kg query --name cases-with-mechanism --param mechanism=liaison-station
      kg query 'SELECT ?c ?t WHERE { ?c a rkg:InnovationCase ; dcterms:title ?t }'
    """
    from kg.query.library import named_queries, named_query
    from kg.query.writers import format_ask, format_table

    if list_queries:
        for q in named_queries().values():
            params_doc = " ".join(f"{p.name}=" for p in q.params)
            click.echo(f"{q.name:<24} {q.title}{'  [' + params_doc + ']' if params_doc else ''}")
        return
    given = [x for x in (sparql, query_file, name) if x]
    if len(given) != 1:
        raise click.UsageError("give exactly one of: a query, -f FILE, or --name NAME")
    pairs = _parse_params(params)
    kg = load_graph(source)
    if name:
        q = named_query(name)
        text, where, bindings = q.text_for(kg.store.engine), f"{name}.rq", q.bind(pairs)
    else:
        from kg.core.textio import read_utf8
        from kg.store.sparql import term_from_param

        text = read_utf8(query_file) if query_file else sparql
        where = str(query_file) if query_file else "query"
        bindings = {k: term_from_param(k, v) for k, v in pairs.items()}
    result = kg.query(
        text, params=bindings, timeout=timeout or None, allow_service=allow_service, where=where
    )
    if isinstance(result, bool):
        emit(format_ask(result, fmt or "table"), out_file)
        sys.exit(0 if result else 1)
    if hasattr(result, "variables"):
        if fmt in GRAPH_FORMATS:
            raise click.UsageError(
                f"--format {fmt} is for CONSTRUCT/DESCRIBE; SELECT gives "
                + ", ".join(SELECT_FORMATS)
            )
        emit(format_table(result, fmt or "table"), out_file)
        return
    if fmt and fmt not in GRAPH_FORMATS:
        raise click.UsageError(
            f"--format {fmt} is for SELECT; CONSTRUCT/DESCRIBE give " + ", ".join(GRAPH_FORMATS)
        )
    emit(serialize_graph(result, fmt or "ttl"), out_file)


def serialize_graph(graph, fmt: str) -> str:
    from kg.query.writers import GRAPH_FORMATS as RDF_NAMES

    if fmt == "jsonld":
        from kg.core.namespaces import PREFIXES

        return graph.serialize(format="json-ld", context=PREFIXES, indent=1, ensure_ascii=False)
    return graph.serialize(format=RDF_NAMES[fmt])


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "md", "json"]),
    default="table",
    show_default=True,
    help="Terminal table, Markdown for papers, JSON for scripts.",
)
@click.option(
    "--min-cases",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="A mechanism or set recurs when at least this many cases use it.",
)
@click.option(
    "--seed",
    type=int,
    default=42,
    show_default=True,
    help="Seed of the community detection (same seed, same communities).",
)
@graph_options
@output_option
def patterns(fmt, min_cases, seed, source, out_file) -> None:
    """The cross-case report: recurring mechanisms, frequent sets, clusters, contrasts."""
    kg = load_graph(source)
    report = kg.patterns(min_cases=min_cases, seed=seed)
    text = {"table": report.to_text, "md": report.to_markdown, "json": report.to_json}[fmt]()
    emit(text, out_file)


@main.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build/views"),
    show_default=True,
    help="Folder for the pages.",
)
@graph_options
def render(out_dir: Path, source: GraphSource) -> None:
    """Write the interactive network views (offline HTML) and their index page."""
    from kg.outputs.render import render_all

    started = time.perf_counter()
    pages = render_all(load_graph(source), out_dir)
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


@main.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build/figures"),
    show_default=True,
    help="Folder for the figures.",
)
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

    for path in write_figures(load_graph(source), out_dir, lang=lang):
        click.echo(f"  wrote {path}")


EXPORT_FORMATS = ("ttl", "nt", "nq", "trig", "jsonld", "xml", "graphml", "gexf", "csv")


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPORT_FORMATS),
    required=True,
    help="ttl, nt, nq, trig, jsonld, xml (RDF); graphml, gexf (Gephi); csv (tables).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    help="Target file (a folder for csv). Default: build/export/kg.<ext> or build/export/csv/.",
)
@click.option("--force", is_flag=True, help="Replace existing files.")
@click.option("--excel", is_flag=True, help="CSV: start with a UTF-8 BOM so Excel reads Chinese.")
@graph_options
def export(fmt: str, out: Path | None, force: bool, excel: bool, source: GraphSource) -> None:
    """Export the graph for Protégé, Gephi, triplestores, pandas/R/Excel.

    RDF keeps one named graph per source in nq and trig; JSON-LD carries its context
    inline (nothing is fetched); CSV cells that start with = + - @ are made inert.
    """
    from kg.build.serialize import RDF_FORMATS
    from kg.outputs.export import export as export_graph

    if out is None:
        suffix = {"graphml": ".graphml", "gexf": ".gexf", "csv": ""}.get(fmt) or RDF_FORMATS[fmt][0]
        out = Path("build/export") / ("csv" if fmt == "csv" else f"kg{suffix}")
    for path in export_graph(load_graph(source), fmt, out, force=force, excel=excel):
        click.echo(f"  wrote {path}  {path.stat().st_size:,} bytes")


@main.command()
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

    emit(render_docs(load_graph(source)), out_file)


@main.command()
@click.option(
    "--out",
    "out_root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build/release"),
    show_default=True,
    help="Folder that receives renda-kg-VERSION/.",
)
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

    target = make_release(load_graph(source), out_root, version=version, force=force)
    click.echo(f"wrote {target}")
    click.echo((target / "CANONICAL").read_text(encoding="utf-8").rstrip())


@main.command()
@click.argument("before", type=click.Path(exists=True, path_type=Path))
@click.argument("after", type=click.Path(exists=True, path_type=Path))
@click.option("--summary", is_flag=True, help="Print only the counts.")
def diff(before: Path, after: Path, summary: bool) -> None:
    """List the quads added (+) and removed (-) between two builds or releases.

    BEFORE and AFTER are built files (.trig, .nq, .ttl, .nt) or release folders.
    Exits 0 when the graphs are the same, 1 when they differ and 2 when one cannot be
    read, like diff(1), so scripts can tell a change from a failure.
    """
    from kg.outputs.release import diff_graphs

    try:
        result = diff_graphs(before, after)
    except KgError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(2)
    if not summary:
        click.echo(result.text(), nl=False)
    click.echo(f"{len(result.added)} added, {len(result.removed)} removed", err=True)
    sys.exit(0 if result.same else 1)


@main.command()
@click.option(
    "--store",
    "spec",
    required=True,
    metavar="SPEC",
    help="oxigraph:DIR (created if missing) or sparql:URL (the query endpoint).",
)
@click.option(
    "--graph",
    "graph_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("build/kg.trig"),
    show_default=True,
    help="The build to load.",
)
@click.option("--gsp", help="Graph Store Protocol URL (default: the endpoint's /store).")
@click.option("--user", help="User for the graph store (HTTP digest/basic auth).")
@click.option("--password", help="Password for --user.")
@click.option(
    "--timeout",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds to wait for each request to a remote store.",
)
def load(
    spec: str,
    graph_file: Path,
    gsp: str | None,
    user: str | None,
    password: str | None,
    timeout: float,
) -> None:
    """Push a build into a persistent store, replacing each named graph atomically."""
    from kg.store.load import load_build

    started = time.perf_counter()
    auth = (user, password or "") if user else None
    counts = load_build(graph_file, spec, gsp=gsp, timeout=timeout, auth=auth)
    for graph, n in counts.items():
        click.echo(f"  {n:>9,}  {graph}")
    click.echo(
        f"loaded {sum(counts.values()):,} quads into {spec} in "
        f"{time.perf_counter() - started:.2f} s"
    )


@main.command()
@click.argument("notice", required=False, type=click.Path(dir_okay=False, path_type=Path))
@ROOT_OPTION
@click.option("--source-id", help="Id of the new source (default: derived from the notice).")
@click.option("--batch", help="Batch id such as gd-b4 (default: derived from the notice).")
@click.option(
    "--drafts",
    "drafts_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Drafts folder (default: ROOT/data/drafts).",
)
@click.option("--dry-run", is_flag=True, help="Report what would be written; write nothing.")
@click.option(
    "--accept",
    "accept",
    is_flag=True,
    help="Promote reviewed drafts into data/cases/ (all, or the ids given with --id).",
)
@click.option("--id", "ids", multiple=True, help="With --accept: only these draft ids.")
def ingest(
    notice: Path | None,
    root: Path,
    source_id: str | None,
    batch: str | None,
    drafts_dir: Path | None,
    dry_run: bool,
    accept: bool,
    ids: tuple[str, ...],
) -> None:
    """Turn a notice into draft case records with evidence, for a curator to review.

    \b
    kg ingest NOTICE.txt            # copies the text to data/sources/, drafts to data/drafts/
    kg ingest --accept [--id ID]    # moves reviewed drafts into data/cases/

    Drafts never overwrite curated records; ingesting the same notice again changes
    nothing. Every claim names the rule that produced it.
    """
    from kg.ingest import accept_drafts, ingest_notice

    if accept:
        if notice:
            raise click.UsageError("--accept takes no NOTICE; use --id to pick drafts")
        moved = accept_drafts(root, list(ids) or None, drafts_dir=drafts_dir)
        for path in moved:
            click.echo(f"  accepted {path}")
        click.echo(f"accepted {len(moved)} file(s); run `kg build` to rebuild the graph")
        return
    if notice is None:
        raise click.UsageError("give a NOTICE file, or --accept")
    report = ingest_notice(
        notice,
        root=root,
        source_id=source_id,
        drafts_dir=drafts_dir,
        write=not dry_run,
        batch=batch,
    )
    click.echo(report.summary())


@main.command()
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
    "--workers", type=click.IntRange(min=1), help="Queries run at once (default: twice the cores)."
)
@graph_options
def serve(
    port: int,
    host: str,
    allow_remote: bool,
    timeout: float,
    max_rows: int,
    max_body: int,
    workers: int | None,
    source: GraphSource,
) -> None:
    """Serve a read-only SPARQL 1.1 endpoint at /sparql and a query page at /.

    Updates are refused (403); SERVICE, LOAD and FROM <url> never reach the network or
    the disk; each query runs in its own process and is cancelled after --timeout.
    """
    from kg.serve.server import serve as run_server

    run_server(
        load_graph(source),
        host=host,
        port=port,
        timeout=timeout,
        max_rows=max_rows,
        max_body=max_body,
        allow_remote=allow_remote,
        workers=workers,
    )


if __name__ == "__main__":
    main()
