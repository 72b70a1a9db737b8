"""Every file and reply format the project reads or writes, in one table.

A format has our short name, a file suffix, a media type, the names rdflib and
pyoxigraph know it by, and the other names clients use for it (SPARQLWrapper sends
both `format=json` and an Accept header; Gephi users say "graphml"). The CLI's
choices, the endpoint's content negotiation, the exporters and the readers all look
formats up here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Characters XML 1.0 cannot hold, even escaped (RDF/XML, SPARQL XML, GraphML, GEXF).
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Format:
    name: str
    kind: str  # rdf | results | network | tables | text
    label: str  # what people call it
    suffix: str
    media_type: str
    rdflib: str | None = None  # rdflib's parser and serializer name
    oxigraph: str | None = None  # pyoxigraph RdfFormat / QueryResultsFormat member
    aliases: tuple[str, ...] = ()  # other names and media types
    datasets: bool = False  # keeps named graphs
    served: bool = True  # offered by the endpoint's content negotiation


RDF = (
    Format(
        "ttl",
        "rdf",
        "Turtle",
        ".ttl",
        "text/turtle",
        "turtle",
        "TURTLE",
        ("turtle", "application/turtle", "application/x-turtle", "text/n3", "text/rdf+n3", "n3"),
    ),
    Format(
        "nt",
        "rdf",
        "N-Triples",
        ".nt",
        "application/n-triples",
        "nt",
        "N_TRIPLES",
        ("ntriples", "n-triples"),
    ),
    Format(
        "nq",
        "rdf",
        "N-Quads",
        ".nq",
        "application/n-quads",
        "nquads",
        "N_QUADS",
        ("nquads", "n-quads"),
        datasets=True,
        served=False,
    ),
    Format(
        "trig",
        "rdf",
        "TriG",
        ".trig",
        "application/trig",
        "trig",
        "TRIG",
        datasets=True,
        served=False,
    ),
    Format(
        "jsonld",
        "rdf",
        "JSON-LD",
        ".jsonld",
        "application/ld+json",
        "json-ld",
        "JSON_LD",
        ("json-ld", "json", "application/json", "application/x-json+ld"),
        datasets=True,
    ),
    Format(
        "xml",
        "rdf",
        "RDF/XML",
        ".rdf",
        "application/rdf+xml",
        "xml",
        "RDF_XML",
        ("rdfxml", "rdf+xml", "rdf", "application/xml", ".owl"),
    ),
)
RESULTS = (
    Format(
        "json",
        "results",
        "SPARQL JSON results",
        ".json",
        "application/sparql-results+json",
        oxigraph="JSON",
        aliases=("application/json", "srj"),
    ),
    Format(
        "xml",
        "results",
        "SPARQL XML results",
        ".xml",
        "application/sparql-results+xml",
        oxigraph="XML",
        aliases=("application/xml", "text/xml", "srx"),
    ),
    Format("csv", "results", "SPARQL CSV results", ".csv", "text/csv", oxigraph="CSV"),
    Format(
        "tsv",
        "results",
        "SPARQL TSV results",
        ".tsv",
        "text/tab-separated-values",
        oxigraph="TSV",
    ),
    Format("table", "text", "a text table", ".txt", "text/plain", served=False),
    Format("md", "text", "a Markdown table", ".md", "text/markdown", served=False),
)
NETWORKS = (
    Format("graphml", "network", "GraphML", ".graphml", "application/graphml+xml"),
    Format("gexf", "network", "GEXF", ".gexf", "application/gexf+xml"),
)
TABLES = (
    Format("csv", "tables", "CSV tables", "", "text/csv"),
    # with the optional extra `tables` (pandas, pyarrow): `pip install renda-kg[tables]`
    Format("dta", "tables", "Stata .dta tables", "", "application/x-stata-dta", served=False),
    Format("parquet", "tables", "Parquet tables", "", "application/vnd.apache.parquet",
           served=False),
)  # fmt: skip


def names(formats: tuple[Format, ...]) -> tuple[str, ...]:
    return tuple(f.name for f in formats)


def find(formats: tuple[Format, ...], name: str) -> Format | None:
    """The format called `name` (our name, an alias or a media type; any case)."""
    key = name.strip().lower()
    for f in formats:
        if key in (f.name, f.media_type) or key in f.aliases:
            return f
    return None


def get(formats: tuple[Format, ...], name: str) -> Format:
    found = find(formats, name)
    if found is None:
        raise KeyError(name)
    return found


def by_suffix(suffix: str) -> Format | None:
    """The RDF format of a file with this suffix (.ttl, .trig, .rdf, .owl, ...)."""
    key = suffix.lower()
    return next((f for f in RDF if key == f.suffix or key in f.aliases), None)
