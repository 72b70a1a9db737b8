"""The networks for Gephi (GraphML, GEXF), with attributes to colour and filter by.

    graph           the typed graph: case, body, place, mechanism and actor nodes; one edge
                    per row of the `network-edges` query, so a case whose party committee
                    both leads and supports it keeps both edges (a multigraph)
    case-mechanism  the bipartite graph of cases and the mechanisms tagged on them
    cooccurrence    mechanisms linked by the number of cases using both (`weight`)
    similarity      cases linked by the Jaccard similarity of their mechanism sets with
                    families (`weight`) and the number they share (`shared`)

Every node has `kind`, `label`, `label_zh` and `label_en`; case nodes add `section`,
`level`, `region` (plain words, as in the tables) and `year` (of the batch); body and
place nodes add `level` and `region`; mechanism nodes their `family`. Attributes are
strings or whole numbers only (a URIRef or a list breaks the writers: networkx #3663,
#3572), with one type per attribute name, as GraphML requires.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import networkx as nx

from kg.analysis.networks import (
    CaseMechanisms,
    case_mechanism_graph,
    compact_id,
    cooccurrence_graph,
    load_case_mechanisms,
    network_graph,
    similarity_graph,
)
from kg.core.errors import KgError, Problem
from kg.core.formats import XML_ILLEGAL

if TYPE_CHECKING:
    from kg.query.graph import QueryGraph

NETWORK_NAMES = ("graph", "case-mechanism", "cooccurrence", "similarity")
RANKS = {1: "province", 2: "prefecture", 3: "county", 4: "township"}
_STRING_ATTRS = ("kind", "label", "label_zh", "label_en", "section", "level", "region", "family")


def word(iri: object) -> str:
    """A categorical value as a plain word: rkg:CountyLevel -> county, cat:x -> x."""
    if not iri:
        return ""
    local = compact_id(iri).split(":", 1)[-1]
    return local.removesuffix("Level").lower() if local.endswith("Level") else local


def _case_attrs(attrs: dict[str, str]) -> dict[str, object]:
    out: dict[str, object] = {
        "section": word(attrs.get("category")),
        "level": word(attrs.get("level")),
        "region": word(attrs.get("region")),
    }
    year = str(attrs.get("year") or "")
    if year.isdigit():
        out["year"] = int(year)
    return out


def _place_attrs(kg: QueryGraph) -> dict[str, dict[str, object]]:
    """Level and region of every place and every declaring body."""
    out: dict[str, dict[str, object]] = {}
    for row in kg.select("places").dicts():
        rank = int(str(row["rank"])) if row["rank"] is not None else 0
        out[compact_id(row["place"])] = {
            "level": RANKS.get(rank, ""),
            "region": word(row["region"]),
        }
    for row in kg.select("bodies").dicts():
        place = out.get(compact_id(row.get("place")), {})
        out[compact_id(row["body"])] = {
            "level": word(row["level"]),
            "region": place.get("region", ""),
        }
    return out


def typed_network(kg: QueryGraph, data: CaseMechanisms) -> nx.MultiDiGraph:
    """The whole typed graph with every role kept and node attributes for colouring."""
    graph = network_graph(kg)
    places = _place_attrs(kg)
    for node, attrs in graph.nodes(data=True):
        if attrs["kind"] == "case" and node in data.case_attrs:
            attrs.update(_case_attrs(data.case_attrs[node]))
        elif attrs["kind"] in ("body", "place"):
            attrs.update(places.get(node, {"level": "", "region": ""}))
        elif attrs["kind"] == "mechanism":
            attrs["family"] = data.families(node)[0]
    out = nx.MultiDiGraph(name=graph.graph.get("name", "renda-kg"))
    out.add_nodes_from(sorted(graph.nodes(data=True)))
    for u, v, key, attrs in sorted(graph.edges(keys=True, data=True), key=lambda e: e[:3]):
        out.add_edge(u, v, key=f"{u} {key} {v}", label=attrs["relation"], **attrs)
    return out


def network(kg: QueryGraph, name: str) -> nx.Graph:
    """One of `NETWORK_NAMES` as a networkx graph with export-safe attributes."""
    data = load_case_mechanisms(kg)
    if name == "graph":
        return typed_network(kg, data)
    if name == "case-mechanism":
        graph = case_mechanism_graph(kg, data)
    elif name == "cooccurrence":
        graph = cooccurrence_graph(kg, data)
    elif name == "similarity":
        graph = similarity_graph(kg, data)
    else:
        raise KgError(Problem(name, "is not a network", hint="one of " + ", ".join(NETWORK_NAMES)))
    for node, attrs in graph.nodes(data=True):
        if attrs.get("kind") == "case" and node in data.case_attrs:
            for key in ("category", "year"):
                attrs.pop(key, None)
            attrs.update(_case_attrs(data.case_attrs[node]))
        elif attrs.get("kind") == "mechanism":
            attrs["family"] = data.families(node)[0]
    return graph


def _check_xml(graph: nx.Graph, fmt: str) -> None:
    """networkx would write a control character raw: a file no reader accepts."""
    items = list(graph.nodes(data=True)) + [((u, v), a) for u, v, a in graph.edges(data=True)]
    for where, attrs in items:
        for key, value in attrs.items():
            if isinstance(value, str) and XML_ILLEGAL.search(value):
                raise KgError(
                    Problem(
                        str(where),
                        f"its {key} holds a control character that {fmt} (XML) cannot carry",
                        hint="export as csv or Turtle, or remove the character from the data",
                    )
                )


def network_bytes(graph: nx.Graph, fmt: str, *, date: str = "1970-01-01") -> bytes:
    """GraphML or GEXF of `graph`; GEXF's modification date is fixed to `date`."""
    import re

    _check_xml(graph, fmt)
    for _, attrs in graph.nodes(data=True):  # one type per attribute name
        for key in _STRING_ATTRS:
            if key in attrs and not isinstance(attrs[key], str):
                attrs[key] = str(attrs[key])
    buffer = io.BytesIO()
    if fmt == "graphml":
        nx.write_graphml(graph, buffer, encoding="utf-8")
        return buffer.getvalue()
    nx.write_gexf(graph, buffer, encoding="utf-8")
    return re.sub(
        rb'lastmodifieddate="[^"]*"', f'lastmodifieddate="{date}"'.encode(), buffer.getvalue()
    )
