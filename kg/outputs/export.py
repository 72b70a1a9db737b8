"""Export the graph for other tools: RDF serialisations, GraphML/GEXF, analyst tables.

Every writer renders to bytes first and writes atomically; an existing file is only
replaced with `force`. The networks are in `kg.outputs.gephi`, the tables and their
codebook in `kg.outputs.tables` and `kg.outputs.codebook`; `.dta` and Parquet need the
optional extra `tables` (`kg.outputs.frames`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from kg.build import serialize
from kg.core.errors import KgError, Problem, option
from kg.core.formats import NETWORKS, RDF, TABLES, find, get, names
from kg.core.textio import atomic_write_many
from kg.outputs.gephi import NETWORK_NAMES, network, network_bytes

if TYPE_CHECKING:
    from kg.outputs.codebook import DataTable
    from kg.query.graph import QueryGraph

FORMATS = names(RDF) + names(NETWORKS) + names(TABLES)
_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")  # fullmatch
#: the time stamp written into .dta files (Stata requires one): fixed, so bytes repeat
STATA_STAMP = dt.datetime(2000, 1, 1)


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


def table_files(
    kg: QueryGraph, fmt: str = "csv", *, excel: bool = False, stamp: dt.datetime = STATA_STAMP
) -> dict[str, bytes]:
    """The analyst tables in one format, by file name, with the codebook (CSV + Markdown)."""
    from kg.outputs.codebook import codebook_csv, codebook_markdown
    from kg.outputs.tables import analyst_tables

    found = analyst_tables(kg)
    bom = "\ufeff".encode() if excel and fmt == "csv" else b""
    out = {"codebook.csv": bom + codebook_csv(found), "codebook.md": codebook_markdown(found)}
    for table in found:
        out[f"{table.name}.{fmt}"] = _table_bytes(table, fmt, excel=excel, stamp=stamp)
    return out


def _table_bytes(table: DataTable, fmt: str, *, excel: bool, stamp: dt.datetime) -> bytes:
    if fmt == "csv":
        return csv_bytes(table.columns, table.rows, excel=excel)
    from kg.outputs.frames import dta_bytes, parquet_bytes

    return dta_bytes(table, stamp) if fmt == "dta" else parquet_bytes(table)


def tables(kg: QueryGraph, *, excel: bool = False) -> dict[str, bytes]:
    """The CSV tables and the codebook, by file name."""
    return table_files(kg, "csv", excel=excel)


def render(
    kg: QueryGraph, fmt: str, *, excel: bool = False, network_name: str = "graph"
) -> dict[str, bytes]:
    """The files of one export format, by relative name, rendered in memory.

    Networks are named after `network_name` (`kg.graphml` for the whole graph,
    `cooccurrence.graphml`, ...); tables are a folder of files.
    """
    if fmt not in FORMATS:
        raise KgError(
            Problem(
                option("format"), f"unknown format {fmt!r}", hint="one of " + ", ".join(FORMATS)
            )
        )
    if find(TABLES, fmt) is not None:
        return table_files(kg, fmt, excel=excel)
    found = find(NETWORKS, fmt)
    if found is not None:
        if network_name not in NETWORK_NAMES:
            raise KgError(
                Problem(
                    option("network"),
                    f"unknown network {network_name!r}",
                    hint="one of " + ", ".join(NETWORK_NAMES),
                )
            )
        stem = "kg" if network_name == "graph" else network_name
        return {f"{stem}{found.suffix}": network_bytes(network(kg, network_name), fmt)}
    suffix = get(RDF, fmt).suffix
    return {f"kg{suffix}": serialize.serialize(kg.store.to_dataset(), fmt)}


def export(
    kg: QueryGraph,
    fmt: str,
    out: Path,
    *,
    force: bool = False,
    excel: bool = False,
    network_name: str = "graph",
) -> list[Path]:
    """Write one format to `out`: a file, or a folder for tables (several files).

    Nothing is written if any target exists and `force` is not set, or if any file
    fails to render.
    """
    files = render(kg, fmt, excel=excel, network_name=network_name)
    if find(TABLES, fmt) is not None or out.is_dir():
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
