"""The Python API that the command line and the notebooks share.

    from kg import KnowledgeGraph
    graph = KnowledgeGraph.load()               # build/kg.trig if present, else a fresh build
    graph.query("SELECT ...")                   # -> Table (rows), bool (ASK) or Graph
    graph.named("similar-cases", case="gd-b3-05")
    graph.patterns()                            # the cross-case report of `kg patterns`
    graph.cooccurrence_graph()                  # networkx projections with string ids
    graph.view_html("cooccurrence")             # one interactive view as an HTML page

`KnowledgeGraph` is the query facade of `kg.query` with the analyses and outputs added
as methods; it sits above every stage, so no stage needs to know it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kg.query.graph import QueryGraph

if TYPE_CHECKING:
    import networkx as nx

    from kg.analysis.patterns import Patterns
    from kg.build.dataset import Build, StreamedBuild
    from kg.outputs.views import View
    from kg.validate.checks import Report

VIEWS = ("graph", "case-mechanism", "cooccurrence", "similarity", "places")


class KnowledgeGraph(QueryGraph):
    """A read-only view of the graph in a store, with queries, patterns and projections."""

    # -- analysis --
    def patterns(self, **options) -> Patterns:
        """The cross-case report (`kg patterns`): see `kg.analysis.patterns.find_patterns`."""
        from kg.analysis.patterns import find_patterns

        return find_patterns(self, **options)

    def report(self, fmt: str = "table", *, min_cases: int = 2, seed: int = 42) -> str:
        """The cross-case report as `kg patterns --format FMT` prints it (table, md or
        json): as the build kept it (`kg.analysis.report`), else computed; one computed
        with the defaults for a build is then kept beside it, where it can be written."""
        from kg.analysis.report import keep_computed, kept_report, render

        kept = kept_report(self.index, fmt, min_cases=min_cases, seed=seed)
        if kept is not None:
            return kept
        found = self.patterns(min_cases=min_cases, seed=seed)
        keep_computed(self, found, min_cases=min_cases, seed=seed)  # kept for the next call
        return render(found, fmt)

    def bipartite_graph(self) -> nx.Graph:
        from kg.analysis.networks import case_mechanism_graph

        return case_mechanism_graph(self)

    def cooccurrence_graph(self) -> nx.Graph:
        from kg.analysis.networks import cooccurrence_graph

        return cooccurrence_graph(self)

    def similarity_graph(self, min_shared: int = 1) -> nx.Graph:
        from kg.analysis.networks import similarity_graph

        return similarity_graph(self, min_shared=min_shared)

    # -- outputs --
    def view(self, name: str) -> View:
        """One of the interactive views (`VIEWS`) as nodes, edges and legend."""
        from kg.analysis.networks import load_case_mechanisms
        from kg.core.errors import KgError, Problem
        from kg.core.fields import suggest
        from kg.outputs import views

        if name not in VIEWS:
            raise KgError(
                Problem("view", f"no view {name!r}", hint=suggest(name, VIEWS) or ", ".join(VIEWS))
            )
        if name == "graph":
            return views.whole_graph(self)
        if name == "places":
            return views.places(self)
        data = load_case_mechanisms(self)
        make = {
            "case-mechanism": views.case_mechanism,
            "cooccurrence": views.cooccurrence,
            "similarity": views.similarity,
        }[name]
        return make(self, data)

    def tables(self) -> dict:
        """The analyst tables of `kg export --format csv` (cases, case_mechanism_matrix,
        ...) by name, each a `DataTable` with its codebook labels; `.to_dataframe()`
        gives a pandas DataFrame."""
        from kg.outputs.tables import analyst_tables

        return {table.name: table for table in analyst_tables(self)}

    def view_html(self, view: str | View, *, index_href: str = "#") -> str:
        """A view (by name, or one made by `view`) as a self-contained, offline HTML page,
        e.g. for a notebook's iframe."""
        from kg.outputs.render import render_view

        return render_view(
            self.view(view) if isinstance(view, str) else view, index_href=index_href
        )

    def to_pyvis(self, view: str | View = "cooccurrence", *, lang: str = "zh", **options):
        """A view as a `pyvis.network.Network` (JavaScript inline), to show or restyle in a
        notebook; built without pyvis's quadratic add_node path."""
        from kg.outputs.notebook import to_pyvis

        return to_pyvis(self.view(view) if isinstance(view, str) else view, lang=lang, **options)


def build_project(
    root: Path | str = ".",
    *,
    check: bool = True,
    cache: bool = False,
    meanwhile: Callable[[Build], object] | None = None,
) -> tuple[Build, Report | None]:
    """Build the dataset from a project's data/ and ontology/; validate it unless `check`
    is False. With `cache`, SHACL and QC findings are reused for a graph validated
    before (`kg.validate.cache`; the CLI does this); `meanwhile(build)` runs while SHACL
    does. Nothing is written: see `write_build`."""
    from kg.validate.checks import build_project as build_and_validate

    return build_and_validate(Path(root), check=check, cache=cache, meanwhile=meanwhile)


def build_checked(
    root: Path | str = ".", *, meanwhile: Callable[[StreamedBuild], object] | None = None
) -> tuple[StreamedBuild, Report]:
    """The build `kg build`, `kg run` and `kg validate` make and validate: its graphs as
    plain sets of triples and its sorted quads, with an rdflib graph made only when SHACL
    has to run (the findings of a graph validated before are reused, `kg.validate.cache`);
    `meanwhile` as for `build_project`. Nothing is written: see `write_build`."""
    from kg.build.dataset import build_streamed as streamed
    from kg.build.dataset import load_inputs
    from kg.validate.checks import validate

    result = streamed(load_inputs(Path(root)), keep_graphs=True)
    return result, validate(result, cache=True, meanwhile=meanwhile)


def build_streamed(root: Path | str = ".") -> StreamedBuild:
    """Build a project's dataset without validating it, one named graph at a time and
    kept as sorted quads only: for a corpus too big to hold in rdflib (`kg build
    --no-validate`). `write_build` writes the same bytes as for `build_project`."""
    from kg.build.dataset import build_streamed as streamed
    from kg.build.dataset import load_inputs

    return streamed(load_inputs(Path(root)))


def write_build(
    result: Build | StreamedBuild,
    out: Path | str,
    *,
    report: bool = True,
    files: list[tuple[Path, bytes]] | None = None,
) -> list[Path]:
    """Write kg.ttl and kg.trig so that they switch as one (see `kg.build.publish`), then
    the analytic index of the new generation beside them (`kg.query.index`) and the
    cross-case report computed from it (`kg.analysis.report`), unless not `report`
    (`run_project` computes it beside its other steps)."""
    from kg.analysis.report import write_report
    from kg.build.publish import write_build as publish
    from kg.query.index import write_index

    written = publish(result, Path(out), files)  # `files`: rendered ahead, if given
    trig = next((p for p in written if p.name == "kg.trig"), None)
    if trig is not None:
        write_index(trig)
        if report:
            write_report(KnowledgeGraph.open("oxigraph", graph_file=trig))
    return written


def write_site(graph: QueryGraph, out: Path | str, *, texts=None, root: Path | str = "."):
    """Write the browsable research site of `graph` into the folder `out`, atomically
    (`kg.site.build.write_site`); the source texts come from `texts` (by source id) or
    from ROOT/data/sources. Returns a `SiteReport` (pages per kind, files, bytes)."""
    from kg.site.build import write_site as write

    return write(graph, out, texts=texts, root=root)


def compact_id(value: object) -> str:
    """A full project IRI as a short id: `case:gd-b3-05`, `mech:liaison-station`."""
    from kg.analysis.networks import compact_id as short

    return short(value)


# -- one process for the whole of `make run` --

#: The steps of `run_project` after the graph, in the order they start. The figures
#: start first: they are drawn in child processes while the others are written.
RUN_STEPS = ("figures", "views", "docs", "site")
FIGURE_LANG = "zh"  # the language `kg run` draws its figures in


@dataclass
class StepResult:
    """One step of a run: whether it was skipped (its inputs had not changed) and its time."""

    name: str
    skipped: bool
    seconds: float
    outputs: list[Path] = field(default_factory=list)


@dataclass
class RunResult:
    """What `run_project` did; `report` is the validation report if the graph was built
    (and `conforms` False if it was refused: then nothing after it ran)."""

    steps: list[StepResult] = field(default_factory=list)
    report: Report | None = None

    @property
    def conforms(self) -> bool:
        return self.report is None or self.report.conforms


def _has_site() -> bool:
    """Whether this version has the research site (`kg.site.write_site`), found without
    importing it: the pages pull in networkx and numpy, a second a run that skips them."""
    from importlib.util import find_spec

    try:
        return find_spec("kg.site.build") is not None
    except ImportError:
        return False


def run_project(
    root: Path | str = ".",
    out: Path | str = "build",
    *,
    force: bool = False,
    on_step: Callable[[StepResult], None] | None = None,
) -> RunResult:
    """Build, validate and write the graph, then the views, figures, docs and site, in one
    process that loads the graph once; a step whose inputs did not change since the last
    run into OUT is skipped (`kg.build.cache`), unless `force`.

    The outputs are byte for byte those of the separate commands (`kg build`, `kg render`,
    `kg figures`, `kg docs`, `kg site`) on a clean OUT.
    """
    from kg.analysis.report import is_current, report_path, write_report
    from kg.build.cache import Manifest, code_digest, digest, fresh_run, inputs_key
    from kg.core.isolate import start_isolated
    from kg.core.layout import Project
    from kg.core.textio import atomic_write_text

    root, out = Path(root), Path(out)
    project = Project(root, out)
    result = RunResult()
    shared: dict[str, KnowledgeGraph] = {}

    def done(step: StepResult) -> None:
        result.steps.append(step)
        if on_step is not None:
            on_step(step)

    started = time.perf_counter()
    if not force and (steps := fresh_run(root, out)) is not None:
        for name in steps:
            done(StepResult(name, True, time.perf_counter() - started))
        return result
    drawer = None  # a figure drawer started early (kg.outputs.figures.Drawer), if any
    try:
        manifest = Manifest.read(out)
        manifest.forget("run")
        code = code_digest()
        key = inputs_key(root, project.inputs())
        graph_digest = manifest.value("graph", "digest")
        if force or graph_digest is None or not manifest.fresh("graph", key):
            from kg.build.dataset import output_files
            from kg.outputs.figures import Drawer

            drawer = Drawer()  # readies matplotlib on the idle core while the graph is built
            staged: dict[str, list] = {}  # the files, rendered while SHACL runs in its child

            def stage(built) -> None:
                staged["f"] = output_files(built, out)

            built, report = build_checked(root, meanwhile=stage)
            result.report = report
            if not report.conforms:
                return result
            manifest.forget("graph")
            written = write_build(built, out, report=False, files=staged.get("f"))
            graph_digest = digest(project.trig.read_bytes())
            manifest.record("graph", key, written, digest=graph_digest)
            manifest.write()
            done(StepResult("graph", False, time.perf_counter() - started, written))
        else:
            done(StepResult("graph", True, time.perf_counter() - started))

        def graph() -> KnowledgeGraph:  # loaded once, by the first step that needs it
            if "graph" not in shared:  # Oxigraph: same bytes as rdflib's answers, 10-80x faster
                trig = project.trig
                shared["graph"] = KnowledgeGraph.open("oxigraph", root=root, graph_file=trig)
            return shared["graph"]

        def write_docs(kg: KnowledgeGraph, target: Path) -> None:
            from kg.outputs.docs import render_docs

            target.mkdir(parents=True, exist_ok=True)
            atomic_write_text(target / "index.html", render_docs(kg))

        def write_views(kg: KnowledgeGraph, target: Path) -> None:
            from kg.outputs.render import render_all

            render_all(kg, target)

        @functools.cache
        def figure_data():  # read once, for the figures' key and their drawing
            from kg.analysis.cases import load_case_mechanisms

            return load_case_mechanisms(graph())

        def figures_key() -> str:  # what they draw: an edit they do not show redraws nothing
            from kg.outputs.figures import drawn_inputs

            return digest("figures", code, drawn_inputs(figure_data(), FIGURE_LANG))

        def write_figures(kg: KnowledgeGraph, target: Path):
            from kg.outputs.figures import start_figures

            # drawn in child processes while the next steps run
            return start_figures(kg, target, lang=FIGURE_LANG, data=figure_data(), drawer=drawer)

        def write_site(kg: KnowledgeGraph, target: Path) -> None:
            from kg.site import write_site as site

            site(kg, target, root=root)

        # The cross-case report of a new graph (or one a killed run left out, or one an older
        # kg computed) is computed in a child process beside the next steps, and waited for
        # before the run ends.
        finish_report = None
        if (path := report_path(graph())) is not None and not is_current(path):
            finish_report = start_isolated(functools.partial(write_report, graph()), 0, "report")
        writers = {"views": write_views, "figures": write_figures, "docs": write_docs}
        if _has_site():
            writers["site"] = write_site
        pending: list[tuple] = []
        for name in RUN_STEPS:
            if name not in writers:
                continue
            started = time.perf_counter()
            target = out / name
            key = figures_key() if name == "figures" else digest(name, code, graph_digest)
            if not force and manifest.fresh(name, key):
                done(StepResult(name, True, time.perf_counter() - started))
                continue
            manifest.forget(name)
            manifest.write()
            finish = writers[name](graph(), target)
            if finish is not None:  # still at work in child processes: finished below
                pending.append((name, key, target, started, finish))
                continue
            manifest.record(name, key, [target])
            manifest.write()
            done(StepResult(name, False, time.perf_counter() - started, [target]))
        for name, key, target, started, finish in pending:
            finish()
            manifest.record(name, key, [target])
            manifest.write()
            done(StepResult(name, False, time.perf_counter() - started, [target]))
        if finish_report is not None:
            finish_report()
        manifest.finish(inputs_key(root, project.inputs()))
        manifest.write()
        return result
    finally:
        if drawer is not None:
            drawer.close()  # one whose drawings are not waited for is killed and reaped
