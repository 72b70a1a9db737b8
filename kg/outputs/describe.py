"""A VoID and DCAT description of the dataset: what it is, what it holds, where to get it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, XSD

from kg.core.about import __version__
from kg.core.formats import RDF as RDF_FORMATS
from kg.core.namespaces import BASE, VOID, bind_prefixes

if TYPE_CHECKING:
    from kg.query.graph import QueryGraph

DATASET = URIRef(BASE + "dataset")
LICENCE = URIRef("https://creativecommons.org/licenses/by/4.0/")
_COUNTS = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY ?class
"""
_SOURCES = """
SELECT DISTINCT ?source ?issued WHERE { ?source a rkg:SourceDocument ; dcterms:issued ?issued }
ORDER BY ?source
"""
_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"


def describe(
    kg: QueryGraph,
    *,
    dumps: list[Path] = (),
    base_url: str = "",
    endpoint: str | None = None,
    version: str = __version__,
    modified: dt.date | None = None,
) -> Graph:
    """VoID + DCAT for the graph in `kg`; `dumps` are files published next to it.

    `modified` is the release's date; without it, `release_date` (SOURCE_DATE_EPOCH or
    the latest date the graph records), so a release and the endpoint agree.
    """
    from kg.outputs.citation import release_date

    g = Graph()
    bind_prefixes(g.namespace_manager)
    d = DATASET
    g.add((d, RDF.type, VOID.Dataset))
    g.add((d, RDF.type, DCAT.Dataset))
    g.add(
        (d, DCTERMS.title, Literal("renda-kg: local people's congress innovation cases", lang="en"))
    )
    g.add((d, DCTERMS.title, Literal("人大工作创新案例知识图谱", lang="zh")))
    g.add(
        (
            d,
            DCTERMS.description,
            Literal(
                "Innovation cases of county- and township-level people's congresses in China, "
                "the bodies that declared them, their places and recurring mechanisms, with "
                "every claim traced to a sentence of its source.",
                lang="en",
            ),
        )
    )
    g.add((d, DCTERMS.license, LICENCE))
    g.add((d, URIRef(str(DCAT) + "version"), Literal(version)))  # DCAT 3 term
    g.add((d, VOID.uriSpace, Literal(BASE)))
    g.add((d, VOID.vocabulary, URIRef(BASE + "ontology#")))
    triples = kg.query(_TRIPLES, timeout=None).rows[0][0]
    g.add((d, VOID.triples, Literal(int(triples))))
    for source, _issued in kg.query(_SOURCES, timeout=None).rows:
        g.add((d, DCTERMS.source, source))
    modified = modified or release_date(kg)
    g.add((d, DCTERMS.modified, Literal(modified, datatype=XSD.date)))
    for i, (cls, n) in enumerate(kg.query(_COUNTS, timeout=None).rows):
        part = URIRef(f"{BASE}dataset/class/{i + 1}")
        g.add((d, VOID.classPartition, part))
        g.add((part, VOID["class"], cls))
        g.add((part, VOID.entities, Literal(int(n))))
    media = {f.suffix: f.media_type for f in RDF_FORMATS}
    for path in sorted(dumps):
        url = URIRef(base_url + path.name) if base_url else URIRef(path.name)
        dist = URIRef(f"{BASE}dataset/dump/{path.name}")
        g.add((d, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCAT.downloadURL, url))
        if path.suffix in media:
            g.add((d, VOID.dataDump, url))
            g.add((dist, DCAT.mediaType, Literal(media[path.suffix])))
        if path.exists():
            g.add((dist, DCAT.byteSize, Literal(path.stat().st_size, datatype=XSD.decimal)))
    if endpoint:
        g.add((d, VOID.sparqlEndpoint, URIRef(endpoint)))
        service = URIRef(f"{BASE}dataset/service")
        g.add((d, DCAT.distribution, service))
        g.add((service, RDF.type, DCAT.DataService))
        g.add((service, DCAT.endpointURL, URIRef(endpoint)))
    return g
