"""What every command shares: the graph options, the output option, and the rendering of
problems with this command line's flags."""

from __future__ import annotations

import functools
import sys
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import click

from kg.core.errors import KgError, Problem

# Python names of settings whose flag is not `--` + the name with hyphens.
_FLAGS = {"params": "--param", "graph_file": "--graph", "name": "--name", "out_file": "--out"}

ROOT_OPTION = click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Project folder holding data/ and ontology/.",
)


def out_folder(default: str, help: str, name: str = "out_dir"):
    """`--out FOLDER` with a default under build/; the value reaches the command as `name`."""
    return click.option(
        "--out",
        name,
        type=click.Path(file_okay=False, path_type=Path),
        default=Path(default),
        show_default=True,
        help=help,
    )


def flag_style(name: str, value: str | None) -> str:
    """How a problem names a setting here: `max_rows` -> `--max-rows`."""
    flag = _FLAGS.get(name, "--" + name.replace("_", "-"))
    if value is None or value == "True":
        return flag
    return f"{flag} {value}"


def report(problem: Problem) -> str:
    return f"error: {problem.render(flag_style)}"


@dataclass(frozen=True)
class GraphSource:
    """Where a command reads the graph from: --root, --graph and --store together."""

    root: Path
    graph_file: Path | None
    store: str

    def load(self):
        from kg.api import KnowledgeGraph

        self.check_stale_beside()
        return KnowledgeGraph.open(
            self.store, root=self.root, graph_file=self.graph_file, check_stale=False
        )

    def copy_kept(self, name: str, params: dict[str, str], fmt: str | None) -> bool:
        """Copy to standard output what the build kept for `kg query --name NAME` (its
        analytic index, `kg.query.kept`), without loading the graph or rdflib; False
        (nothing written) when it kept nothing for these parameters and format."""
        from kg.query.kept import copy_to

        index = self.kept_index()
        if index is None or (write := index.writer(name, params, fmt)) is None:
            return False
        if not copy_to(None, write):
            return False  # standard output is no file (a test's buffer): answered the long way
        self.check_stale_beside()
        return True

    def kept_index(self):
        """The analytic index of the build the graph would be loaded from (a
        `kg.query.kept.KeptIndex`, read without rdflib), or None where it has none."""
        from kg.core.layout import Project
        from kg.query.kept import KeptIndex

        if self.store not in ("auto", "oxigraph"):
            return None
        return KeptIndex.open(self.graph_file or Project(self.root).trig)

    def check_stale_beside(self) -> None:
        """Whether data/ changed since the build that answers was written, checked beside
        the command and said after its answer (`--store auto` on ROOT's build only)."""
        from kg.core.layout import Project, stale_build

        if self.store == "auto" and self.graph_file is None and Project(self.root).trig.is_file():
            # The build is read: whether data/ changed since is a walk of every record
            # (0.34 s at 100k cases), made beside the answer, and said after it.
            CHECKS.append(_Beside(functools.partial(stale_build, self.root)))


#: Checks a command leaves for after its answer; the command line runs them before it exits.
CHECKS: list = []


class _Beside:
    """A check run in a thread while the command works; calling it waits for its result.
    The stale-build check walks in a find(1) child (`kg.core.layout`), so the thread
    only waits on a pipe and the answer keeps the interpreter."""

    def __init__(self, check):
        self._result = self._error = None
        self._thread = threading.Thread(target=self._run, args=(check,), daemon=True)
        self._thread.start()

    def _run(self, check) -> None:
        try:
            self._result = check()
        except BaseException as exc:  # given to the caller, in its thread
            self._error = exc

    def __call__(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result


def finish_checks() -> None:
    """Run the checks left for after the answer, and give their warnings."""
    if CHECKS:
        sys.stdout.flush()  # the answer first
    while CHECKS:
        if (message := CHECKS.pop()()) is not None:
            warnings.warn(message, stacklevel=2)


def graph_options(command=None, *, store: str = "auto"):
    """Add --root, --graph and --store; the command receives them as `source`.

    The default, `auto`, reads the files `kg build` wrote into Oxigraph (3-10x faster
    for queries, views, exports and releases; the same rows and bytes, as the
    differential tests and `kg run`'s byte comparison check) and anything else with
    rdflib's strict reader (`KnowledgeGraph.open`).
    """
    if command is None:
        return functools.partial(graph_options, store=store)

    @functools.wraps(command)
    def wrapper(*args, root: Path, graph_file: Path | None, store: str, **kwargs):
        return command(*args, source=GraphSource(root, graph_file, store), **kwargs)

    wrapper = click.option(
        "--store",
        default=store,
        show_default=True,
        metavar="SPEC",
        help="auto (oxigraph for a file kg build wrote, else memory), memory (rdflib), oxigraph "
        "(in memory), oxigraph:DIR (a store filled by kg load) or sparql:URL (a SPARQL "
        "endpoint whose default graph is the union).",
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
