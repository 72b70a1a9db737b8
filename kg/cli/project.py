"""Commands that make the graph: build, validate, ingest, load."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from kg.cli.options import ROOT_OPTION, flag_style, out_folder


@click.command()
@ROOT_OPTION
@out_folder("build", "Folder for the output files.", name="out")
@click.option("--no-validate", is_flag=True, help="Skip validation (not recommended).")
def build(root: Path, out: Path, no_validate: bool) -> None:
    """Build the graph from data/, validate it, and write Turtle and TriG.

    Nothing is written unless validation passes, so OUT keeps its last good output.
    """
    from kg.api import build_checked, build_streamed, write_build

    started = time.perf_counter()
    if no_validate:  # nothing to validate: the graphs are made and written one at a time
        result = build_streamed(root)
    else:
        result, report = build_checked(root)
        if report.problems:
            click.echo(report.text(), err=True)
        if not report.conforms:
            click.echo(f"not written: {out} keeps its previous contents", err=True)
            sys.exit(1)
    written = write_build(result, out)
    stats = result.triple_count()
    click.echo(
        f"built {len(result.inputs.cases)} cases, {stats} triples "
        f"in {time.perf_counter() - started:.2f} s"
    )
    for path in written:
        click.echo(f"  wrote {path}")


@click.command("run")
@ROOT_OPTION
@out_folder("build", "Folder for the output files.", name="out")
@click.option("--force", is_flag=True, help="Rebuild every output, changed or not.")
def run(root: Path, out: Path, force: bool) -> None:
    """Build, validate and write everything `make run` makes, in one process.

    The graph (kg.ttl, kg.trig), the views, the figures, the docs and the site; an
    output whose inputs did not change since the last run into OUT is kept as it is
    (the bytes are those of a clean build either way). Nothing is written unless
    validation passes.
    """
    from kg.build.cache import fresh_run

    started = time.perf_counter()
    if not force and (steps := fresh_run(root, out)) is not None:  # without the graph code
        for name in steps:
            click.echo(f"  {name:<8} unchanged")
        click.echo(f"{out} is up to date ({time.perf_counter() - started:.2f} s)")
        return

    def show(step) -> None:
        what = "unchanged" if step.skipped else f"written in {step.seconds:.2f} s"
        click.echo(f"  {step.name:<8} {what}")

    from kg.api import run_project

    result = run_project(root, out, force=force, on_step=show)
    if result.report is not None and result.report.problems:
        click.echo(result.report.text(), err=True)
    if not result.conforms:
        click.echo(f"not written: {out} keeps its previous contents", err=True)
        sys.exit(1)
    click.echo(f"{out} is up to date ({time.perf_counter() - started:.2f} s)")


@click.command()
@ROOT_OPTION
def validate(root: Path) -> None:
    """Check records, evidence quotes, SHACL shapes and QC queries; exit 1 on any error."""
    from kg.api import build_checked

    _, report = build_checked(root)
    click.echo(report.text())
    if not report.conforms:
        sys.exit(1)


@click.command()
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


@click.command()
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
@click.option(
    "--status", is_flag=True, help="List the TODOs left in the drafts, with the line to edit."
)
@click.option("--url", help="The web address the text was copied from (recorded in its source).")
@click.option("--date", help="The page's date, YYYY-MM-DD, when the text does not show it.")
def ingest(
    notice: Path | None,
    root: Path,
    source_id: str | None,
    batch: str | None,
    drafts_dir: Path | None,
    dry_run: bool,
    accept: bool,
    ids: tuple[str, ...],
    status: bool,
    url: str | None,
    date: str | None,
) -> None:
    """Turn a notice into draft case records with evidence, for a curator to review.

    \b
    kg ingest NOTICE.txt            # copies the text to data/sources/, drafts to data/drafts/
    kg ingest --accept [--id ID]    # moves reviewed drafts into data/cases/
    kg ingest --status              # the TODOs left in the drafts, with the line to edit

    Drafts never overwrite curated records; ingesting the same notice again changes
    nothing. Every claim names the rule that produced it.
    """
    from kg.ingest import accept_drafts, ingest_notice
    from kg.ingest.drafts import draft_status

    if status:
        left = draft_status(root, drafts_dir)
        for line in left:
            click.echo(line)
        click.echo(f"{len(left)} TODO(s) left" if left else "no TODO left in the drafts")
        return
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
        url=url,
        date=date,
    )
    click.echo(report.summary(flag_style))


@click.command()
@click.argument("text", required=False)
@ROOT_OPTION
@click.option(
    "--eval",
    "eval_file",
    is_flag=False,
    flag_value="data/eval/mechanism-sentences.yaml",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Measure the tagger on sentences with gold concepts "
    "(default file: data/eval/mechanism-sentences.yaml under ROOT).",
)
@click.option(
    "--split",
    type=click.Choice(["dev", "test", "all"]),
    default="all",
    show_default=True,
    help="With --eval: the tuning sentences, the held-out ones, or both.",
)
@click.option("--errors", is_flag=True, help="With --eval: list the sentences tagged wrongly.")
@click.option(
    "--learned/--rules-only",
    default=True,
    show_default=True,
    help="Add the learned layer (trained on the evaluation set's dev sentences) to the rules: "
    "it adds concepts they miss and doubts hits it scores low.",
)
def tag(
    text: str | None, root: Path, eval_file: Path | None, split: str, errors: bool, learned: bool
) -> None:
    """Find the vocabulary's mechanisms in TEXT, or measure the tagger (--eval).

    \b
    kg tag "街道人大工委向党工委专题汇报联络站建设情况"
    kg tag --eval --split test        # precision and recall per facet and kind
    """
    from kg.ingest.evaluate import evaluate, load_sentences, project_finder

    finder = project_finder(root, learned=learned)
    if eval_file is not None:
        if text:
            raise click.UsageError("give TEXT or --eval, not both")
        path = eval_file if eval_file.is_absolute() else root / eval_file
        sentences = load_sentences(path, frozenset(finder.concepts))
        if split != "all":
            sentences = [s for s in sentences if s.split == split]
        click.echo(evaluate(finder, sentences).text(errors=errors), nl=False)
        return
    if not text:
        raise click.UsageError("give a TEXT to tag, or --eval")
    from kg.ingest.tag import candidate_concepts
    from kg.ingest.text import match_form, to_simplified

    normal = match_form(to_simplified(text))
    matches = finder.find(normal, [(0, len(normal))])  # what find_in_sentence reads
    found = matches[0]
    counted = {m.concept for m in found if m.counted}  # what the scores count
    scored = {m.concept: m.rule.replace(":", " ") for m in found if m.learned}
    for concept in sorted(counted):
        line = f"{concept:<40} {finder.concepts[concept].facet}"
        click.echo(f"{line:<54} {scored[concept]}" if concept in scored else line)
    left_out = {}  # concept -> its first hit, for a concept no hit of which counts
    for m in sorted(found, key=str):
        if m.concept not in counted:
            left_out.setdefault(m.concept, m)
    for concept, m in sorted(left_out.items()):
        if m.doubt is not None:
            why = f"doubted (the rules find it, the learned layer scores it {m.doubt:.2f})"
        else:
            why = f"replaced (the learned layer reads {m.replaced_by} there)"
        click.echo(f"{why}: {concept}")
    for candidate in candidate_concepts(finder, normal, [(0, len(normal))], matches):
        click.echo(f"candidate new concept: {candidate.phrase}")
