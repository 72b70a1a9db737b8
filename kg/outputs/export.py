"""Export the graph for other tools: RDF serialisations, GraphML/GEXF, CSV tables.

Every writer renders to bytes first and writes atomically; an existing file is only
replaced with `force`. GraphML and GEXF carry string and number attributes only (a
URIRef or a list breaks them: networkx #3663, #3572).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx

from kg.analysis.networks import network_graph
from kg.build import serialize
from kg.core.errors import KgError, Problem, option
from kg.core.formats import NETWORKS, RDF, TABLES, XML_ILLEGAL, find, get, names
from kg.core.textio import atomic_write_many

if TYPE_CHECKING:
    from kg.query.graph import QueryGraph

FORMATS = names(RDF) + names(NETWORKS) + names(TABLES)
#: table name -> (named query, parameters)
TABLES = {
    "cases": "cases",
    "bodies": "bodies",
    "places": "places",
    "mechanisms": "mechanism-frequency",
    "evidence": "claims",
    "quantities": "quantities",
}
_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")  # fullmatch
GEXF_DATE = re.compile(rb'lastmodifieddate="[^"]*"')


def inert(value: object) -> object:
    """Make a spreadsheet cell inert: text starting with = + - @ gets a leading quote."""
    if isinstance(value, str) and _FORMULA.match(value) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def _cell(value: object) -> object:
    if value is None:
        return ""
    return inert(str(value))


def csv_bytes(header: list[str], rows: list[list[object]], *, excel: bool = False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return (("\ufeff" if excel else "") + buffer.getvalue()).encode("utf-8")


def tables(kg: QueryGraph, *, excel: bool = False) -> dict[str, bytes]:
    """The CSV tables, by file name: one per named query plus the case × mechanism matrix."""
    out = {}
    for name, query in TABLES.items():
        table = kg.select(query)
        out[f"{name}.csv"] = csv_bytes(
            table.variables, [list(r.values()) for r in table.dicts()], excel=excel
        )
    pairs = kg.select("case-mechanisms").dicts()
    cases = sorted({r["case"] for r in pairs})
    mechanisms = sorted({r["mechanism"] for r in pairs})
    used = {(r["case"], r["mechanism"]) for r in pairs}
    header = ["case"] + [m.rsplit("/", 1)[-1] for m in mechanisms]
    rows = [[c] + [int((c, m) in used) for m in mechanisms] for c in cases]
    out["case_mechanism_matrix.csv"] = csv_bytes(header, rows, excel=excel)
    return out


def network_bytes(kg: QueryGraph, fmt: str, *, date: str = "1970-01-01") -> bytes:
    """GraphML or GEXF of the whole network; GEXF's modification date is fixed to `date`."""
    graph = nx.DiGraph(network_graph(kg))  # Gephi reads simple graphs best
    items = [(n, a) for n, a in graph.nodes(data=True)]
    items += [(f"{u} -> {v}", a) for u, v, a in graph.edges(data=True)]
    for where, attrs in items:  # networkx would write them raw: a file no reader accepts
        for key, value in attrs.items():
            if isinstance(value, str) and XML_ILLEGAL.search(value):
                raise KgError(
                    Problem(
                        str(where),
                        f"its {key} holds a control character that {fmt} (XML) cannot carry",
                        hint="export as csv or Turtle, or remove the character from the data",
                    )
                )
    buffer = io.BytesIO()
    if fmt == "graphml":
        nx.write_graphml(graph, buffer, encoding="utf-8")
        return buffer.getvalue()
    nx.write_gexf(graph, buffer, encoding="utf-8")
    return GEXF_DATE.sub(f'lastmodifieddate="{date}"'.encode(), buffer.getvalue())


def render(kg: QueryGraph, fmt: str, *, excel: bool = False) -> dict[str, bytes]:
    """The files of one export format, by relative name, rendered in memory."""
    if fmt not in FORMATS:
        raise KgError(
            Problem(
                option("format"), f"unknown format {fmt!r}", hint="one of " + ", ".join(FORMATS)
            )
        )
    if fmt == "csv":
        return tables(kg, excel=excel)
    network = find(NETWORKS, fmt)
    if network is not None:
        return {f"kg{network.suffix}": network_bytes(kg, fmt)}
    suffix = get(RDF, fmt).suffix
    return {f"kg{suffix}": serialize.serialize(kg.store.to_dataset(), fmt)}


def export(
    kg: QueryGraph, fmt: str, out: Path, *, force: bool = False, excel: bool = False
) -> list[Path]:
    """Write one format to `out`: a file, or a folder for CSV (several tables).

    Nothing is written if any target exists and `force` is not set, or if any file
    fails to render.
    """
    files = render(kg, fmt, excel=excel)
    if fmt == "csv" or out.is_dir():
        targets = {out / name: data for name, data in files.items()}
    else:
        targets = {out: next(iter(files.values()))}
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise KgError(
            Problem(
                str(existing[0]),
                "already exists",
                hint=f"pass {option('force', True)} to replace it, or choose another "
                f"{option('out')}",
            )
        )
    try:
        atomic_write_many(sorted(targets.items()))
    except OSError as exc:
        raise KgError(
            Problem(
                str(out),
                f"cannot write: {exc.strerror}",
                hint="check that the folder exists and is writable",
            )
        ) from None
    return sorted(targets)
