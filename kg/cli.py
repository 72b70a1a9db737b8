"""The `kg` command: a thin shell over the Python API (parse options, call, print)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from kg import __version__
from kg.errors import KgError

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
    from kg.pipeline import build_project, write_build

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
    from kg.pipeline import build_project

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
    from kg.build import build as build_dataset
    from kg.build import load_inputs
    from kg.stats import graph_stats

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


if __name__ == "__main__":
    main()
