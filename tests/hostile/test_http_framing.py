"""HTTP framing of the endpoint (issue #21, item 5): ambiguous requests are refused with
400 and the connection is closed, so nothing behind a proxy can read a second request
out of the first one's body.

Before: `Content-Length: ²` (a digit to `str.isdigit`, not to `int`) gave 500, or a
dropped connection with `Expect: 100-continue`; two different Content-Length headers,
and a GET with a body, were both read as a second request on the same connection. The
endpoint also sent `Access-Control-Allow-Private-Network: true` and answered any Host.
Now: ASCII digits only, exactly one Content-Length, no body on GET/HEAD/OPTIONS, 400 and
close; the Host must name loopback (DNS rebinding); no private-network grant.
"""

from __future__ import annotations

import json
import socket
from urllib.parse import quote, urlsplit

import pytest

import kg.serve.endpoint as serve
from kg import KnowledgeGraph

from ..conftest import serving

SMUGGLED = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@pytest.fixture(scope="module")
def server(seed_trig):
    with serving(
        serve.make_server(KnowledgeGraph.from_file(seed_trig), port=0, timeout=2.0)
    ) as srv:
        yield srv


def exchange(srv, raw: bytes, timeout: float = 10) -> bytes:
    """Send `raw` on one connection and read until the server closes it (or times out)."""
    host, port = urlsplit(srv.url).netloc.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(raw)
        reply = b""
        try:
            while data := sock.recv(65536):
                reply += data
        except (ConnectionResetError, TimeoutError):
            pass
    return reply


def responses(reply: bytes) -> int:
    return reply.count(b"HTTP/1.1 ")


def post(length_headers: bytes, body: bytes, extra: bytes = b"") -> bytes:
    return (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/sparql-query\r\n" + length_headers + extra + b"\r\n" + body
    )


@pytest.mark.parametrize(
    "lengths",
    [
        "Content-Length: \u00b2\r\n".encode(),  # superscript two: isdigit() but not int()
        "Content-Length: \u0661\u0662\r\n".encode(),  # Arabic-Indic digits
        b"Content-Length: 12\r\nContent-Length: 99\r\n",
        b"Content-Length: 12\r\nContent-Length: 12\r\n",
        b"Content-Length: +12\r\n",
        b"Content-Length: 1_2\r\n",
    ],
    ids=["superscript", "arabic-indic", "two-different", "two-same", "plus", "underscore"],
)
@pytest.mark.parametrize("expect", [False, True], ids=["plain", "expect-100"])
def test_ambiguous_content_length_is_400_and_closes(server, lengths, expect):
    extra = b"Expect: 100-continue\r\n" if expect else b""
    reply = exchange(server, post(lengths, b"ASK { ?s ?p ?o }" + SMUGGLED, extra))
    assert reply.startswith(b"HTTP/1.1 400"), reply[:300]
    assert b"Traceback" not in reply
    assert responses(reply) == 1, "a second request was read from the body"
    assert b"connection: close" in reply.lower()


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_a_body_on_a_bodiless_method_is_400(server, method):
    query = quote("ASK { ?s ?p ?o }")
    raw = (
        f"{method} /sparql?query={query} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Length: {len(SMUGGLED)}\r\n\r\n"
    ).encode() + SMUGGLED
    reply = exchange(server, raw)
    assert reply.startswith(b"HTTP/1.1 400"), reply[:300]
    assert responses(reply) == 1


def test_a_well_framed_keep_alive_pair_still_works(server):
    """The control: two honest requests on one connection get two answers."""
    query = quote("ASK { ?s ?p ?o }")
    one = f"GET /sparql?query={query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    two = (
        f"GET /sparql?query={query} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    ).encode()
    reply = exchange(server, one + two)
    assert responses(reply) == 2 and reply.startswith(b"HTTP/1.1 200"), reply[:300]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.evil.example"])
def test_a_foreign_host_header_is_refused(server, host):
    """A DNS-rebinding page reaches the port under its own name: refused, not answered."""
    query = quote("ASK { ?s ?p ?o }")
    raw = f"GET /sparql?query={query} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    reply = exchange(server, raw)
    assert not reply.startswith(b"HTTP/1.1 200"), reply[:300]
    assert reply.startswith(b"HTTP/1.1 4"), reply[:300]
    head, body = reply.split(b"\r\n\r\n", 1)
    assert b"application/json" in head.lower()  # the name is echoed as JSON text only
    assert json.loads(body)["status"] == 400


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_loopback_names_are_served(server, host):
    port = urlsplit(server.url).port
    query = quote("ASK { ?s ?p ?o }")
    raw = (
        f"GET /sparql?query={query} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
    ).encode()
    assert exchange(server, raw).startswith(b"HTTP/1.1 200")


def test_no_private_network_grant(server):
    raw = (
        b"OPTIONS /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://public.example\r\n"
        b"Access-Control-Request-Method: POST\r\n"
        b"Access-Control-Request-Private-Network: true\r\nConnection: close\r\n\r\n"
    )
    reply = exchange(server, raw)
    assert reply.startswith(b"HTTP/1.1 "), reply[:200]
    assert b"private-network" not in reply.lower()
