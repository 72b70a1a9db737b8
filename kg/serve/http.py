"""The endpoint's HTTP side: routes, the SPARQL 1.1 Protocol, static assets.

Routes (everything else is a 404 with a JSON message):

    GET  /                   the query page (kg/templates/query.html, kg/static/query.*)
    GET  /site/PATH          the research site's files (kg serve --site), read-only
    GET  /static/NAME        package assets from kg/static (the page's script and style,
                             the vendored YASGUI and its licence), nothing else
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
line over 64 kB (use POST); 415 a POST body that is neither form-encoded nor
application/sparql-query; 500 a query that made the engine fail; 503 a query cancelled
at its timeout, or every query slot busy for longer than the timeout (with
Retry-After). A SELECT with more than `max_rows` rows, or a CONSTRUCT with more
triples, is cut to `max_rows` and answered 200 with the header `X-Truncated: true`.
Errors are JSON `{"error": ..., "status": ...}` (plus `hint` and `line` when known), or
text/plain when the client prefers it; never a traceback.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from importlib import resources
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

from kg.core.errors import KgError
from kg.query.library import NamedQuery
from kg.query.writers import graph_bytes
from kg.serve.describe import service_description, void_work
from kg.serve.execute import Job, answer
from kg.serve.negotiate import GRAPH_FORMATS, RESULT_FORMATS, negotiate, prefers_text
from kg.serve.replies import MEDIA_TYPES, Refusal, Reply, error_reply, problem_reply, type_header
from kg.serve.site import site_file

if TYPE_CHECKING:
    from kg.serve.server import Server

DRAIN_LIMIT = 16 * 1024**2  # an oversized body is read and dropped up to this size
# txt: the licence of the vendored YASGUI
_STATIC_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\.(js|css|jsonld|txt)")
_HOST_HEADER = re.compile(r"[A-Za-z0-9.-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")
# The two <style> elements YASGUI's column resizer inserts (constant text), by hash:
# the table's resize rules, and the cursor while a column is dragged.
YASGUI_STYLES = (
    "'sha256-zCK2EVMoPc04mRF/g5CotUvxbJPWS+8V0b+s9ptqQIk=' "
    "'sha256-c0O6TmFAkgpNbHxKAa1BrveWHHopjEtC47i0PzMudxg='"
)
PAGE_CSP = (
    f"default-src 'none'; script-src 'self'; style-src 'self' {YASGUI_STYLES}; "
    "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit also takes "²" and "٣"
_RESERVED = {"format", "output", "results", "default-graph-uri", "named-graph-uri"}


def _header(text: str, key: str) -> str:
    """A `# key: value` line of a library query's header (title_zh, ...), or ""."""
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        name, _, value = line.lstrip("# ").partition(":")
        if name.strip() == key:
            return value.strip()
    return ""


def package_bytes(*parts: str) -> bytes | None:
    path = resources.files("kg").joinpath(*parts)
    return path.read_bytes() if path.is_file() else None


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

    # -- framing: one reading of where a request ends, or the connection closes --
    def _refuse_framing(self, message: str, hint: str = "") -> Refusal:
        self.close_connection = True  # what follows on this connection cannot be trusted
        return Refusal(400, message, hint)

    def _content_length(self) -> int | None:
        """The body's length: one Content-Length of ASCII digits, or a 400 that closes."""
        values = self.headers.get_all("Content-Length") or []
        if len(values) > 1:
            raise self._refuse_framing("more than one Content-Length header")
        if not values:
            return None
        value = values[0].strip(" \t")
        if not _DIGITS.fullmatch(value):
            raise self._refuse_framing(f"bad Content-Length {value[:40]!r}")
        return int(value)

    def _check_request(self, method: str) -> None:
        """Refuse what a proxy in front could read differently: an ambiguous length, a
        body where none belongs; and a Host that is not this server (DNS rebinding)."""
        length = self._content_length()
        if method != "POST" and (length or self.headers.get("Transfer-Encoding")):
            raise self._refuse_framing(
                f"a {method} request carries no body here",
                hint="send the query in the URL, or POST it",
            )
        host = self.headers.get("Host")
        if host is not None and not self.server.accepts_host(host):
            raise self._refuse_framing(
                f"Host {host[:100]!r} is not this server",
                hint="use the address kg serve printed",
            )

    def _dispatch(self, method: str) -> None:
        try:
            self._check_request(method)
            reply = self._route(method)
        except Refusal as exc:
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
            self._check_request("OPTIONS")
        except Refusal as exc:
            self._send(self._error(exc.status, exc.message, hint=exc.hint))
            return
        # No Access-Control-Allow-Private-Network: a public web page must not reach an
        # endpoint on a researcher's own machine (Chrome's Private Network Access).
        try:
            self.send_response(204)
            self._cors()
            self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
            self.send_header("Access-Control-Allow-Headers", "Content-Type, Accept")
            self.send_header("Access-Control-Max-Age", "600")
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
        """Refuse a bad or oversized body before the client sends it."""
        try:
            length = self._content_length()
        except Refusal as exc:
            self._send(self._error(exc.status, exc.message))
            return False
        if length is not None and length > self.server.max_body:
            self.close_connection = True
            self._send(self._body_too_large(length))
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
        if path == "/favicon.ico":  # browsers ask for it; the pages have none
            return Reply(204, {"Content-Length": "0"})
        if path == "/site" or path.startswith("/site/"):
            return self._site(path.removeprefix("/site"))
        if path in ("/queries", "/queries/"):
            return self._queries()
        if path.startswith("/queries/"):
            return self._named(unquote(path.removeprefix("/queries/")), parts.query)
        if path in ("/.well-known/void", "/void"):
            return self._void()
        return self._error(404, f"nothing at {path[:200]}", hint="see / for the query page")

    def _page(self) -> Reply:
        body = package_bytes("templates", "query.html")
        if body is None:
            raise Refusal(500, "the query page is missing from the package")
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
        body = package_bytes("static", name) if match and ".." not in name else None
        if body is None:
            return self._error(404, "no such asset")
        return Reply(200, {"Content-Type": MEDIA_TYPES[match.group(1)]}, body)

    def _site(self, rest: str) -> Reply:
        if self.server.site is None:
            return self._error(404, "no research site is served", hint="start kg serve --site DIR")
        if not rest:  # /site: its pages link relative to /site/
            return Reply(301, {"Location": "/site/", "Content-Length": "0"})
        return site_file(self.server.site, rest.removeprefix("/"), self.server.limits.max_reply)

    def _queries(self) -> Reply:
        items = [
            {
                "name": q.name,
                "title": q.title,
                "title_zh": _header(q.text, "title_zh") or q.title,
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
        """The base URL as the client named it (a Host this server accepts), else its own."""
        host = self.headers.get("Host", "")
        if host and _HOST_HEADER.fullmatch(host) and self.server.accepts_host(host):
            return f"http://{host}"
        return self.server.url

    def _void(self) -> Reply:
        formats = self._params(urlsplit(self.path).query).get("format", [])
        fmt = negotiate(self._accept(), formats, GRAPH_FORMATS)
        endpoint = self._base() + "/sparql"
        return self.server.cached(
            ("void", endpoint, fmt.name),
            lambda: self.server.run_isolated(
                void_work(self.server.kg, endpoint, fmt.media_type, fmt.name),
                timeout=max(self.server.query_timeout, 30.0),
                text=self._text_errors(),
            ),
        )

    def _description(self, formats: list[str]) -> Reply:
        fmt = negotiate(self._accept(), formats, GRAPH_FORMATS)
        endpoint = self._base() + "/sparql"

        def make() -> Reply:
            graph = service_description(endpoint, self.server.graph_names)
            body = graph_bytes(graph, fmt.name)
            return Reply(200, {"Content-Type": type_header(fmt.media_type)}, body)

        return self.server.cached(("sd", endpoint, fmt.name), make)

    # -- the protocol --
    def _params(self, query: str) -> dict[str, list[str]]:
        try:
            return parse_qs(query, keep_blank_values=True, errors="strict", max_num_fields=1000)
        except (UnicodeDecodeError, ValueError) as exc:
            raise Refusal(400, f"cannot read the request parameters: {exc}") from None

    def _discard_body(self) -> None:
        length = self._content_length()
        if (
            length is not None
            and length <= DRAIN_LIMIT
            and not self.headers.get("Transfer-Encoding")
        ):
            with contextlib.suppress(OSError):
                self.rfile.read(length)
        else:
            self.close_connection = True

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise Refusal(411, "send the body with a Content-Length (chunked is not read)")
        size = self._content_length()
        if size is None:
            self.close_connection = True
            raise Refusal(411, "a POST needs a Content-Length header")
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
            raise Refusal(
                413,
                f"request body of {size} bytes is over the limit of {self.server.max_body} bytes",
            )
        body = self.rfile.read(size)
        if len(body) != size:
            self.close_connection = True
            raise Refusal(400, "the request body ended early")
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
                raise Refusal(400, "the form body is not UTF-8") from None
            for key, values in form.items():
                params.setdefault(key, []).extend(values)
        elif media == "application/sparql-query":
            if "charset" in options.lower() and not re.search(r"charset=\"?utf-?8", options, re.I):
                raise Refusal(415, "send the query as UTF-8")
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise Refusal(400, "the query is not UTF-8") from None
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
                    raise Refusal(
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
            prepared = self.server.kg.prepared_named(name, given)
        except KgError as exc:
            return problem_reply(400, exc, self._text_errors())
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
        offered = (*RESULT_FORMATS, *GRAPH_FORMATS)
        download = next((f for f in offered if f.media_type == kind), None)
        if reply.status == 200 and "format" in params and download is not None:
            suffix = download.suffix.lstrip(".")
            reply.headers["Content-Disposition"] = f'inline; filename="{name}.{suffix}"'
        return reply
