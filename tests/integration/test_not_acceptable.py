"""Content negotiation at the endpoint: an Accept header naming only formats the
endpoint does not serve (N-Quads, TriG) gets 406 with the formats it can give, not
Turtle; wildcards and served formats still get their answer."""

from __future__ import annotations

import http.client
import json
from urllib.parse import quote, urlsplit

import pytest

from kg.serve.endpoint import make_server

from ..conftest import serving

CONSTRUCT = "CONSTRUCT { ?c a ?t } WHERE { ?c a ?t } LIMIT 3"
SELECT = "SELECT ?c WHERE { ?c a ?t } LIMIT 3"


@pytest.fixture(scope="module")
def server(seed_kg):
    with serving(make_server(seed_kg, port=0, timeout=10.0)) as srv:
        yield srv


def get(server, path: str, accept: str) -> tuple[int, str, bytes]:
    host, port = urlsplit(server.url).netloc.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("GET", path, headers={"Accept": accept})
    reply = conn.getresponse()
    body = reply.read()
    conn.close()
    return reply.status, reply.headers.get("Content-Type", ""), body


@pytest.mark.parametrize("accept", ["application/n-quads", "application/trig"])
def test_a_graph_in_a_format_not_served_is_406(server, accept):
    status, kind, body = get(server, "/sparql?query=" + quote(CONSTRUCT), accept)
    assert status == 406 and kind.startswith("application/json")
    doc = json.loads(body)
    assert accept in doc["error"] and "text/turtle" in doc["hint"]
    status, _, _ = get(server, "/.well-known/void", accept)
    assert status == 406


def test_served_formats_and_wildcards_still_answer(server):
    status, kind, _ = get(
        server, "/sparql?query=" + quote(CONSTRUCT), "application/trig, */*;q=0.1"
    )
    assert status == 200 and kind.startswith("text/turtle")
    status, kind, _ = get(server, "/sparql?query=" + quote(CONSTRUCT), "application/n-triples")
    assert status == 200 and kind.startswith("application/n-triples")
    status, kind, _ = get(server, "/sparql?query=" + quote(SELECT), "text/*")
    assert status == 200 and kind.startswith("text/csv")
    status, _, _ = get(server, "/sparql?query=" + quote(SELECT), "application/n-quads")
    assert status == 406
    status, kind, _ = get(server, "/sparql?query=" + quote(SELECT) + "&format=json", "image/png")
    assert status == 200 and "json" in kind  # an explicit format= wins over Accept
