"""Real triplestore servers: an Oxigraph server loaded by `kg load`, and broken endpoints."""

from __future__ import annotations

import http.server
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import BNode

from kg import KnowledgeGraph
from kg.cli import main
from kg.query.library import named_queries

from ..conftest import serving

PARAMS = {"mechanism": "liaison-station", "case": "gd-b3-05", "place": "广州市"}
OXIGRAPH = shutil.which("oxigraph") or str(
    Path(__file__).resolve().parents[2] / ".venv/bin/oxigraph"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def trig(seed_trig) -> Path:
    return seed_trig


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory):
    if not Path(OXIGRAPH).exists():
        pytest.fail("the oxigraph server binary is missing: the test extra installs it (oxigraph)")
    port = _free_port()
    location = tmp_path_factory.mktemp("oxigraph-server")
    process = subprocess.Popen(
        [
            OXIGRAPH,
            "serve",
            "--location",
            str(location),
            "--bind",
            f"127.0.0.1:{port}",
            "--union-default-graph",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/query?query=ASK%7B%7D", timeout=1).read()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("oxigraph server did not start")
    yield url
    process.terminate()
    process.wait(timeout=10)


def _rows(kg: KnowledgeGraph, name: str) -> list[str]:
    params = {p.name: PARAMS[p.name] for p in named_queries()[name].params if p.default is None}
    return sorted(repr(sorted(r.items())) for r in kg.select(name, **params).dicts())


def test_load_then_query_the_oxigraph_server(trig, oxigraph_server):
    spec = f"sparql:{oxigraph_server}/query"
    runner = CliRunner()
    for _ in range(2):  # reloading replaces each graph: nothing doubles
        result = runner.invoke(main, ["load", "--store", spec, "--graph", str(trig)])
        assert result.exit_code == 0, result.output
    remote = KnowledgeGraph.open(spec)
    memory = KnowledgeGraph.from_file(trig)
    assert remote.store.graph_names() == memory.store.graph_names()
    for name in sorted(named_queries()):
        assert _rows(remote, name) == _rows(memory, name), name
    assert remote.patterns().to_dict() == memory.patterns().to_dict()
    cli = runner.invoke(
        main,
        [
            "query",
            "--store",
            spec,
            "--name",
            "cases-by-place",
            "--param",
            "place=河源市",
            "--format",
            "csv",
        ],
    )
    assert cli.exit_code == 0 and "gd-b3-02" in cli.output


def test_export_and_stats_read_the_oxigraph_server(trig, oxigraph_server, tmp_path):
    """`kg export --store sparql:URL` writes the served graph; stats count it (once ended
    in a traceback: the remote store had no local graph to serialise)."""
    spec = f"sparql:{oxigraph_server}/query"
    runner = CliRunner()
    assert runner.invoke(main, ["load", "--store", spec, "--graph", str(trig)]).exit_code == 0
    out = tmp_path / "remote.nq"
    result = runner.invoke(main, ["export", "--store", spec, "--format", "nq", "--out", str(out)])
    assert result.exit_code == 0, result.output
    local = set(KnowledgeGraph.from_file(trig).store.quads())
    assert len(local) > 1000
    exported = set(KnowledgeGraph.from_file(out).store.quads())
    assert len(exported) == len(local)  # blank nodes (the ontology's lists) are relabelled

    def ground(quads: set) -> set:
        return {q for q in quads if not any(isinstance(t, BNode) for t in q)}

    assert ground(exported) == ground(local)
    stats = runner.invoke(main, ["stats", "--store", spec])
    assert stats.exit_code == 0 and "InnovationCase" in stats.output, stats.output


def test_load_into_an_oxigraph_folder(trig, tmp_path):
    spec = f"oxigraph:{tmp_path / 'store'}"
    for _ in range(2):
        result = CliRunner().invoke(main, ["load", "--store", spec, "--graph", str(trig)])
        assert result.exit_code == 0, result.output
    stored = KnowledgeGraph.open(spec)
    assert len(stored.store) == len(KnowledgeGraph.from_file(trig).store)
    assert _rows(stored, "mechanism-frequency") == _rows(
        KnowledgeGraph.from_file(trig), "mechanism-frequency"
    )


class _Garbage(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's naming
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html>hello</html>")

    def log_message(self, *args):
        pass


@pytest.fixture
def garbage_server():
    with serving(http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/query"


@pytest.fixture
def silent_server():
    """Accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/query"
    sock.close()


def _query(spec: str):
    return CliRunner().invoke(main, ["query", "--store", spec, "--name", "bodies"])


def test_endpoint_down():
    result = _query(f"sparql:http://127.0.0.1:{_free_port()}/query")
    assert result.exit_code == 1 and "cannot reach the endpoint" in result.output


def test_endpoint_answers_garbage(garbage_server):
    result = _query(f"sparql:{garbage_server}")
    assert result.exit_code == 1 and "not SPARQL JSON results" in result.output


def test_endpoint_that_hangs_times_out(silent_server):
    from kg.store.remote import RemoteStore

    started = time.perf_counter()
    kg = KnowledgeGraph(RemoteStore(silent_server, timeout=1))
    with pytest.raises(Exception, match="cannot reach the endpoint"):
        kg.select("bodies")
    assert time.perf_counter() - started < 5


def test_load_into_nowhere(trig, tmp_path):
    result = CliRunner().invoke(main, ["load", "--store", "memory", "--graph", str(trig)])
    assert result.exit_code == 1 and "cannot load into" in result.output
    ttl = CliRunner().invoke(
        main,
        ["load", "--store", f"oxigraph:{tmp_path}/s", "--graph", str(trig.with_suffix(".ttl"))],
    )
    assert ttl.exit_code == 1 and "needs a .trig or .nq" in ttl.output
