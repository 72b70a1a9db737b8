"""Writing query results: SELECT tables as text, CSV, TSV, SPARQL JSON or Markdown.

CSV, TSV and JSON follow the W3C SPARQL 1.1 result formats (TSV keeps language tags and
datatypes in Turtle syntax), so standard readers parse them back.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from kg.core.namespaces import PREFIXES

SELECT_FORMATS = ("table", "csv", "tsv", "json", "md")
GRAPH_FORMATS = {"ttl": "turtle", "turtle": "turtle", "nt": "nt", "jsonld": "json-ld"}


@dataclass(frozen=True)
class Table:
    """The rows of a SELECT: one tuple per row, `None` where a variable is unbound."""

    variables: list[str]
    rows: list[tuple[Node | None, ...]]

    def dicts(self) -> list[dict[str, object]]:
        """Rows as dicts of Python values (str, int, float, ...), for scripts."""
        return [
            {v: _python(t) for v, t in zip(self.variables, row, strict=True)} for row in self.rows
        ]

    def to_dataframe(self):
        """A pandas DataFrame of `dicts()` (needs pandas installed)."""
        import pandas as pd

        return pd.DataFrame(self.dicts(), columns=self.variables)


def _python(term: Node | None) -> object:
    """Numbers (decimals as floats) and booleans as Python values, the rest as `str`."""
    if term is None:
        return None
    if isinstance(term, Literal):
        value = term.toPython()
        if type(value) in (int, float, bool):
            return value
        if isinstance(value, Decimal):  # lift, support, Jaccard: numbers, not text
            return float(value)
    return str.__str__(term)


def compact(term: Node | None) -> str:
    """A short display form: prefixed names for project IRIs, lexical forms for literals."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return compact_iri(str(term))
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def compact_iri(text: str) -> str:
    """`compact` for an IRI given as a string (no term object to build).

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


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _clean(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ").replace("\t", " ")


def _as_table(t: Table) -> str:
    cells = [[_clean(compact(v)) for v in row] for row in t.rows]
    widths = [max([_width(h)] + [_width(r[i]) for r in cells]) for i, h in enumerate(t.variables)]

    def line(values: list[str]) -> str:
        return "  ".join(v + " " * (w - _width(v)) for v, w in zip(values, widths, strict=True))

    out = [line(t.variables), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    out.append(f"({len(t.rows)} row{'s' if len(t.rows) != 1 else ''})")
    return "\n".join(o.rstrip() for o in out) + "\n"


def _as_markdown(t: Table) -> str:
    def esc(v: str) -> str:
        return _clean(v).replace("\\", "\\\\").replace("|", "\\|")

    out = ["| " + " | ".join(t.variables) + " |", "|" + "---|" * len(t.variables)]
    out += ["| " + " | ".join(esc(compact(v)) for v in row) + " |" for row in t.rows]
    return "\n".join(out) + "\n"


def _as_csv(t: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(t.variables)
    for row in t.rows:
        writer.writerow(
            ["" if v is None else (f"_:{v}" if isinstance(v, BNode) else str(v)) for v in row]
        )
    return buffer.getvalue()


def _tsv_term(term: Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, Literal) and term.datatype in (XSD.integer, XSD.decimal, XSD.double):
        return str(term)  # the W3C format allows bare numbers
    text = term.n3()
    return text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _as_tsv(t: Table) -> str:
    lines = ["\t".join(f"?{v}" for v in t.variables)]
    lines += ["\t".join(_tsv_term(v) for v in row) for row in t.rows]
    return "\n".join(lines) + "\n"


def json_term(term: Node) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    assert isinstance(term, Literal)
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype:
        out["datatype"] = str(term.datatype)
    return out


def _as_json(t: Table) -> str:
    bindings = [
        {v: json_term(x) for v, x in zip(t.variables, row, strict=True) if x is not None}
        for row in t.rows
    ]
    doc = {"head": {"vars": t.variables}, "results": {"bindings": bindings}}
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def format_table(t: Table, fmt: str) -> str:
    """Render a SELECT result in one of `SELECT_FORMATS`."""
    return {
        "table": _as_table,
        "csv": _as_csv,
        "tsv": _as_tsv,
        "json": _as_json,
        "md": _as_markdown,
    }[fmt](t)


def format_ask(value: bool, fmt: str) -> str:
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}) + "\n"
    return ("true" if value else "false") + "\n"
