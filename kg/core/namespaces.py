"""The project's namespaces and IRI minting, in one table bound everywhere.

IRIs are minted from stable keys only (batch + item, division code, slugs), never
from labels or row order, so that rebuilding the same data yields the same IRIs.
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SDO, SKOS, XSD, NamespaceManager

BASE = "https://w3id.org/renda-kg/"

RKG = Namespace(BASE + "ontology#")
MECH = Namespace(BASE + "mechanism/")
ACTOR = Namespace(BASE + "actor/")
CAT = Namespace(BASE + "category/")
PTYPE = Namespace(BASE + "platform-type/")
REGION = Namespace(BASE + "region/")
SCHEME = Namespace(BASE + "scheme/")
CASE = Namespace(BASE + "case/")
BODY = Namespace(BASE + "body/")
PLACE = Namespace(BASE + "place/")
SRC = Namespace(BASE + "source/")
BATCH = Namespace(BASE + "batch/")
EVID = Namespace(BASE + "evidence/")
GRAPH = Namespace(BASE + "graph/")
ORG = Namespace("http://www.w3.org/ns/org#")
SH = Namespace("http://www.w3.org/ns/shacl#")
VOID = Namespace("http://rdfs.org/ns/void#")

#: prefix -> namespace; used for Turtle output, SPARQL prologues and JSON-LD contexts.
PREFIXES: dict[str, str] = {
    "rkg": str(RKG),
    "mech": str(MECH),
    "actor": str(ACTOR),
    "cat": str(CAT),
    "ptype": str(PTYPE),
    "region": str(REGION),
    "scheme": str(SCHEME),
    "case": str(CASE),
    "body": str(BODY),
    "place": str(PLACE),
    "src": str(SRC),
    "batch": str(BATCH),
    "evid": str(EVID),
    "graph": str(GRAPH),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "schema": str(SDO),
    "org": str(ORG),
    "sh": str(SH),
    "dcat": str(DCAT),
    "void": str(VOID),
}


def bind_prefixes(manager: NamespaceManager) -> None:
    """Bind the project prefixes, replacing rdflib's defaults for the same names."""
    for prefix, ns in PREFIXES.items():
        manager.bind(prefix, URIRef(ns), override=True, replace=True)


def sparql_prologue() -> str:
    """PREFIX lines for every project prefix, prepended to user queries."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


def compact_iri(text: str) -> str:
    """A project IRI as a prefixed name (`mech:liaison-station`); other text unchanged.

    A namespace can only shorten an IRI if both end their last path segment at the same
    `/`, so only the namespaces sharing the IRI's head are tried, in PREFIXES order.
    """
    for prefix, ns in _NAMESPACES_BY_HEAD.get(text[: text.rfind("/") + 1], ()):
        if text.startswith(ns):
            return f"{prefix}:{text[len(ns) :]}"
    return text


_NAMESPACES_BY_HEAD: dict[str, list[tuple[str, str]]] = {}
for _prefix, _ns in PREFIXES.items():
    _NAMESPACES_BY_HEAD.setdefault(_ns[: _ns.rfind("/") + 1], []).append((_prefix, _ns))
