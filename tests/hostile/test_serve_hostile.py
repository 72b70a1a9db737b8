"""Hostile requests to the SPARQL endpoint of kg/serve.py (rdflib and Oxigraph stores).

The server runs in a thread on a free loopback port (as in tests/test_serve.py). Every
hostile query of test_sparql.py must be refused with a JSON error (400, or 403 for
updates) and never reach the loopback canary; a catastrophic regex is cancelled at the
timeout (503) while the server keeps answering; a 200 MB body is refused (413) without
being read into memory. `kg serve` itself is tested only if kg/cli.py has it.
"""

from __future__ import annotations

import http.client
import json
import resource
import socket
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

import kg.serve.endpoint as serve
from kg import KnowledgeGraph
from kg.store.oxigraph import OxigraphStore

from ..conftest import call, error_of, serving
from .test_sparql import CARTESIAN, HOSTILE, READ_ONLY, REGEX_BOMB

MB = 1024 * 1024
BIG = 200 * MB


@pytest.fixture(scope="module", params=["memory", "oxigraph"])
def graph(request, seed_trig: Path) -> KnowledgeGraph:
    kg = KnowledgeGraph.from_file(seed_trig)
    if request.param == "oxigraph":
        kg = KnowledgeGraph(OxigraphStore.from_dataset(kg.store.dataset))
    return kg


@pytest.fixture(scope="module")
def server(graph):
    """A 2 s deadline, so that a runaway query is cancelled within the test."""
    with serving(serve.make_server(graph, port=0, timeout=2.0)) as srv:
        yield srv


@pytest.fixture(scope="module")
def patient(graph):
    """The same graph with a 20 s deadline, for refusals that must come back as 400 or
    403 whatever the load: rdflib once took over 2 s to parse a query it then refused."""
    with serving(serve.make_server(graph, port=0, timeout=20.0)) as srv:
        yield srv


def _alive(srv) -> None:
    status, _, body = call(srv, "GET", "/sparql?" + urlencode({"query": "ASK { ?s ?p ?o }"}))
    assert status == 200 and json.loads(body)["boolean"] is True


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_query_is_refused_by_the_endpoint(patient, canary, kind):
    text, words = HOSTILE[kind]
    text = text.replace("{canary}", canary.url)
    expected = 403 if words == READ_ONLY else 400
    get = call(patient, "GET", "/sparql?" + urlencode({"query": text}))
    post = call(
        patient, "POST", "/sparql", text.encode(), {"Content-Type": "application/sparql-query"}
    )
    for reply in (get, post):
        doc = error_of(*reply, expected)
        if expected == 400 and "nested" not in words and "line" not in words:
            assert words.split("<")[0] in doc["error"], doc
    time.sleep(0.05)
    assert canary.hits == 0


def test_update_parameter_and_media_type_are_refused(server, canary):
    update = f"LOAD <{canary.url}>"
    error_of(*call(server, "GET", "/sparql?" + urlencode({"update": update})), 403)
    error_of(
        *call(
            server,
            "POST",
            "/sparql",
            update.encode(),
            {"Content-Type": "application/sparql-update"},
        ),
        403,
    )
    assert canary.hits == 0


def test_regex_bomb_is_cancelled_and_the_server_keeps_answering(server):
    started = time.perf_counter()
    status, headers, body = call(server, "GET", "/sparql?" + urlencode({"query": REGEX_BOMB}))
    elapsed = time.perf_counter() - started
    if status == 200:  # Oxigraph's regex engine is linear: a quick, correct, empty answer
        assert json.loads(body)["results"]["bindings"] == []
    else:
        assert "cancelled" in error_of(status, headers, body, 503)["error"]
    assert elapsed < 10
    _alive(server)
    assert not server.children.pids()  # the query process was killed and reaped


def _raw_post(srv, length: int, expect: bool, send: int) -> tuple[bytes, int]:
    """POST a body of `length` bytes; send at most `send` of them; (reply, bytes sent)."""
    host, port = urlsplit(srv.url).netloc.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=20)
    head = (
        f"POST /sparql HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Content-Type: application/sparql-query\r\n"
        f"Content-Length: {length}\r\n" + ("Expect: 100-continue\r\n" if expect else "") + "\r\n"
    )
    sent = 0
    reply = b""
    try:
        sock.sendall(head.encode())
        if expect:
            reply = sock.recv(65536)
        chunk = b"#" * MB
        while sent < send and not reply:
            sock.sendall(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            reply += data
    except (ConnectionResetError, TimeoutError):
        pass
    finally:
        sock.close()
    return reply, sent


def test_a_200_MB_body_is_refused_before_it_is_read(server):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    started = time.perf_counter()
    reply, sent = _raw_post(server, BIG, expect=True, send=BIG)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert sent == 0, "the client was not told to stop before sending"
    assert b"over the limit" in reply and b"Traceback" not in reply
    reply, sent = _raw_post(server, BIG, expect=False, send=BIG)
    assert sent < BIG, "the server read the whole 200 MB body"
    assert not reply or reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert time.perf_counter() - started < 20
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak
    assert grown < 100 * 1024, f"memory peak grew by {grown} KiB"
    _alive(server)


@pytest.mark.parametrize(
    "headers, expected",
    [
        ({"Content-Length": "-1"}, 400),
        ({"Content-Length": "1e9"}, 400),
        ({"Content-Length": "999999999999999999999"}, 413),
        ({"Transfer-Encoding": "chunked"}, 411),
    ],
)
def test_hostile_content_lengths(server, headers, expected):
    host, port = urlsplit(server.url).netloc.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.putrequest("POST", "/sparql", skip_accept_encoding=True)
        conn.putheader("Content-Type", "application/sparql-query")
        for key, value in headers.items():
            conn.putheader(key, value)
        conn.endheaders()
        response = conn.getresponse()
        error_of(response.status, dict(response.getheaders()), response.read(), expected)
    finally:
        conn.close()
    _alive(server)


def test_a_1_MB_url_is_refused(server):
    status, headers, body = call(server, "GET", "/sparql?query=" + "a" * MB)
    assert status in (413, 414), body[:200]
    assert b"Traceback" not in body
    _alive(server)


def test_kg_serve_command(seed_trig: Path, canary):
    """The real command in its own process: hostile requests, then Ctrl-C; no traceback."""
    import signal
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("kg")
    args = [exe, "serve", "--graph", seed_trig, "--port", "0", "--timeout", "2"]
    proc = subprocess.Popen(
        [str(a) for a in args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # as in a terminal: a run started in the background (`cmd &` in a script) would
        # pass on an ignored SIGINT, and Ctrl-C would then never reach the server
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        first = proc.stdout.readline()
        assert first.startswith("SPARQL endpoint: http://127.0.0.1:"), first
        url = first.split()[-1].removesuffix("/sparql")

        class Endpoint:
            pass

        srv = Endpoint()
        srv.url = url
        for kind in ("service-silent", "from-file", "load-http", "nested-3000-groups"):
            text = HOSTILE[kind][0].replace("{canary}", canary.url)
            status = call(srv, "GET", "/sparql?" + urlencode({"query": text}))[0]
            assert status in (400, 403), kind
        reply, sent = _raw_post(srv, BIG, expect=True, send=BIG)
        assert reply.startswith(b"HTTP/1.1 413") and sent == 0
        # the default store runs REGEX in linear time; a cartesian product outlasts 2 s anywhere
        status = call(srv, "GET", "/sparql?" + urlencode({"query": CARTESIAN}))[0]
        assert status == 503
        _alive(srv)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert "stopped" in out
    assert "Traceback" not in out + err, err[-2000:]
    assert canary.hits == 0
