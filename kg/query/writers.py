"""Writing query answers, one set of writers for the command line and the endpoint.

SELECT tables as a text table, Markdown, or the W3C SPARQL 1.1 result formats (JSON,
XML, CSV, TSV: TSV keeps language tags and datatypes in Turtle syntax), so standard
readers parse them back; ASK answers in each of those; CONSTRUCT graphs as Turtle,
N-Triples, JSON-LD (the project prefixes as context) or RDF/XML.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from kg.core.errors import KgError, Problem
from kg.core.formats import RDF, RESULTS, XML_ILLEGAL, get
from kg.core.namespaces import PREFIXES, compact_iri
from kg.query.kept import STREAMED
from kg.store.rows import Table

SELECT_FORMATS = ("table", "csv", "tsv", "json", "md", "xml")
GRAPH_FORMATS = ("ttl", "nt", "jsonld", "xml")


class Unwritable(KgError):
    """An answer the chosen format cannot carry (a control character in XML, ...)."""


# What an IRI cannot hold in Turtle, N-Triples or TSV (IRIREF of the grammar).
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def check_iris(terms) -> None:
    """Refuse an IRI that no RDF syntax can write (a query can make one with IRI())."""
    for term in terms:
        if isinstance(term, URIRef) and _IRI_FORBIDDEN.search(term):
            raise Unwritable(
                Problem(
                    "results",
                    f"the answer holds {str(term)[:80]!r}, which is not a valid IRI",
                    hint="write it as a string (STR) or ask for CSV or JSON",
                )
            )


def compact(term: Node | None) -> str:
    """A short display form: prefixed names for project IRIs, lexical forms for literals."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return compact_iri(str(term))
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


# -- SELECT --


class _CharWidths(dict):
    """Terminal columns of each character seen (East Asian wide and fullwidth take two),
    looked up in C by `map`: 100k rows of Chinese labels in 0.2 s instead of 2 s."""

    def __missing__(self, ch: str) -> int:
        width = self[ch] = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        return width


_CHAR_WIDTHS = _CharWidths()


def _width(text: str) -> int:
    return len(text) if text.isascii() else sum(map(_CHAR_WIDTHS.__getitem__, text))


_BREAKS = str.maketrans("\r\n\t", "   ")


def _clean(text: str) -> str:
    return text.translate(_BREAKS) if not text.isprintable() else text


def display_cell(text: str) -> tuple[str, int]:
    """A cell's text as a text table shows it (breaks and tabs as spaces) and its width
    in terminal columns: for tables that keep their cells measured (`kg.query.similar`)."""
    shown = _clean(text)
    return shown, _width(shown)


_XSD_STRING = str(XSD.string)


def _texts(t: Table) -> list[list[str]]:
    """Each cell as `compact` shows it. From an engine's own terms (Oxigraph) IRIs, blank
    nodes and strings are read without making rdflib terms (at 100k rows, most of the
    time of a text table); other literals go through rdflib for its lexical forms."""
    if t.native is None:
        return [[compact(v) for v in row] for row in t.rows]
    import pyoxigraph as ox

    convert, seen = t.convert, {}

    def text(term) -> str:
        kind = type(term)
        if kind is ox.Literal and (term.language or term.datatype.value == _XSD_STRING):
            return term.value
        if term is None:
            return ""
        found = seen.get(term)  # IRIs repeat (a body's level, place, ...)
        if found is None:
            if kind is ox.NamedNode:
                found = compact_iri(term.value)
            elif kind is ox.BlankNode:
                found = f"_:{term.value}"
            else:
                found = compact(convert(term))
            seen[term] = found
        return found

    return [list(map(text, row)) for row in t.native]


def _as_table(t: Table) -> str:
    return text_table(t.variables, _texts(t))


def text_table(variables: list[str], texts: list[list[str]]) -> str:
    """The text table of rows already shown as text (`compact`): columns padded to their
    widest cell in terminal columns, a rule under the head, the row count below. Each
    distinct value of a column is cleaned, measured and padded once, and the cells are
    looked up with `map` (84k rows of five columns in a fifth of a second)."""
    columns = [list(col) for col in zip(*texts, strict=True)] or [[] for _ in variables]
    return text_columns(variables, columns)


def text_columns(variables: list[str], columns: list[list[str]]) -> str:
    """`text_table` of the same cells given column by column."""
    widths, padded = [], []
    for name, col in zip(variables, columns, strict=True):
        shown = {v: _clean(v) for v in dict.fromkeys(col)}
        sizes = {v: _width(c) for v, c in shown.items()}
        width = max([_width(name), *sizes.values()])
        pad = {v: c + " " * (width - sizes[v]) for v, c in shown.items()}
        widths.append(width)
        padded.append(map(pad.__getitem__, col))
    n = len(columns[0]) if columns else 0
    return framed_table(variables, widths, map("  ".join, zip(*padded, strict=True)), n)


def framed_table(variables: list[str], widths: list[int], lines, n: int) -> str:
    """A text table around its `n` row `lines` (cells padded to `widths`, two spaces
    apart): the head padded the same way, a rule under it, the row count below, and no
    space at the end of a line. `text_columns` and the similar-cases table kept by the
    index (`kg.query.similar`) both end here."""
    head = [name + " " * (w - _width(name)) for name, w in zip(variables, widths, strict=True)]
    frame = ["  ".join(head), "  ".join("-" * w for w in widths)] if variables else []
    out = [*frame, *lines, f"({n} row{'s' if n != 1 else ''})"]
    return "\n".join(map(str.rstrip, out)) + "\n"


def _as_markdown(t: Table) -> str:
    def esc(v: str) -> str:
        return _clean(v).replace("\\", "\\\\").replace("|", "\\|")

    out = ["| " + " | ".join(t.variables) + " |", "|" + "---|" * len(t.variables)]
    out += ["| " + " | ".join(esc(v) for v in row) + " |" for row in _texts(t)]
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
    check_iris(x for row in t.rows for x in row)
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


def _json(doc: dict, compact_output: bool) -> str:
    if compact_output:
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def _as_json(t: Table, compact_output: bool = False) -> str:
    bindings = [
        {v: json_term(x) for v, x in zip(t.variables, row, strict=True) if x is not None}
        for row in t.rows
    ]
    return _json({"head": {"vars": t.variables}, "results": {"bindings": bindings}}, compact_output)


_XML_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'
)


def format_table(t: Table, fmt: str, *, compact_output: bool = False) -> str:
    """A SELECT result in one of `SELECT_FORMATS` (JSON indented unless `compact_output`)."""
    if fmt == "json":
        return _as_json(t, compact_output)
    if fmt == "xml":
        return results_bytes(t, "xml").decode("utf-8")
    return {"table": _as_table, "csv": _as_csv, "tsv": _as_tsv, "md": _as_markdown}[fmt](t)


# -- SELECT in the W3C formats, written by pyoxigraph --


def _nt_escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )


def _tsv_cell(term: Node | None) -> str:
    """A term in the N-Triples syntax that TSV results use (tabs and breaks escaped)."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    assert isinstance(term, Literal)
    text = f'"{_nt_escape(str(term))}"'
    if term.language:
        return f"{text}@{term.language}"
    if term.datatype is not None and term.datatype != XSD.string:
        return f"{text}^^<{term.datatype}>"
    return text


def _interchange(t: Table) -> str:
    """The rows as W3C TSV: from the engine's own terms when the store kept them."""
    head = "\t".join(f"?{v}" for v in t.variables) + "\n"
    if t.native is not None:  # pyoxigraph terms print as N-Triples, tabs escaped
        cells = (("" if x is None else str(x) for x in row) for row in t.native)
    else:
        cells = ((_tsv_cell(x) for x in row) for row in t.rows)
    return head + "".join("\t".join(row) + "\n" for row in cells)


def _xml_check(t: Table) -> None:
    """Refuse (406) what XML 1.0 cannot carry, before pyoxigraph would write it raw."""
    rows = t.native if t.native is not None else t.rows
    for row in rows:
        for term in row:
            if term is None:
                continue
            value = getattr(term, "value", None)  # an rdflib Literal's is a Python value
            texts = [value if isinstance(value, str) else str(term)]
            datatype = getattr(term, "datatype", None)
            if datatype is not None:  # pyoxigraph's NamedNode has .value; rdflib's is a str
                dt_value = getattr(datatype, "value", None)
                texts.append(dt_value if isinstance(dt_value, str) else str(datatype))
            if any(XML_ILLEGAL.search(text) for text in texts):
                raise Unwritable(
                    Problem(
                        "results",
                        "the result holds a control character that XML cannot carry",
                        hint="ask for JSON, CSV or TSV results",
                    )
                )


def results_bytes(t: Table, fmt: str) -> bytes:
    """A SELECT result in a W3C format (json, xml, csv, tsv), written by pyoxigraph.

    pyoxigraph's writers are an order of magnitude faster than ours on long results
    (100k rows as JSON: 0.31 s against 3.57 s through rdflib terms); the rows reach them
    as TSV, the one format that carries every term exactly and that pyoxigraph reads.
    """
    import pyoxigraph as ox

    if fmt == "xml":
        _xml_check(t)
    if t.native is None:
        check_iris(x for row in t.rows for x in row)
    solutions = ox.parse_query_results(_interchange(t), format=ox.QueryResultsFormat.TSV)
    return solutions.serialize(format=getattr(ox.QueryResultsFormat, get(RESULTS, fmt).oxigraph))


def stream_select(store, prepared, fmt: str, stream, *, timeout: float | None) -> bool:
    """Write a SELECT's answer to `stream` (a binary file with a descriptor) as the engine
    yields it, if the store and the format allow; False (nothing written) if not.

    A long result (a million rows of claims at 100k cases) then costs no memory and no
    Python term per cell, and its first row arrives as soon as the engine has it.
    """
    write = getattr(store, "write_select", None)
    if write is None or fmt not in STREAMED or prepared.form != "SELECT":
        return False
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's buffer)
        return False
    stream.flush()
    write(prepared, get(RESULTS, fmt).oxigraph, fd, timeout=timeout)
    return True


# -- ASK --


def format_ask(value: bool, fmt: str) -> str:
    """An ASK answer in a result format; `table` and `md` print the word."""
    word = "true" if value else "false"
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}) + "\n"
    if fmt == "xml":
        return f"{_XML_HEAD}<head/>\n<boolean>{word}</boolean>\n</sparql>\n"
    if fmt == "csv":
        return f"_askResult\r\n{word}\r\n"
    if fmt == "tsv":
        return f"?_askResult\n{word}\n"
    return word + "\n"


# -- CONSTRUCT / DESCRIBE --


def graph_bytes(graph: Graph, fmt: str) -> bytes:
    """A graph as Turtle, N-Triples, JSON-LD (project prefixes as context) or RDF/XML;
    the same triples always give the same bytes."""
    from kg.build.serialize import rdfxml_triples, stable  # heavy: only for graphs

    check_iris(term for triple in graph for term in triple)
    if fmt == "nt":
        lines = graph.serialize(format="nt", encoding="utf-8").splitlines(keepends=True)
        return b"".join(sorted(lines))
    if fmt == "jsonld":
        text = stable(graph).serialize(
            format="json-ld", context=PREFIXES, indent=1, ensure_ascii=False
        )
        doc = json.loads(text)
        if isinstance(doc, dict) and isinstance(doc.get("@graph"), list):
            doc["@graph"].sort(key=lambda node: str(node.get("@id", "")))
        return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
    if fmt == "xml":
        try:
            return rdfxml_triples(sorted(graph, key=lambda t: (t[0].n3(), t[1].n3(), t[2].n3())))
        except KgError as exc:
            raise Unwritable(exc.problems) from None
    return graph.serialize(format=get(RDF, fmt).rdflib, encoding="utf-8")
