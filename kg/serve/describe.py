"""What the endpoint says about itself: its SPARQL 1.1 Service Description and the
dataset's VoID description."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from kg.core.namespaces import VOID, bind_prefixes
from kg.query.graph import QueryGraph
from kg.query.writers import graph_bytes
from kg.serve.replies import Reply, type_header

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")


def service_description(endpoint: str, graph_names: Iterable[str]) -> Graph:
    """The SPARQL 1.1 Service Description of the endpoint."""
    g = Graph()
    bind_prefixes(g.namespace_manager)
    g.bind("sd", SD)
    g.bind("formats", FORMATS)
    service = URIRef(endpoint)
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, service))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    g.add((service, DCTERMS.title, Literal("renda-kg SPARQL endpoint (read-only)", lang="en")))
    g.add((service, DCTERMS.title, Literal("人大工作创新案例知识图谱 SPARQL 查询端点", lang="zh")))
    for name in (
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "JSON-LD",
        "RDF_XML",
    ):
        g.add((service, SD.resultFormat, FORMATS[name]))
    dataset = URIRef(endpoint + "#dataset")
    default = URIRef(endpoint + "#default-graph")
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    g.add((dataset, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    g.add((default, RDFS.comment, Literal("the union of the named graphs", lang="en")))
    base = endpoint.rsplit("/", 1)[0]
    g.add((dataset, RDFS.seeAlso, URIRef(base + "/.well-known/void")))
    g.add((dataset, VOID.sparqlEndpoint, service))
    for i, name in enumerate(graph_names):
        named = URIRef(f"{endpoint}#graph-{i + 1}")
        g.add((dataset, SD.namedGraph, named))
        g.add((named, RDF.type, SD.NamedGraph))
        g.add((named, SD.name, URIRef(name)))
    return g


def void_work(graph: QueryGraph, endpoint: str, media_type: str, fmt: str) -> Callable[[], Reply]:
    """The VoID description, computed in a query process (it counts the whole graph)."""

    def work() -> Reply:
        from kg.outputs.describe import describe

        body = graph_bytes(describe(graph, endpoint=endpoint), fmt)
        return Reply(200, {"Content-Type": type_header(media_type)}, body)

    return work
