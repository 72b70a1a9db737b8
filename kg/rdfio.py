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
            Problem(
                str(path),
                f"invalid Turtle: {message}",
                line=int(match.group(1)) if match else None,
                hint="fix the syntax at that line (a missing ' .' or ';' is common)",
            )
        ) from None
    return graph


def new_graph() -> Graph:
    graph = Graph()
    bind_prefixes(graph.namespace_manager)
    return graph


_RDF_FORMATS = {
    ".trig": "trig",
    ".nq": "nquads",
    ".ttl": "turtle",
    ".nt": "nt",
    ".jsonld": "json-ld",
    ".rdf": "xml",
    ".owl": "xml",
}


def parse_dataset(path: Path):
    """Read a TriG, N-Quads, Turtle, N-Triples, JSON-LD or RDF/XML file into a Dataset."""
    from rdflib import Dataset

    fmt = _RDF_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise KgError(
            Problem(
                str(path),
                f"unknown RDF file type {path.suffix!r}",
                hint="use one of " + ", ".join(sorted(_RDF_FORMATS)),
            )
        )
    text = read_utf8(path)
    dataset = Dataset()
    bind_prefixes(dataset.namespace_manager)
    try:
        dataset.parse(data=text, format=fmt, publicID=path.resolve().as_uri())
    except Exception as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        match = _LINE.search(str(exc))
        raise KgError(
            Problem(
                str(path),
                f"cannot parse {fmt}: {message}",
                line=int(match.group(1)) if match else None,
                hint="rebuild it with `kg build`",
            )
        ) from None
    return dataset
