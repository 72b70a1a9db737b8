"""Reading RDF files with errors that name the file and line."""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import Graph

from kg.errors import KgError, Problem
from kg.namespaces import bind_prefixes
from kg.textio import read_utf8

_LINE = re.compile(r"line (\d+)")


def parse_turtle(path: Path, into: Graph | None = None) -> Graph:
    """Parse a Turtle file strictly as UTF-8 into `into` (or a new graph)."""
    graph = into if into is not None else Graph()
    text = read_utf8(path)
    try:
        graph.parse(data=text, format="turtle", publicID=path.resolve().as_uri())
    except Exception as exc:  # rdflib raises several unrelated types for bad syntax
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        match = _LINE.search(str(exc))
        raise KgError(
            Problem(str(path), f"invalid Turtle: {message}",
                    line=int(match.group(1)) if match else None,
                    hint="fix the syntax at that line (a missing ' .' or ';' is common)")
        ) from None
    return graph


def new_graph() -> Graph:
    graph = Graph()
    bind_prefixes(graph.namespace_manager)
    return graph
