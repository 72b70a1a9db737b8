"""`kg serve`: the graph as a local, read-only SPARQL 1.1 endpoint, with a query page.

    server = make_server(kg, port=0)        # binds 127.0.0.1 on a free port
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.url + "/sparql")
    ...
    server.shutdown(); server.server_close()

Routes (everything else is a 404 with a JSON message):

    GET  /                   the query page (kg/templates/query.html, kg/static/query.*)
    GET  /static/NAME        package assets from kg/static, nothing else
    GET  /sparql             SPARQL 1.1 Protocol query (?query=...), or without a query
                             the service description (Turtle, N-Triples, JSON-LD)
    POST /sparql             application/x-www-form-urlencoded or application/sparql-query
    GET  /queries            the named query library as JSON
    GET  /queries/NAME       runs a named query; its parameters are URL parameters
    GET  /.well-known/void   the VoID/DCAT description of the dataset
    OPTIONS *                CORS preflight (every response carries
                             Access-Control-Allow-Origin: *)

Status codes: 400 bad request (syntax error with line and column, two `query`
parameters, SERVICE or FROM outside the local named graphs, an unknown
default-graph-uri or named-graph-uri, a bad parameter, nesting too deep); 403 any update
(an `update` parameter, an application/sparql-update body, INSERT/DELETE/LOAD/CLEAR/...
as a query); 404 unknown path or named query; 405 a method other than GET, HEAD, POST,
OPTIONS; 406 a result that RDF/XML or SPARQL XML cannot carry; 411 a POST without
Content-Length (chunked bodies are not read); 413 a body over `max_body`; 414 a request
line over 64 kB (use POST); 415 a POST
body that is neither form-encoded nor application/sparql-query; 500 a query that made the
engine fail; 503 a query cancelled at its timeout, or every query slot busy for longer
than the timeout (with Retry-After). A SELECT with more than `max_rows` rows, or a
CONSTRUCT with more triples, is cut to `max_rows` and answered 200 with the header
`X-Truncated: true`. Errors are JSON `{"error": ..., "status": ...}` (plus `hint` and
`line` when known), or text/plain when the client prefers it; never a traceback.

Every query runs in a child process forked from the server (the graph is inherited
copy-on-write): the child checks the query (`kg.store.sparql.prepare`: read-only, no SERVICE,
no FROM outside the local graphs), evaluates it, serialises the answer and sends the
bytes back through a pipe. On timeout the child is killed, which truly stops rdflib and
Oxigraph; the server never runs user SPARQL in its own process, so neither a runaway
evaluation nor a pathological parse (a 600 kB query can keep pyparsing busy for a
minute) can stall it. On Linux (x86-64, arm64) the child also installs a seccomp filter
that lets `socket()` create only Unix sockets, so no engine can open a network
connection even if a query got past the checks (pyoxigraph has a live HTTP client for
SERVICE), and its address space is capped at `max_memory` above what it inherited; it
dies with the server (PR_SET_PDEATHSIG) and after `timeout` + 2 s of CPU in any case.
A fork costs about 3 ms; `Server` calls `gc.freeze()` once so that the children's garbage
collections do not copy the inherited graph page by page.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import ipaddress
import json
import os
import platform
import re
import resource
import select
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from itertools import islice
from typing import TYPE_CHECKING, TextIO
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape, quoteattr

import rdflib.plugins.sparql
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node

from kg.core.errors import KgError, Problem
from kg.core.namespaces import PREFIXES, VOID, bind_prefixes, sparql_prologue
from kg.query.library import NamedQuery, named_queries
from kg.query.writers import Table, format_table, json_term
from kg.store.sparql import PreparedQuery, prepare
from kg.store.stores import MemoryStore, OxigraphStore, to_rdflib

if TYPE_CHECKING:
    from kg.query.graph import KnowledgeGraph

# FROM/FROM NAMED must never make rdflib fetch a graph from the web or the disk
# (kg.store sets this too; a server must not depend on import order).
rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
# The server forks from a threaded process on purpose: the child only evaluates a query
# on inherited, read-only data and leaves with os._exit (Python 3.12+ warns about it).
warnings.filterwarnings("ignore", message=r".*multi-threaded.*fork", category=DeprecationWarning)

DEFAULT_PORT = 7878
DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_ROWS = 10_000
DEFAULT_MAX_BODY = 1_000_000
DEFAULT_MAX_MEMORY = 2 * 1024**3
MAX_REPLY = 512 * 1024**2  # bytes a child may send back
DRAIN_LIMIT = 16 * 1024**2  # an oversized body is read and dropped up to this size

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")

# format name -> media type; the first entry of each table is the default.
RESULT_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_TYPES = {
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}
# Other names a client may give in Accept or in `format=` (SPARQLWrapper sends both).
RESULT_ALIASES = {
    "application/json": "json",
    "srj": "json",
    "application/xml": "xml",
    "text/xml": "xml",
    "srx": "xml",
}
GRAPH_ALIASES = {
    "turtle": "ttl",
    "application/turtle": "ttl",
    "application/x-turtle": "ttl",
    "text/n3": "ttl",
    "text/rdf+n3": "ttl",
    "n3": "ttl",
    "ntriples": "nt",
    "n-triples": "nt",
    "json-ld": "jsonld",
    "json": "jsonld",
    "application/json": "jsonld",
    "application/x-json+ld": "jsonld",
    "xml": "rdfxml",
    "rdf+xml": "rdfxml",
    "rdf": "rdfxml",
    "application/xml": "rdfxml",
}
_SUFFIX = {  # media type -> file suffix of a download
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "text/turtle": "ttl",
    "application/n-triples": "nt",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "rdf",
}
_CHARSET = "; charset=utf-8"
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_STATIC_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\.(js|css|jsonld)")
_STATIC_TYPES = {
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "jsonld": "application/ld+json",
}
_HOST_HEADER = re.compile(r"[A-Za-z0-9.-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_RESERVED = {"format", "output", "results", "default-graph-uri", "named-graph-uri"}


# -- replies --


@dataclass
class Reply:
    """What the handler sends: a status, headers and the body bytes."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class _Refusal(Exception):
    """An answer other than 200, raised anywhere and turned into an error reply."""

    def __init__(self, status: int, message: str, hint: str = "", line: int | None = None):
        super().__init__(message)
        self.status, self.message, self.hint, self.line = status, message, hint, line


def _error_doc(status: int, message: str, hint: str = "", line: int | None = None) -> dict:
    doc: dict[str, object] = {"error": message, "status": status}
    if hint:
        doc["hint"] = hint
    if line:
        doc["line"] = line
    return doc


def error_reply(
    status: int,
    message: str,
    *,
    hint: str = "",
    line: int | None = None,
    text: bool = False,
    headers: dict[str, str] | None = None,
) -> Reply:
    """A JSON error (or text/plain when `text`): a message, never a traceback."""
    if text:
        phrase = HTTPStatus(status).phrase
        body = f"{status} {phrase}: {message}\n" + (f"hint: {hint}\n" if hint else "")
        kind = "text/plain" + _CHARSET
    else:
        body = json.dumps(_error_doc(status, message, hint, line), ensure_ascii=False) + "\n"
        kind = "application/json"
    return Reply(status, {"Content-Type": kind, **(headers or {})}, body.encode("utf-8"))


def _problem_reply(status: int, exc: KgError, text: bool = False) -> Reply:
    problem = exc.problems[0]
    return error_reply(status, problem.message, hint=problem.hint, line=problem.line, text=text)


def _encode_reply(reply: Reply) -> bytes:
    """A frame: the length of the rest (8 bytes), the meta length (4), meta JSON, body."""
    meta = json.dumps({"status": reply.status, "headers": reply.headers}).encode()
    rest = struct.pack("!I", len(meta)) + meta + reply.body
    return struct.pack("!Q", len(rest)) + rest


def _decode_reply(rest: bytes) -> Reply:
    (size,) = struct.unpack("!I", rest[:4])
    meta = json.loads(rest[4 : 4 + size])
    return Reply(int(meta["status"]), dict(meta["headers"]), rest[4 + size :])


# -- content negotiation --


def _accept_entries(accept: str) -> list[tuple[str, float]]:
    """(media type, q) from an Accept header, best first; q=0 entries are dropped."""
    entries = []
    for i, part in enumerate(accept.split(",")):
        bits = [b.strip() for b in part.split(";")]
        kind = bits[0].lower()
        if not kind:
            continue
        q = 1.0
        for bit in bits[1:]:
            key, _, value = bit.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            entries.append((kind, q, i))
    entries.sort(key=lambda e: (-e[1], e[2]))
    return [(k, q) for k, q, _ in entries]


def negotiate(
    accept: str, formats: Iterable[str], types: dict[str, str], aliases: dict[str, str]
) -> str:
    """The format to answer in: the first known `format=` value, else the best Accept
    entry, else the default (the first of `types`). Unknown names are ignored, as
    SPARQL clients send several spellings at once."""
    by_type = {t: name for name, t in types.items()}
    for value in formats:
        value = value.strip().lower()
        name = value if value in types else by_type.get(value) or aliases.get(value)
        if name:
            return name
    default = next(iter(types))
    for kind, _ in _accept_entries(accept or "*/*"):
        if kind in by_type:
            return by_type[kind]
        if kind in aliases:
            return aliases[kind]
        if kind == "*/*":
            return default
        if kind.endswith("/*"):
            major = kind[:-1]
            for name, t in types.items():
                if t.startswith(major):
                    return name
    return default


def prefers_text(accept: str) -> bool:
    """Whether an error should be text/plain rather than JSON for this Accept header."""
    for kind, _ in _accept_entries(accept or ""):
        if kind == "text/plain":
            return True
        if "json" in kind or kind in ("*/*", "application/*"):
            return False
    return False


# -- writing results --


def _xml_text(text: str) -> str:
    if _XML_ILLEGAL.search(text):
        raise _Refusal(
            406,
            "the result holds a control character that XML cannot carry",
            hint="ask for JSON, CSV or TSV results (format=json)",
        )
    return escape(text)


def _xml_term(term: Node) -> str:
    if isinstance(term, URIRef):
        return f"<uri>{_xml_text(str(term))}</uri>"
    if isinstance(term, BNode):
        return f"<bnode>{_xml_text(str(term))}</bnode>"
    assert isinstance(term, Literal)
    attrs = ""
    if term.language:
        attrs = f" xml:lang={quoteattr(term.language)}"
    elif term.datatype:
        attrs = f" datatype={quoteattr(_xml_text(str(term.datatype)))}"
    return f"<literal{attrs}>{_xml_text(str(term))}</literal>"


_XML_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'
)


def xml_results(table: Table) -> str:
    """SPARQL 1.1 Query Results XML Format for a SELECT."""
    out = [_XML_HEAD, "<head>"]
    out += [f"<variable name={quoteattr(v)}/>" for v in table.variables]
    out += ["</head>\n<results>\n"]
    for row in table.rows:
        cells = "".join(
            f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
            for v, t in zip(table.variables, row, strict=True)
            if t is not None
        )
        out.append(f"<result>{cells}</result>\n")
    out.append("</results>\n</sparql>\n")
    return "".join(out)


def json_results(table: Table) -> str:
    bindings = [
        {v: json_term(t) for v, t in zip(table.variables, row, strict=True) if t is not None}
        for row in table.rows
    ]
    doc = {"head": {"vars": table.variables}, "results": {"bindings": bindings}}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"


def _select_body(table: Table, fmt: str) -> str:
    if fmt == "json":
        return json_results(table)
    if fmt == "xml":
        return xml_results(table)
    return format_table(table, fmt)


def _ask_body(value: bool, fmt: str) -> str:
    word = "true" if value else "false"
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}) + "\n"
    if fmt == "xml":
        return f"{_XML_HEAD}<head/>\n<boolean>{word}</boolean>\n</sparql>\n"
    if fmt == "csv":
        return f"_askResult\r\n{word}\r\n"
    return f"?_askResult\n{word}\n"


def graph_body(graph: Graph, fmt: str) -> bytes:
    """A graph as Turtle, N-Triples, JSON-LD (project prefixes as context) or RDF/XML."""
    if fmt == "jsonld":
        text = graph.serialize(format="json-ld", context=PREFIXES, indent=1, ensure_ascii=False)
        return text.encode("utf-8")
    if fmt == "rdfxml":
        for _, _, o in graph:
            if isinstance(o, Literal) and _XML_ILLEGAL.search(str(o)):
                _xml_text(str(o))  # raises the 406
        try:
            return graph.serialize(format="xml", encoding="utf-8")
        except ValueError as exc:
            raise _Refusal(
                406, f"cannot write RDF/XML: {exc}", hint="ask for Turtle (format=ttl)"
            ) from None
    return graph.serialize(format={"ttl": "turtle", "nt": "nt"}[fmt], encoding="utf-8")


def _type_header(kind: str) -> str:
    return kind + ("" if kind.endswith(("json", "n-triples")) else _CHARSET)


# -- running a query (in the child process) --


@dataclass
class Job:
    """A query to answer: text (or a query prepared by the parent), how to answer it."""

    text: str
    where: str = "query"
    bindings: dict[str, Node] | None = None
    prepared: PreparedQuery | None = None
    accept: str = ""
    formats: tuple[str, ...] = ()
    default_graphs: tuple[str, ...] | None = None  # the protocol's dataset, if given
    named_graphs: tuple[str, ...] = ()
    max_rows: int = DEFAULT_MAX_ROWS
    local_graphs: tuple[str, ...] = ()
    text_errors: bool = False


def _is_update(text: str) -> bool:
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        parseUpdate(sparql_prologue() + text)
    except Exception:
        return False
    return True


def _query_dataset(prepared: PreparedQuery) -> list | None:
    algebra = prepared.algebra.algebra if prepared.algebra is not None else None
    return dict.get(algebra, "datasetClause") if algebra is not None else None


def _oxigraph_results(store: OxigraphStore, prepared: PreparedQuery, job: Job):
    import pyoxigraph as ox

    if job.default_graphs is not None:
        kwargs = {
            "default_graph": [ox.NamedNode(g) for g in job.default_graphs],
            "named_graphs": [ox.NamedNode(g) for g in job.named_graphs],
        }
    elif _query_dataset(prepared):
        kwargs = {}  # the query's own FROM clauses define the dataset
    else:
        kwargs = {"use_default_graph_as_union": True}
    try:
        return store.store.query(prepared.text, **kwargs)
    except SyntaxError as exc:
        raise _Refusal(400, f"SPARQL syntax error: {exc}") from None


def _rdflib_results(store: MemoryStore, prepared: PreparedQuery, job: Job):
    if prepared.algebra is None:
        raise _Refusal(500, "the query was not translated")
    if job.default_graphs is not None:
        clauses = [CompValue("DatasetClause", default=URIRef(g)) for g in job.default_graphs]
        clauses += [CompValue("DatasetClause", named=URIRef(g)) for g in job.named_graphs]
        prepared.algebra.algebra["datasetClause"] = clauses  # this child's own copy
    return store.dataset.query(prepared.algebra)


def _results(store, prepared: PreparedQuery, job: Job):
    if isinstance(store, OxigraphStore):
        return _oxigraph_results(store, prepared, job)
    if isinstance(store, MemoryStore):
        return _rdflib_results(store, prepared, job)
    return None


def _select(store, prepared: PreparedQuery, job: Job) -> tuple[Table, bool]:
    """The rows, at most `max_rows` of them, and whether there were more."""
    limit = job.max_rows + 1
    result = _results(store, prepared, job)
    if isinstance(store, OxigraphStore):
        names = [v.value for v in result.variables]
        rows = [tuple(to_rdflib(s[n]) for n in names) for s in islice(result, limit)]
    elif isinstance(store, MemoryStore):
        names = [str(v) for v in result.vars or []]
        rows = [tuple(r) for r in islice(result, limit)]
    else:
        table = store.select(prepared, None)
        names, rows = table.variables, table.rows[:limit]
    return Table(names, rows[: job.max_rows]), len(rows) > job.max_rows


def _ask(store, prepared: PreparedQuery, job: Job) -> bool:
    if isinstance(store, OxigraphStore):
        return bool(_results(store, prepared, job))
    if isinstance(store, MemoryStore):
        return bool(_results(store, prepared, job).askAnswer)
    return bool(store.ask(prepared, None))


def _construct(store, prepared: PreparedQuery, job: Job) -> tuple[Graph, bool]:
    if isinstance(store, OxigraphStore):
        triples = (
            (to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object))
            for t in _results(store, prepared, job)
        )
    elif isinstance(store, MemoryStore):
        triples = iter(_results(store, prepared, job))
    else:
        triples = iter(store.construct(prepared, None))
    graph = Graph()
    bind_prefixes(graph.namespace_manager)
    truncated = False
    seen: set = set()
    for triple in triples:
        if triple in seen:
            continue
        if len(seen) >= job.max_rows:
            truncated = True
            break
        seen.add(triple)
        graph.add(triple)
    return graph, truncated


def answer(kg: KnowledgeGraph, job: Job) -> Reply:
    """Check, run and serialise one query. Runs in the child process."""
    store = kg.store
    prepared = job.prepared
    if prepared is None:
        try:
            prepared = prepare(
                job.text, where=job.where, local_graphs=job.local_graphs, bindings=job.bindings
            )
        except KgError as exc:
            problem = exc.problems[0]
            if _is_update(job.text):
                return error_reply(
                    403,
                    "updates (INSERT, DELETE, LOAD, CLEAR, ...) are refused: "
                    "this endpoint is read-only",
                    text=job.text_errors,
                )
            hint = problem.hint
            if problem.message.startswith("SERVICE"):
                hint = "this endpoint never runs federated queries"
            return error_reply(
                400, problem.message, hint=hint, line=problem.line, text=job.text_errors
            )
    if job.default_graphs is not None and not isinstance(store, MemoryStore | OxigraphStore):
        raise _Refusal(400, f"default-graph-uri is not supported on the {store.name} store")
    headers: dict[str, str] = {}
    if prepared.form in ("SELECT", "ASK"):
        fmt = negotiate(job.accept, job.formats, RESULT_TYPES, RESULT_ALIASES)
        if prepared.form == "SELECT":
            table, truncated = _select(store, prepared, job)
            body = _select_body(table, fmt).encode("utf-8")
        else:
            truncated = False
            body = _ask_body(_ask(store, prepared, job), fmt).encode("utf-8")
        kind = RESULT_TYPES[fmt]
    else:
        fmt = negotiate(job.accept, job.formats, GRAPH_TYPES, GRAPH_ALIASES)
        graph, truncated = _construct(store, prepared, job)
        body = graph_body(graph, fmt)
        kind = GRAPH_TYPES[fmt]
    headers["Content-Type"] = _type_header(kind)
    if truncated:
        headers["X-Truncated"] = "true"
    return Reply(200, headers, body)


def _reply_for_exception(exc: BaseException, text: bool = False) -> Reply:
    if isinstance(exc, _Refusal):
        return error_reply(exc.status, exc.message, hint=exc.hint, line=exc.line, text=text)
    if isinstance(exc, KgError):
        return _problem_reply(400, exc, text)
    if isinstance(exc, RecursionError):
        return error_reply(
            400, "query is nested too deeply to evaluate", hint="flatten nested groups", text=text
        )
    if isinstance(exc, MemoryError):
        return error_reply(503, "query needed more memory than a query may use", text=text)
    return error_reply(500, f"query failed: {type(exc).__name__}: {exc}", text=text)


# -- the child process --

_AUDIT = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}  # arch, socket()


def deny_network() -> bool:
    """Install a seccomp filter: from now on `socket()` makes only Unix sockets.

    Best effort, for this (child) process only; False where it cannot be installed.
    """
    arch = _AUDIT.get(platform.machine())
    if arch is None or not sys.platform.startswith("linux"):
        return False
    audit, nr_socket = arch
    allow, deny = 0x7FFF0000, 0x00050000 | 1  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO|EPERM
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06  # BPF_LD|W|ABS, JMP|JEQ|K, JMP|JGE|K, RET|K
    program = [
        (ld, 0, 0, 4),  # 0: seccomp_data.arch
        (jeq, 1, 0, audit),  # 1: native arch -> 3, else -> 2
        (ret, 0, 0, deny),  # 2: foreign ABI: refuse
        (ld, 0, 0, 0),  # 3: seccomp_data.nr
        (jge, 4, 0, 0x40000000),  # 4: x32 ABI -> 9
        (jeq, 0, 2, nr_socket),  # 5: socket() -> 6, else -> 8
        (ld, 0, 0, 16),  # 6: args[0], the address family
        (jeq, 0, 1, socket.AF_UNIX),  # 7: AF_UNIX -> 8, else -> 9
        (ret, 0, 0, allow),  # 8
        (ret, 0, 0, deny),  # 9
    ]

    class Filter(ctypes.Structure):
        _fields_ = [
            ("code", ctypes.c_ushort),
            ("jt", ctypes.c_ubyte),
            ("jf", ctypes.c_ubyte),
            ("k", ctypes.c_uint32),
        ]

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(Filter))]

    filters = (Filter * len(program))(*[Filter(*f) for f in program])
    prog = Program(len(program), filters)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        ulong = ctypes.c_ulong
        if libc.prctl(38, ulong(1), ulong(0), ulong(0), ulong(0)) != 0:  # NO_NEW_PRIVS
            return False
        return libc.prctl(22, ulong(2), ctypes.byref(prog), ulong(0), ulong(0)) == 0
    except (OSError, AttributeError):
        return False


def _limit_memory(extra: int) -> None:
    try:
        with open("/proc/self/statm") as f:
            current = int(f.read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (current + extra, current + extra))
    except (OSError, ValueError):
        pass


def _bound_lifetime(seconds: float) -> None:
    """Die with the server (Linux), and after `seconds` of CPU time whatever happens."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, ctypes.c_ulong(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    cpu = int(seconds) + 2
    with contextlib.suppress(OSError, ValueError):
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))


def _child(
    work: Callable[[], Reply],
    fd: int,
    sandbox: bool,
    max_memory: int | None,
    text: bool,
    timeout: float,
):
    """The forked child: answer, write the reply to `fd`, leave without cleanup."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _bound_lifetime(timeout)
        if sandbox:
            deny_network()
        if max_memory:
            _limit_memory(max_memory)
        reply = work()
    except BaseException as exc:  # everything goes back as a message
        reply = _reply_for_exception(exc, text)
    try:
        data = memoryview(_encode_reply(reply))
        while data:
            data = data[os.write(fd, data) :]
    except BaseException:
        pass
    finally:
        os._exit(0)


# -- the server --


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Server(ThreadingHTTPServer):
    """A threaded HTTP server answering SPARQL over one `KnowledgeGraph`.

    Handler threads parse requests and wait; queries run in forked child processes, at
    most `workers` at a time (a request waits up to `timeout` s for a slot, then 503).
    """

    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        kg: KnowledgeGraph,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        timeout: float = DEFAULT_TIMEOUT,
        max_rows: int = DEFAULT_MAX_ROWS,
        max_body: int = DEFAULT_MAX_BODY,
        workers: int | None = None,
        max_memory: int | None = DEFAULT_MAX_MEMORY,
        log_requests: bool = False,
    ):
        self.kg = kg
        self.query_timeout = float(timeout)
        self.max_rows = int(max_rows)
        self.max_body = int(max_body)
        self.workers = workers or (os.cpu_count() or 2) * 2
        self.max_memory = max_memory
        self.log_requests = log_requests
        # Only local stores are sandboxed: a remote store must reach its endpoint.
        self.sandbox = isinstance(kg.store, MemoryStore | OxigraphStore)
        self._slots = threading.BoundedSemaphore(self.workers)
        self._live: set[int] = set()  # pids of running query processes
        self._lock = threading.Lock()
        self._parse_lock = threading.Lock()
        self._fork_lock = threading.Lock()
        self._cache: dict[tuple, Reply] = {}
        self._prepared: dict[tuple, PreparedQuery] = {}
        # Read everything the parent needs from the store now, before any thread or
        # child exists; after this the parent never touches the store again.
        self.graph_names = tuple(kg.store.graph_names())
        self.named = named_queries()
        self._warm_up()
        # Park everything that exists now outside the collector's reach, so that a
        # child's garbage collections do not write to (and so copy) the inherited graph.
        gc.collect()
        gc.freeze()
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.host = host
        super().__init__((host.strip("[]"), port), Handler)

    def _warm_up(self) -> None:
        """Import and initialise rdflib's evaluator once, so every child inherits it."""
        with contextlib.suppress(KgError):
            self.kg.query("ASK { ?s ?p ?o }", timeout=None)
        for name, q in self.named.items():
            if not q.params:
                with contextlib.suppress(KgError):
                    self.prepared_named(name, {})

    def server_bind(self) -> None:
        # skip HTTPServer's getfqdn(), which may wait on DNS
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.host, self.server_address[1]

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:7878 (no trailing slash)."""
        host = self.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.server_address[1]}"

    def handle_error(self, request, client_address) -> None:
        exc = sys.exc_info()[1]
        if not isinstance(exc, ConnectionError | TimeoutError):
            print(f"kg serve: error with {client_address[0]}: {exc!r}", file=sys.stderr)

    def server_close(self) -> None:
        super().server_close()
        with self._lock:
            live = list(self._live)
        for pid in live:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    # -- named queries, prepared once in the parent (their text is ours) --
    def prepared_named(self, name: str, bindings: dict[str, Node]) -> PreparedQuery:
        key = (name, tuple(sorted((k, v.n3()) for k, v in bindings.items())))
        with self._lock:
            found = self._prepared.get(key)
        if found is None:
            with self._parse_lock:  # pyparsing is not known to be thread-safe
                found = prepare(
                    self.named[name].text_for(self.kg.store.engine),
                    where=f"{name}.rq",
                    local_graphs=self.graph_names,
                    bindings=bindings,
                )
            with self._lock:
                if len(self._prepared) > 256:
                    self._prepared.clear()
                self._prepared[key] = found
        return found

    def cached(self, key: tuple, make: Callable[[], Reply]) -> Reply:
        with self._lock:
            found = self._cache.get(key)
        if found is None:
            found = make()
            if found.status == 200:
                with self._lock:
                    if len(self._cache) > 64:
                        self._cache.clear()
                    self._cache[key] = found
        return found

    # -- isolation --
    def run_isolated(
        self, work: Callable[[], Reply], timeout: float | None = None, text: bool = False
    ) -> Reply:
        """Run `work` in a forked child; kill it after `timeout` s (503)."""
        timeout = self.query_timeout if timeout is None else timeout
        if not self._slots.acquire(timeout=timeout):
            return error_reply(
                503,
                f"the server is busy: {self.workers} queries are running; try again",
                headers={"Retry-After": "1"},
                text=text,
            )
        try:
            return self._fork(work, timeout, text)
        finally:
            self._slots.release()

    def _fork(self, work: Callable[[], Reply], timeout: float, text: bool) -> Reply:
        deadline = time.monotonic() + timeout
        # pipe, fork and closing our write end under one lock: no other child can
        # inherit this pipe's write end (and none inherits another's).
        with self._fork_lock:
            read_end, write_end = os.pipe()
            try:
                pid = os.fork()
            except OSError as exc:
                os.close(read_end)
                os.close(write_end)
                return error_reply(503, f"cannot start a query process: {exc}", text=text)
            if pid == 0:  # the child: never returns
                os.close(read_end)
                _child(work, write_end, self.sandbox, self.max_memory, text, timeout)
            os.close(write_end)
        with self._lock:
            self._live.add(pid)
        status = None
        try:
            outcome, data = _read_frame(read_end, deadline)
            if outcome == "timeout":
                return error_reply(
                    503,
                    f"query did not finish within {timeout:g} s and was cancelled",
                    hint="narrow the query (LIMIT, more specific patterns) or ask for a "
                    "longer --timeout",
                    text=text,
                )
            if outcome == "too large":
                return error_reply(500, f"the answer is larger than {MAX_REPLY} bytes", text=text)
            if outcome == "ok":
                _, status = os.waitpid(pid, 0)  # the child leaves right after writing
                with contextlib.suppress(ValueError, KeyError, TypeError, struct.error):
                    return _decode_reply(data)
            else:  # it closed the pipe without a whole answer: it died
                _, status = os.waitpid(pid, 0)
            code = os.waitstatus_to_exitcode(status)
            how = f"signal {-code}" if code < 0 else f"exit status {code}"
            return error_reply(
                500,
                f"the query process ended without an answer ({how}); it may have run out of memory",
                text=text,
            )
        finally:
            os.close(read_end)
            if status is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            with self._lock:
                self._live.discard(pid)


def _read_frame(fd: int, deadline: float) -> tuple[str, bytes]:
    """Read one length-prefixed frame: ("ok", rest), or "timeout", "too large", "died"."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    buffer = bytearray()
    need = 8
    while len(buffer) < need:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not poller.poll(remaining * 1000):
            return "timeout", b""
        chunk = os.read(fd, min(1 << 20, need - len(buffer)))
        if not chunk:
            return "died", b""
        buffer += chunk
        if need == 8 and len(buffer) == 8:
            (size,) = struct.unpack("!Q", buffer)
            if size > MAX_REPLY:
                return "too large", b""
            need = 8 + size
    return "ok", bytes(buffer[8:])


def make_server(
    kg: KnowledgeGraph,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    timeout: float = DEFAULT_TIMEOUT,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_body: int = DEFAULT_MAX_BODY,
    allow_remote: bool = False,
    workers: int | None = None,
    max_memory: int | None = DEFAULT_MAX_MEMORY,
    log_requests: bool = False,
    stderr: TextIO | None = None,
) -> Server:
    """A bound (not yet serving) endpoint over `kg`; call `serve_forever()` to run it.

    Only loopback addresses unless `allow_remote`, which prints a warning instead.
    """
    if not _is_loopback(host):
        if not allow_remote:
            raise KgError(
                Problem(
                    "--host",
                    f"{host} is not a loopback address: the endpoint would be reachable "
                    "from other machines",
                    hint="pass --allow-remote to serve on other interfaces",
                )
            )
        print(
            f"warning: serving on {host}: anyone who can reach this address can query the "
            "graph (read-only, no authentication, CORS open to every web page)",
            file=stderr or sys.stderr,
        )
    if not timeout or timeout <= 0:
        raise KgError(Problem("--timeout", "must be a positive number of seconds"))
    if max_rows < 1:
        raise KgError(Problem("--max-rows", "must be at least 1"))
    if max_body < 1024:
        raise KgError(Problem("--max-body", "must be at least 1024 bytes"))
    try:
        return Server(
            kg,
            host=host,
            port=port,
            timeout=timeout,
            max_rows=max_rows,
            max_body=max_body,
            workers=workers,
            max_memory=max_memory,
            log_requests=log_requests,
        )
    except OSError as exc:
        raise KgError(
            Problem(
                f"{host}:{port}",
                f"cannot listen: {exc.strerror or exc}",
                hint="choose another --port, or stop the program that uses it",
            )
        ) from None


def serve(
    kg: KnowledgeGraph,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    timeout: float = DEFAULT_TIMEOUT,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_body: int = DEFAULT_MAX_BODY,
    allow_remote: bool = False,
    workers: int | None = None,
    log_requests: bool = True,
    out: TextIO | None = None,
) -> None:
    """Serve until Ctrl-C, printing the URLs first."""
    out = out or sys.stdout
    server = make_server(
        kg,
        host=host,
        port=port,
        timeout=timeout,
        max_rows=max_rows,
        max_body=max_body,
        allow_remote=allow_remote,
        workers=workers,
        log_requests=log_requests,
    )
    print(f"SPARQL endpoint: {server.url}/sparql", file=out)
    print(f"query page:      {server.url}/", file=out)
    print(
        f"read-only; a query stops after {timeout:g} s and returns at most {max_rows} rows. "
        "Press Ctrl-C to stop.",
        file=out,
        flush=True,
    )
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=out, flush=True)
    finally:
        server.server_close()


def _stop_on_sigterm(signum, frame) -> None:
    raise KeyboardInterrupt


# -- descriptions --


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


def _void_work(kg: KnowledgeGraph, endpoint: str, fmt: str) -> Callable[[], Reply]:
    def work() -> Reply:
        from kg.outputs.describe import describe

        graph = describe(kg, endpoint=endpoint)
        return Reply(200, {"Content-Type": _type_header(GRAPH_TYPES[fmt])}, graph_body(graph, fmt))

    return work


def _package_bytes(*parts: str) -> bytes | None:
    path = resources.files("kg").joinpath(*parts)
    return path.read_bytes() if path.is_file() else None


# -- the request handler --


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"
    server_version = "renda-kg"
    timeout = 60  # seconds a connection may stay silent

    # -- plumbing --
    def version_string(self) -> str:
        return self.server_version  # no Python version in the Server header

    def _accept(self) -> str:
        headers = getattr(self, "headers", None)
        return (headers.get("Accept", "") if headers else "") or ""

    def _text_errors(self) -> bool:
        return prefers_text(self._accept())

    def _error(self, status: int, message: str, **kwargs) -> Reply:
        return error_reply(status, message, text=self._text_errors(), **kwargs)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None):
        """http.server's own errors (bad request line, 414, ...) in our format."""
        self.close_connection = True
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "error"
        self._send(self._error(code, message or phrase))

    def log_request(self, code="-", size="-") -> None:
        status = code.value if isinstance(code, HTTPStatus) else code
        if self.server.log_requests or (isinstance(status, int) and status >= 500):
            line = self.requestline if len(self.requestline) < 200 else self.requestline[:200]
            sys.stderr.write(f"{self.address_string()} {line!r} {status}\n")

    def log_error(self, format, *args) -> None:  # noqa: A002
        if self.server.log_requests:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def log_message(self, format, *args) -> None:  # noqa: A002
        if self.server.log_requests:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def _cors(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Expose-Headers", "X-Truncated, Content-Type")

    def _send(self, reply: Reply, head: bool = False) -> None:
        try:
            self.send_response(reply.status)
            self._cors()
            self.send_header("X-Content-Type-Options", "nosniff")
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(reply.body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if not head:
                self.wfile.write(reply.body)
        except (ConnectionError, TimeoutError, ValueError):
            self.close_connection = True

    def _dispatch(self, method: str) -> None:
        try:
            reply = self._route(method)
        except _Refusal as exc:
            reply = self._error(exc.status, exc.message, hint=exc.hint)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
            return
        except Exception as exc:  # never a traceback to the client
            sys.stderr.write(
                f"kg serve: internal error on {method} {self.path[:120]!r}: "
                f"{type(exc).__name__}: {exc}\n"
            )
            self.close_connection = True
            reply = self._error(500, f"internal error ({type(exc).__name__})")
        self._send(reply, head=method == "HEAD")

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_OPTIONS(self) -> None:
        try:
            self.send_response(204)
            self._cors()
            self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
            self.send_header("Access-Control-Allow-Headers", "Content-Type, Accept")
            self.send_header("Access-Control-Max-Age", "600")
            if self.headers.get("Access-Control-Request-Private-Network"):
                self.send_header("Access-Control-Allow-Private-Network", "true")
            self.send_header("Content-Length", "0")
            self.end_headers()
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _not_allowed(self) -> None:
        self.close_connection = True
        self._send(
            self._error(405, f"{self.command} is not allowed: this endpoint is read-only"),
        )

    do_PUT = do_DELETE = do_PATCH = _not_allowed

    def handle_expect_100(self) -> bool:
        """Refuse an oversized body before the client sends it."""
        length = self.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > self.server.max_body:
            self.close_connection = True
            self._send(self._body_too_large(int(length)))
            return False
        return super().handle_expect_100()

    def _body_too_large(self, length: int) -> Reply:
        return self._error(
            413,
            f"request body of {length} bytes is over the limit of {self.server.max_body} bytes",
        )

    # -- routes --
    def _route(self, method: str) -> Reply:
        parts = urlsplit(self.path)
        path = parts.path
        if method == "POST":
            if path != "/sparql":
                self._discard_body()
                return self._error(405, f"POST is only for /sparql, not {path}")
            return self._post_sparql(parts.query)
        if path == "/sparql":
            return self._get_sparql(parts.query)
        if path == "/":
            return self._page()
        if path.startswith("/static/"):
            return self._static(path.removeprefix("/static/"))
        if path in ("/queries", "/queries/"):
            return self._queries()
        if path.startswith("/queries/"):
            return self._named(unquote(path.removeprefix("/queries/")), parts.query)
        if path in ("/.well-known/void", "/void"):
            return self._void()
        return self._error(404, f"nothing at {path[:200]}", hint="see / for the query page")

    def _page(self) -> Reply:
        body = _package_bytes("templates", "query.html")
        if body is None:
            raise _Refusal(500, "the query page is missing from the package")
        return Reply(
            200,
            {
                "Content-Type": "text/html; charset=utf-8",
                "Content-Security-Policy": PAGE_CSP,
                "X-Frame-Options": "DENY",
                "Referrer-Policy": "no-referrer",
                "Cache-Control": "no-cache",
            },
            body,
        )

    def _static(self, name: str) -> Reply:
        name = unquote(name)
        match = _STATIC_NAME.fullmatch(name)
        body = _package_bytes("static", name) if match and ".." not in name else None
        if body is None:
            return self._error(404, "no such asset")
        return Reply(200, {"Content-Type": _STATIC_TYPES[match.group(1)]}, body)

    def _queries(self) -> Reply:
        items = [
            {
                "name": q.name,
                "title": q.title,
                "description": q.description,
                "params": [
                    {
                        "name": p.name,
                        "kind": p.kind,
                        "prefix": p.prefix,
                        "default": p.default,
                        "doc": p.doc,
                    }
                    for p in q.params
                ],
                "columns": list(q.columns),
                "url": f"/queries/{q.name}",
                "text": q.text,
            }
            for q in self.server.named.values()
        ]
        body = json.dumps(items, ensure_ascii=False, indent=1) + "\n"
        return Reply(200, {"Content-Type": "application/json"}, body.encode("utf-8"))

    def _base(self) -> str:
        """The base URL as the client named it (when the Host header is sane)."""
        host = self.headers.get("Host", "")
        if host and _HOST_HEADER.fullmatch(host):
            return f"http://{host}"
        return self.server.url

    def _void(self) -> Reply:
        formats = self._params(urlsplit(self.path).query).get("format", [])
        fmt = negotiate(self._accept(), formats, GRAPH_TYPES, GRAPH_ALIASES)
        endpoint = self._base() + "/sparql"
        return self.server.cached(
            ("void", endpoint, fmt),
            lambda: self.server.run_isolated(
                _void_work(self.server.kg, endpoint, fmt),
                timeout=max(self.server.query_timeout, 30.0),
                text=self._text_errors(),
            ),
        )

    def _description(self, formats: list[str]) -> Reply:
        fmt = negotiate(self._accept(), formats, GRAPH_TYPES, GRAPH_ALIASES)
        endpoint = self._base() + "/sparql"

        def make() -> Reply:
            graph = service_description(endpoint, self.server.graph_names)
            body = graph_body(graph, fmt)
            return Reply(200, {"Content-Type": _type_header(GRAPH_TYPES[fmt])}, body)

        return self.server.cached(("sd", endpoint, fmt), make)

    # -- the protocol --
    def _params(self, query: str) -> dict[str, list[str]]:
        try:
            return parse_qs(query, keep_blank_values=True, errors="strict", max_num_fields=1000)
        except (UnicodeDecodeError, ValueError) as exc:
            raise _Refusal(400, f"cannot read the request parameters: {exc}") from None

    def _discard_body(self) -> None:
        length = self.headers.get("Content-Length", "")
        if length.isdigit() and int(length) <= DRAIN_LIMIT:
            with contextlib.suppress(OSError):
                self.rfile.read(int(length))
        else:
            self.close_connection = True

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise _Refusal(411, "send the body with a Content-Length (chunked is not read)")
        length = self.headers.get("Content-Length")
        if length is None:
            self.close_connection = True
            raise _Refusal(411, "a POST needs a Content-Length header")
        if not length.strip().isdigit():
            self.close_connection = True
            raise _Refusal(400, f"bad Content-Length {length[:40]!r}")
        size = int(length)
        if size > self.server.max_body:
            self.close_connection = True
            if size <= DRAIN_LIMIT:  # read it, so that the client gets to read the answer
                with contextlib.suppress(OSError):
                    self.connection.settimeout(5)
                    remaining = size
                    while remaining > 0:
                        chunk = self.rfile.read(min(remaining, 65536))
                        if not chunk:
                            break
                        remaining -= len(chunk)
            raise _Refusal(
                413,
                f"request body of {size} bytes is over the limit of {self.server.max_body} bytes",
            )
        body = self.rfile.read(size)
        if len(body) != size:
            self.close_connection = True
            raise _Refusal(400, "the request body ended early")
        return body

    def _post_sparql(self, url_query: str) -> Reply:
        body = self._read_body()
        content_type = self.headers.get("Content-Type", "")
        media, _, options = content_type.partition(";")
        media = media.strip().lower()
        params = self._params(url_query)
        if media == "application/x-www-form-urlencoded":
            try:
                form = self._params(body.decode("utf-8"))
            except UnicodeDecodeError:
                raise _Refusal(400, "the form body is not UTF-8") from None
            for key, values in form.items():
                params.setdefault(key, []).extend(values)
        elif media == "application/sparql-query":
            if "charset" in options.lower() and not re.search(r"charset=\"?utf-?8", options, re.I):
                raise _Refusal(415, "send the query as UTF-8")
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise _Refusal(400, "the query is not UTF-8") from None
            params.setdefault("query", []).append(text)
        elif media == "application/sparql-update":
            return self._read_only()
        else:
            return self._error(
                415,
                f"unsupported content type {media or '(none)'!r}",
                hint="POST application/x-www-form-urlencoded (query=...) or "
                "application/sparql-query",
            )
        return self._protocol(params, from_get=False)

    def _get_sparql(self, url_query: str) -> Reply:
        params = self._params(url_query)
        if "query" not in params and "update" not in params:
            return self._description(params.get("format", []))
        return self._protocol(params, from_get=True)

    def _read_only(self) -> Reply:
        return self._error(
            403,
            "updates are refused: this endpoint is read-only",
            hint="edit data/ and run `kg build` to change the graph",
        )

    def _dataset(self, params: dict[str, list[str]]) -> tuple[tuple[str, ...] | None, tuple]:
        defaults = params.get("default-graph-uri", [])
        named = params.get("named-graph-uri", [])
        local = set(self.server.graph_names)
        for name, values in (("default-graph-uri", defaults), ("named-graph-uri", named)):
            for value in values:
                if value not in local:
                    raise _Refusal(
                        400,
                        f"{name} <{value[:200]}> is not a graph of this dataset",
                        hint="the named graphs are: " + ", ".join(sorted(local)),
                    )
        if not defaults and not named:
            return None, ()
        return tuple(dict.fromkeys(defaults)), tuple(dict.fromkeys(named))

    def _protocol(self, params: dict[str, list[str]], from_get: bool) -> Reply:
        if "update" in params:
            return self._read_only()
        queries = params.get("query", [])
        if len(queries) != 1:
            return self._error(400, f"give exactly one query parameter, not {len(queries)}")
        text = queries[0]
        if not text.strip():
            return self._error(400, "the query is empty")
        if len(text.encode("utf-8")) > self.server.max_body:
            return self._body_too_large(len(text.encode("utf-8")))
        defaults, named = self._dataset(params)
        job = Job(
            text=text,
            accept=self._accept(),
            formats=tuple(params.get("format", [])),
            default_graphs=defaults,
            named_graphs=named,
            max_rows=self.server.max_rows,
            local_graphs=self.server.graph_names,
            text_errors=self._text_errors(),
        )
        return self._run(job)

    def _run(self, job: Job) -> Reply:
        kg = self.server.kg
        reply = self.server.run_isolated(lambda: answer(kg, job), text=job.text_errors)
        reply.headers.setdefault("Vary", "Accept")
        return reply

    def _named(self, name: str, url_query: str) -> Reply:
        q: NamedQuery | None = self.server.named.get(name)
        if q is None:
            from kg.core.fields import suggest

            hint = suggest(name, self.server.named) or "GET /queries lists them"
            return self._error(404, f"no named query {name[:100]!r}", hint=hint)
        params = self._params(url_query)
        given = {}
        for key, values in params.items():
            if key in _RESERVED:
                continue
            if len(values) != 1:
                return self._error(400, f"parameter {key!r} is given {len(values)} times")
            given[key] = values[0]
        try:
            bindings = q.bind(given)
            prepared = self.server.prepared_named(name, bindings)
        except KgError as exc:
            return _problem_reply(400, exc, self._text_errors())
        defaults, named = self._dataset(params)
        job = Job(
            text=q.text_for(self.server.kg.store.engine),
            where=f"{name}.rq",
            prepared=prepared,
            accept=self._accept(),
            formats=tuple(params.get("format", [])),
            default_graphs=defaults,
            named_graphs=named,
            max_rows=self.server.max_rows,
            local_graphs=self.server.graph_names,
            text_errors=self._text_errors(),
        )
        reply = self._run(job)
        kind = reply.headers.get("Content-Type", "").split(";")[0]
        if reply.status == 200 and "format" in params and kind in _SUFFIX:
            reply.headers["Content-Disposition"] = f'inline; filename="{name}.{_SUFFIX[kind]}"'
        return reply


__all__ = [
    "Handler",
    "Job",
    "Reply",
    "Server",
    "answer",
    "deny_network",
    "make_server",
    "negotiate",
    "serve",
    "service_description",
]
