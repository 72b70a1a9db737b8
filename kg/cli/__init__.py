"""The `kg` command: a thin shell over the Python API (parse options, call, print).

Commands live by what they do: `project` (build, validate, ingest, load), `queries`
(query, patterns, stats), `outputs` (render, figures, export, docs, release, diff) and
`serving` (serve). Problems from the library name settings in Python; here they are
shown with this command line's flags (`kg.cli.options.flag_style`).
"""

from __future__ import annotations

import sys
import warnings

import click

from kg.cli.options import finish_checks, report
from kg.cli.outputs import diff, docs, export, figures, release, render
from kg.cli.project import build, ingest, load, run, tag, validate
from kg.cli.queries import patterns, query, stats
from kg.cli.serving import serve
from kg.cli.site import site
from kg.core.about import __version__
from kg.core.errors import KgError


class _Group(click.Group):
    """Turns `KgError` into a readable message and exit status 1, without a traceback."""

    def invoke(self, ctx: click.Context):
        warnings.formatwarning = lambda message, *args, **kwargs: f"warning: {message}\n"
        try:
            return super().invoke(ctx)
        except KgError as exc:
            for problem in exc.problems:
                click.echo(report(problem), err=True)
            sys.exit(1)
        finally:
            finish_checks()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="kg")
def main() -> None:
    """renda-kg: a knowledge graph of local people's congress innovation cases.

    Start with `kg build`, which builds the graph from data/, validates it and writes
    build/kg.ttl and build/kg.trig.
    """


for command in (
    build,
    run,
    validate,
    stats,
    query,
    patterns,
    render,
    figures,
    export,
    docs,
    release,
    diff,
    load,
    ingest,
    tag,
    serve,
    site,
):
    main.add_command(command)
