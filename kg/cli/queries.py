"""Commands that ask the graph: query, patterns, stats."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kg.cli.options import GraphSource, emit, graph_options, output_option, report
from kg.core.errors import KgError, Problem
from kg.query.params import ParamError

SELECT_FORMATS = ("table", "csv", "tsv", "json", "md", "xml")
GRAPH_FORMATS = ("ttl", "nt", "jsonld", "xml")
FORMAT_CHOICES = tuple(dict.fromkeys(SELECT_FORMATS + GRAPH_FORMATS))


def _usage_exit(exc: KgError) -> None:
    """Print a usage problem (a parameter naming nothing, no cases to report) and exit 2,
    so that a script tells a wrong call from an empty answer (exit 0)."""
    for problem in exc.problems:
        click.echo(report(problem), err=True)
    sys.exit(2)


_QUERY_FILE_SUFFIXES = (".rq", ".sparql", ".rql")


def _query_file(argument: str) -> Path | None:
    """The argument as a query file if it names one: `kg query q.rq` works without -f."""
    if any(c in argument for c in "{}\n?$") or len(argument) > 4096:
        return None
    path = Path(argument)
    if path.suffix.lower() in _QUERY_FILE_SUFFIXES:
        if not path.is_file():
            raise ParamError(
                Problem(argument, "no such query file", hint="check the path, or quote a query")
            )
        return path
    return path if path.is_file() else None


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


@click.command()
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
    type=click.Choice(FORMAT_CHOICES),
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
    """Run a read-only SPARQL query: inline, from a file (FILE.rq), or by name.

    The project prefixes (rkg:, mech:, case:, skos:, ...) are predeclared. ASK prints
    true or false and exits 0 or 1. Updates, SERVICE and FROM <url> are refused.
    Parameters of named queries take an id, an IRI or a zh/en label; one that names
    nothing (or several things) is an error with the close matches, exit status 2.

    \b
    Examples:
      kg query --list
      kg query --name mechanism-frequency --format md
      kg query --name cases-with-mechanism --param mechanism=代表联络站
      kg query --name cases-by-place --param place=珠三角
      kg query my-query.rq --format csv
      kg query 'SELECT ?c ?t WHERE { ?c a rkg:InnovationCase ; dcterms:title ?t }'
    """
    from kg.query.library import named_queries, named_query
    from kg.query.params import check_timeout

    if list_queries:
        for q in named_queries().values():
            params_doc = " ".join(f"{p.name}=" for p in q.params)
            click.echo(f"{q.name:<24} {q.title}{'  [' + params_doc + ']' if params_doc else ''}")
        return
    given = [x for x in (sparql, query_file, name) if x]
    if len(given) != 1:
        raise click.UsageError("give exactly one of: a query, -f FILE, or --name NAME")
    try:
        if sparql and not query_file:
            query_file = _query_file(sparql)
        pairs = _parse_params(params)
        timeout = check_timeout(timeout)
        if name and out_file is None and source.copy_kept(name, pairs, fmt):
            return  # what the build kept for this query, copied before anything heavy loads
        kg = source.load()
        # answered from the build's index: no graph to load, no lookup of the parameters
        computed = None
        if name and kg.index is not None:
            computed = kg.index.compute(name, pairs, csv=fmt == "csv", text=fmt in (None, "table"))
        if name and computed is None:
            q = named_query(name)
            text, where = q.text_for(kg.store.engine), f"{name}.rq"
            bindings = q.bind(pairs, kg.resolver.resolve)
        elif not name:
            from kg.core.textio import read_utf8
            from kg.query.params import term_from_param

            text = read_utf8(query_file) if query_file else sparql
            where = str(query_file) if query_file else "query"
            bindings = {k: term_from_param(k, v) for k, v in pairs.items()}
    except ParamError as exc:
        _usage_exit(exc)
    from kg.query.writers import (
        STREAMED,
        format_ask,
        format_table,
        graph_bytes,
        results_bytes,
        stream_select,
    )
    from kg.store.rows import Table

    if computed is not None:
        if fmt and fmt not in SELECT_FORMATS:
            gives = ", ".join(SELECT_FORMATS)
            raise click.UsageError(
                f"--format {fmt} is for CONSTRUCT/DESCRIBE; SELECT gives {gives}"
            )
        if isinstance(computed, str):  # the text table
            emit(computed, out_file)
        elif isinstance(computed, bytes):
            emit(computed.decode("utf-8"), out_file)
        elif fmt in STREAMED:  # written as the Oxigraph store streams it: by pyoxigraph
            emit(results_bytes(computed, fmt).decode("utf-8"), out_file)
        else:
            emit(format_table(computed, fmt or "table"), out_file)
        return
    # What the build kept was copied above where standard output takes it; an aggregate
    # it kept is read by `kg.named` below (for --out, or a test's buffer): no graph to load.
    prepared = None
    if name and not kg.indexed(name, pairs):  # the library's own text: no rdflib parse
        prepared = kg.prepare_own(text, bindings, where=where)
    elif not name and not allow_service:
        prepared = kg.prepare(text, params=bindings, where=where)
    if prepared is not None and out_file is None and not allow_service and fmt in STREAMED:
        sys.stdout.flush()
        if stream_select(kg.store, prepared, fmt, sys.stdout.buffer, timeout=timeout):
            return
    if allow_service:  # refused by every store, with the reason
        result = kg.query(
            text, params=bindings, timeout=timeout, allow_service=allow_service, where=where
        )
    elif prepared is None:
        result = kg.named(name)
    else:
        result = kg.evaluate(prepared, timeout)
    if isinstance(result, bool):
        emit(format_ask(result, fmt or "table"), out_file)
        sys.exit(0 if result else 1)
    if isinstance(result, Table):
        if fmt and fmt not in SELECT_FORMATS:
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
    emit(graph_bytes(result, fmt or "ttl").decode("utf-8"), out_file)


@click.command()
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
    from kg.analysis.report import keep_computed, kept_report, render

    kept = kept_report(source.kept_index(), fmt, min_cases=min_cases, seed=seed)
    if kept is not None:  # the build's, which kept it only for a graph with cases
        source.check_stale_beside()
        emit(kept, out_file)  # read before the analysis stage (networkx, numpy) is imported
        return
    kg = source.load()
    found = kg.patterns(min_cases=min_cases, seed=seed)
    if not found.cases:  # an empty report looks like an answer; it is a wrong source
        union = kg.union_problem() if kg.store.network else None
        _usage_exit(
            ParamError(
                union or Problem(kg.origin, "holds no case with a mechanism: nothing to report")
            )
        )
    emit(render(found, fmt), out_file)
    keep_computed(kg, found, min_cases=min_cases, seed=seed)  # for the next call


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@graph_options
def stats(fmt: str, source: GraphSource) -> None:
    """Count triples, named graphs and instances per class."""
    from kg.query.stats import graph_stats

    result = graph_stats(source.load())
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
