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

from pathlib import Path
from typing import TYPE_CHECKING

from kg.query.graph import QueryGraph

if TYPE_CHECKING:
    import networkx as nx

    from kg.analysis.patterns import Patterns
    from kg.build.dataset import Build
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

    def view_html(self, view: str | View, *, index_href: str = "#") -> str:
        """A view (by name, or one made by `view`) as a self-contained, offline HTML page,
        e.g. for a notebook's iframe."""
        from kg.outputs.render import render_view

        return render_view(
            self.view(view) if isinstance(view, str) else view, index_href=index_href
        )


def build_project(root: Path | str = ".", *, check: bool = True) -> tuple[Build, Report | None]:
    """Build the dataset from a project's data/ and ontology/; validate it unless `check`
    is False. Nothing is written: see `write_build`."""
    from kg.validate.checks import build_project as build_and_validate

    return build_and_validate(Path(root), check=check)


def write_build(result: Build, out: Path | str) -> list[Path]:
    """Write kg.ttl and kg.trig so that they switch as one (see `kg.build.publish`)."""
    from kg.build.publish import write_build as publish

    return publish(result, Path(out))


def compact_id(value: object) -> str:
    """A full project IRI as a short id: `case:gd-b3-05`, `mech:liaison-station`."""
    from kg.analysis.networks import compact_id as short

    return short(value)
