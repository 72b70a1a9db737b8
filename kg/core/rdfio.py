"""Reading RDF files with errors that name the file and line.

Every file passes a strict gate before rdflib sees it (`check_rdf`):

* RDF/XML with a DOCTYPE or ENTITY declaration is refused unread (entity expansion,
  "billion laughs", and external entities that would read files or fetch URLs);
* JSON-LD may only carry inline contexts: a context given by URL or file name and
  `@import` are refused, since rdflib would fetch or read them;
* the text is parsed with Oxigraph, which rejects what rdflib tolerates (a literal as
  subject, a blank node as predicate, an IRI with a space, a relative IRI with no
  @base); its error names the line and column;
* typed literals must be valid for their XSD datatype ("abc"^^xsd:integer and
  "2023-02-30"^^xsd:date are refused), because rdflib would compare them wrongly.

A leading UTF-8 byte order mark is ignored.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from pathlib import Path

from rdflib import BNode, Graph

from kg.core.errors import KgError, Problem
from kg.core.namespaces import bind_prefixes
from kg.core.textio import check_input, read_bytes, read_utf8

_LINE = re.compile(r"line (\d+)")
_XSD = "http://www.w3.org/2001/XMLSchema#"
_NAMES = {
    "turtle": "Turtle",
    "trig": "TriG",
    "nt": "N-Triples",
    "nquads": "N-Quads",
    "json-ld": "JSON-LD",
    "xml": "RDF/XML",
}
_HINTS = {
    "turtle": "fix the syntax at that line (a missing ' .' or ';' is common)",
    "json-ld": "put the @context inline; nothing is fetched",
    "xml": "remove the DOCTYPE; RDF/XML needs no DTD",
}
#: a base that no real IRI uses: a term under it was relative in the file
_SENTINEL_BASE = "http://relative-iri.invalid/"
_NESTED_HINT = "flatten the nesting (a few hundred levels at most)"
_RELATIVE_HINT = "write full IRIs, or declare @base"
_DOCTYPE = re.compile(r"<!\s*(DOCTYPE|ENTITY)\b", re.IGNORECASE)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")

_INT = r"[+-]?[0-9]+"
_DEC = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_TZ = r"(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
_YEAR = r"-?(?:[1-9][0-9]{4,}|[0-9]{4})"
_DATE = rf"({_YEAR})-([0-9]{{2}})-([0-9]{{2}})"
_LEXICAL = {
    name: re.compile(rf"(?:{pattern})\Z")
    for pattern, names in [
        (
            _INT,
            "integer long int short byte unsignedLong unsignedInt unsignedShort unsignedByte "
            "nonNegativeInteger nonPositiveInteger positiveInteger negativeInteger",
        ),
        (_DEC, "decimal"),
        (rf"{_DEC}(?:[eE][+-]?[0-9]+)?|[+-]?INF|NaN", "double float"),
        ("true|false|1|0", "boolean"),
        (rf"{_DATE}{_TZ}", "date"),
        (rf"{_DATE}T([0-9]{{2}}):([0-9]{{2}}):([0-9]{{2}})(?:\.[0-9]+)?{_TZ}", "dateTime"),
        (rf"{_YEAR}{_TZ}", "gYear"),
        (rf"{_YEAR}-(0[1-9]|1[0-2]){_TZ}", "gYearMonth"),
    ]
    for name in names.split()
}
_SIGN = {
    "nonNegativeInteger": lambda n: n >= 0,
    "positiveInteger": lambda n: n > 0,
    "nonPositiveInteger": lambda n: n <= 0,
    "negativeInteger": lambda n: n < 0,
    "unsignedLong": lambda n: 0 <= n < 2**64,
    "unsignedInt": lambda n: 0 <= n < 2**32,
    "unsignedShort": lambda n: 0 <= n < 2**16,
    "unsignedByte": lambda n: 0 <= n < 2**8,
    "long": lambda n: -(2**63) <= n < 2**63,
    "int": lambda n: -(2**31) <= n < 2**31,
    "short": lambda n: -(2**15) <= n < 2**15,
    "byte": lambda n: -(2**7) <= n < 2**7,
}


def _well_typed(datatype: str, value: str) -> bool:
    """False when `value` is not in the lexical space of the XSD datatype (others: True)."""
    if not datatype.startswith(_XSD):
        return True
    name = datatype[len(_XSD) :]
    pattern = _LEXICAL.get(name)
    if pattern is None:
        return True
    match = pattern.match(value)
    if match is None:
        return False
    if name in _SIGN:
        return _SIGN[name](int(value))
    if name in ("date", "dateTime"):
        year, month, day = (int(g) for g in match.groups()[:3])
        if 1 <= year <= 9999:
            try:
                dt.date(year, month, day)
            except ValueError:
                return False
        elif not (1 <= month <= 12 and 1 <= day <= 31):
            return False
        if name == "dateTime":
            hour, minute, second = (int(g) for g in match.groups()[3:6])
            if (hour, minute, second) != (24, 0, 0) and not (
                hour < 24 and minute < 60 and second < 60
            ):
                return False
    return True


def _line_of(text: str, needle: str) -> int | None:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def _fail(path: Path, fmt: str, message: str, line: int | None = None, hint: str = "") -> KgError:
    return KgError(
        Problem(
            str(path),
            f"invalid {_NAMES.get(fmt, fmt)}: {message}",
            line=line,
            hint=hint or _HINTS.get(fmt, "fix the file at that line, or rebuild it with kg build"),
        )
    )


def _check_jsonld_contexts(path: Path, text: str) -> None:
    """Refuse a context given by reference (URL, file:, relative name) and @import."""
    try:
        doc = json.loads(text)
    except RecursionError:
        raise _fail(
            path, "json-ld", "the JSON is nested too deeply to read", hint=_NESTED_HINT
        ) from None
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        column = getattr(exc, "colno", None)
        where = f"line {line}, column {column}: " if line else ""
        message = getattr(exc, "msg", str(exc))
        raise _fail(path, "json-ld", f"{where}{message}", line, "fix the JSON there") from None
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        for key, value in item.items():
            if key == "@import":
                raise _fail(
                    path,
                    "json-ld",
                    f"@import {str(value)[:200]!r} is refused: contexts are never fetched",
                    _line_of(text, '"@import"'),
                )
            if key == "@context":
                refs = value if isinstance(value, list) else [value]
                for ref in refs:
                    if isinstance(ref, str):
                        raise _fail(
                            path,
                            "json-ld",
                            f"the @context {ref[:200]!r} is a reference to another document "
                            "and is refused: contexts are never fetched or read from disk",
                            _line_of(text, json.dumps(ref)[1:-1]),
                        )
            if isinstance(value, dict | list):
                stack.append(value)


def check_rdf(path: Path, text: str, fmt: str) -> None:
    """The strict gate: a `KgError` naming the position of the first problem in `text`.

    `fmt` is the rdflib format name (turtle, trig, nt, nquads, json-ld, xml).
    """
    import pyoxigraph as ox

    if fmt == "xml":
        found = _DOCTYPE.search(text)
        if found:
            raise _fail(
                path,
                fmt,
                f"<!{found.group(1).upper()} declarations are refused (entity expansion and "
                "external entities could read files, fetch URLs or exhaust memory)",
                text.count("\n", 0, found.start()) + 1,
            )
    if fmt == "json-ld":
        _check_jsonld_contexts(path, text)
    ox_format = {
        "turtle": ox.RdfFormat.TURTLE,
        "trig": ox.RdfFormat.TRIG,
        "nt": ox.RdfFormat.N_TRIPLES,
        "nquads": ox.RdfFormat.N_QUADS,
        "json-ld": ox.RdfFormat.JSON_LD,
        "xml": ox.RdfFormat.RDF_XML,
    }[fmt]
    # JSON-LD drops relative IRIs silently; a sentinel base makes them visible.
    base = _SENTINEL_BASE if fmt == "json-ld" else None
    try:
        for quad in ox.parse(text, format=ox_format, base_iri=base):
            for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
                if isinstance(term, ox.NamedNode):
                    if term.value.startswith(_SENTINEL_BASE):
                        relative = term.value[len(_SENTINEL_BASE) :]
                        raise _fail(
                            path,
                            fmt,
                            f"relative IRI {relative!r} with no @base: IRIs must be absolute",
                            _line_of(text, relative),
                            _RELATIVE_HINT,
                        )
                elif isinstance(term, ox.Literal) and not _well_typed(
                    term.datatype.value, term.value
                ):
                    name = term.datatype.value.replace(_XSD, "xsd:")
                    raise _fail(
                        path,
                        fmt,
                        f"ill-typed literal {term.value[:80]!r}: not a valid {name}",
                        _line_of(text, term.value),
                        f"write a valid {name} value, or drop the datatype to keep it as text",
                    )
    except MemoryError:
        raise term_too_large(path, text) from None
    except SyntaxError as exc:
        line, column = exc.lineno, exc.offset
        message = str(exc.msg if exc.msg else exc)
        message = re.sub(r"^Parser error (at|between) [^:]*: ", "", message)
        message = re.sub(r" \(line \d+\)$", "", message)
        hint = ""
        if "No scheme found in an absolute IRI" in message:
            message, hint = "relative IRI with no @base: IRIs must be absolute", _RELATIVE_HINT
        if "No LoadDocumentCallback" in message:
            message = "a remote @context is refused: contexts are never fetched"
        where = f"line {line}, column {column}: " if line else ""
        raise _fail(path, fmt, f"{where}{message}", line, hint) from None


#: Oxigraph's parsers hold one term (a literal, an IRI) in a buffer of at most this size.
MAX_TERM = 16 * 1024**2


def term_too_large(path: Path, text: str | None = None) -> KgError:
    """The error for a literal or IRI larger than Oxigraph's parser buffer."""
    line = None
    if text is not None:  # the first line long enough to hold such a term
        start = 0
        for number, current in enumerate(text.splitlines(keepends=True), 1):
            if len(current) >= MAX_TERM:
                line = number
                break
            start += len(current)
    return KgError(
        Problem(
            str(path),
            f"holds a literal or IRI over {MAX_TERM // 1024**2} MiB, which is refused",
            line=line,
            hint="keep long texts in data/sources/*.txt and quote spans of them",
        )
    )


def oxigraph_input(path: Path) -> dict:
    """Keyword arguments that make pyoxigraph read `path` (checked to be a regular file;
    a leading UTF-8 byte order mark skipped, as by every other reader)."""
    check_input(path, limit=None)
    with path.open("rb") as handle:
        bom = handle.read(3) == b"\xef\xbb\xbf"
    return {"input": read_bytes(path, limit=None)[3:]} if bom else {"path": str(path)}


def _read_rdf(path: Path) -> str:
    return read_utf8(path).removeprefix("\ufeff")


def _parse_error(path: Path, fmt: str, exc: BaseException, prefix: str, hint: str) -> KgError:
    if isinstance(exc, RecursionError):
        return _fail(path, fmt, "brackets are nested too deeply to read", hint=_NESTED_HINT)
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    match = _LINE.search(str(exc))
    return KgError(
        Problem(
            str(path),
            f"{prefix}: {message}",
            line=int(match.group(1)) if match else None,
            hint=hint,
        )
    )


def parse_turtle(path: Path, into: Graph | None = None) -> Graph:
    """Parse a Turtle file strictly as UTF-8 into `into` (or a new graph).

    A text read a second time in this process is kept: what the parser added, in its
    order, and the prefixes it bound, by the text (`_TURTLE`); a third read replays them
    (4x faster than parsing: the vocabulary is read by every build and every ingest of a
    notebook, a server or the test suite; a command reads it once, and pays nothing).
    Each replay gives the text's blank nodes new labels, as a parse would. The file's
    place does not matter: the gate refuses a relative IRI unless an absolute @base
    resolves it."""
    graph = into if into is not None else Graph()
    text = _read_rdf(path)
    with _TURTLE_LOCK:
        kept = _TURTLE.get(text)
        again = kept is None and hash(text) in _TURTLE_SEEN
        if len(_TURTLE_SEEN) >= 4096:
            _TURTLE_SEEN.clear()
        _TURTLE_SEEN.add(hash(text))
    if kept is None:
        check_rdf(path, text, "turtle")
        fresh = _Recorder() if again and len(text) <= _TURTLE_KEPT_MAX else graph
        try:
            fresh.parse(data=text, format="turtle", publicID=path.resolve().as_uri())
        except Exception as exc:  # rdflib raises several unrelated types for bad syntax
            raise _parse_error(path, "turtle", exc, "invalid Turtle", _HINTS["turtle"]) from None
        if not isinstance(fresh, _Recorder):
            return graph
        kept = (tuple(dict.fromkeys(fresh.added)), tuple(fresh.namespaces()))
        with _TURTLE_LOCK:
            while len(_TURTLE) >= 64:
                _TURTLE.pop(next(iter(_TURTLE)))
            _TURTLE[text] = kept
    triples, prefixes = kept
    for prefix, namespace in prefixes:
        graph.bind(prefix, namespace)  # as the parser binds them
    fresh_nodes: dict[BNode, BNode] = {}

    def new(term):
        return fresh_nodes.setdefault(term, BNode()) if isinstance(term, BNode) else term

    for s, p, o in triples:  # one by one, as the parser adds them (a Dataset keeps its default)
        graph.add((new(s), p, new(o)))
    return graph


class _Recorder(Graph):
    """A graph that remembers what was added to it, in order (the parser's statements)."""

    def __init__(self) -> None:
        super().__init__(bind_namespaces="none")  # to learn the prefixes the file declares
        self.added: list = []

    def add(self, triple):
        self.added.append(triple)
        return super().add(triple)


#: Texts parsed by `parse_turtle` -> (triples, prefixes), at most 64 texts of at most
#: 2 MB each, the oldest dropped first.
_TURTLE: dict[str, tuple[tuple, tuple]] = {}
_TURTLE_KEPT_MAX = 2 * 1024**2
_TURTLE_SEEN: set[int] = set()  # hashes of the texts read once
_TURTLE_LOCK = threading.Lock()


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
    text = _read_rdf(path)
    check_rdf(path, text, fmt)
    dataset = Dataset()
    bind_prefixes(dataset.namespace_manager)
    base = _SENTINEL_BASE if fmt == "json-ld" else path.resolve().as_uri()
    try:
        dataset.parse(data=text, format=fmt, publicID=base)
    except Exception as exc:
        raise _parse_error(
            path, fmt, exc, f"cannot parse {fmt}", "rebuild it with `kg build`"
        ) from None
    if fmt == "json-ld":  # rdflib keeps what Oxigraph drops: relative terms, @vocab
        for quad in dataset.quads((None, None, None, None)):
            for term in quad[:3]:
                value = str(term)
                if type(term).__name__ == "URIRef" and (
                    value.startswith(_SENTINEL_BASE) or not _SCHEME.match(value)
                ):
                    raise _fail(
                        path,
                        fmt,
                        f"relative IRI {value.removeprefix(_SENTINEL_BASE)[:200]!r}: IRIs "
                        "must be absolute",
                        hint=_RELATIVE_HINT,
                    )
    return dataset
