"""Shared fixtures: the real project, a scratch copy to break, and one seed build.

It also installs the network guard for the whole session: an audit hook that refuses
any connection or name lookup to a host other than loopback (127.0.0.0/8, ::1,
localhost) and any Unix socket, records it, and fails the test during which it
happened. A test that really means to reach the network says so with
`@pytest.mark.allow_network`. Audit hooks cannot be removed, so the hook only consults
`NETWORK_GUARD`; its checks cover Python code (urllib, http.client, socket, rdflib's
fetches), not native code such as Oxigraph's HTTP client or the browser.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import http.client
import ipaddress
import json
import os
import shutil
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from rdflib import Dataset

from kg.api import KnowledgeGraph, write_build
from kg.build.dataset import Build, build, load_inputs
from kg.store.memory import MemoryStore
from kg.validate import cache as validate_cache

# One BLAS thread per process, set before NumPy loads OpenBLAS (nothing above imports
# it): the suite already runs a worker per core and more, and OpenBLAS's idle threads spin
# between small calls. Children (kg commands, notebook kernels) inherit it.
for _blas in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_blas] = "1"

ROOT = Path(__file__).resolve().parents[1]
SOURCE_ID = "gd-npc-innovation-cases-batch3-2020"


# -- the network guard --


class NetworkBlocked(ConnectionRefusedError):
    """Raised in place of a connection the test did not ask for."""


class _NetworkGuard:
    def __init__(self) -> None:
        self.allowed = False
        self.violations: list[str] = []
        self._lock = threading.Lock()

    @staticmethod
    def is_local(host: object) -> bool:
        if host is None:
            return True  # getaddrinfo(None, port): a passive (bind) lookup
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        name = str(host).strip("[]").lower().rstrip(".")
        if name in ("", "localhost", "ip6-localhost", "ip6-loopback"):
            return True
        try:
            address = ipaddress.ip_address(name.split("%", 1)[0])
        except ValueError:
            return False
        return address.is_loopback or address.is_unspecified

    def __call__(self, event: str, args: tuple) -> None:
        if not event.startswith("socket."):
            return
        if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
            sock, address = args[0], args[-1]
            if getattr(sock, "family", None) == getattr(socket, "AF_UNIX", None):
                return
            if not isinstance(address, tuple) or not address:
                return
            host = address[0]
        elif event in (
            "socket.getaddrinfo",
            "socket.gethostbyname",
            "socket.gethostbyname_ex",
            "socket.gethostbyaddr",
        ):
            host = args[0]
        else:
            return
        if self.allowed or self.is_local(host):
            return
        message = f"{event} to {host!r}"
        with self._lock:
            self.violations.append(message)
        raise NetworkBlocked(f"network guard: {message} was not asked for by the test")

    def take(self) -> list[str]:
        with self._lock:
            found, self.violations[:] = list(self.violations), []
        return found

    @contextlib.contextmanager
    def expect_blocked(self):
        """For tests of the guard itself: the attempts inside are expected (and returned)."""
        caught: list[str] = []
        before = self.take()
        try:
            yield caught
        finally:
            caught += self.take()
            self.violations[:0] = before


NETWORK_GUARD = _NetworkGuard()
sys.addaudithook(NETWORK_GUARD)


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "allow_network: the test may open connections beyond loopback"
    )


def pytest_collection_finish(session) -> None:
    """Keep the collector off the session's long-lived objects.

    The suite holds large graphs for its whole run (the seed, per-module builds), and a
    full collection walks all of them: 20-25% of a worker's time went to the collector.
    Objects alive now, and those a session or module fixture creates (`pytest_fixture_setup`
    below), move to the permanent generation; reference counting still frees them, and
    `gc.collect()` in a test still collects what that test left in cycles.
    """
    _freeze_survivors()
    gc.set_threshold(20_000, 20, 20)


def _freeze_survivors() -> None:
    gc.collect()  # garbage first: only what is still alive moves to the permanent generation
    gc.freeze()


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    yield
    if fixturedef.scope in ("session", "package", "module"):
        _freeze_survivors()


@pytest.fixture(scope="session", autouse=True)
def _validation_cache(tmp_path_factory) -> None:
    """One cache of validation findings (`kg.validate.cache`) for the session, outside the
    checkout and shared by its workers (entries are keyed by content), so a project that
    tests build again and again runs SHACL once. Tests of the cache set their own."""
    base = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        base = base.parent  # the session's folder, above each worker's
    os.environ[validate_cache.ENV] = str(base / "kg-cache")


def pytest_collection_modifyitems(config, items) -> None:
    """Everything under tests/browser/ drives Chromium: mark it `browser` (-m "not browser")."""
    folder = Path(__file__).parent / "browser"
    for item in items:
        if folder in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _no_outbound_connections(request):
    """Fail the test if it (or a fixture it used) tried to reach a non-loopback host."""
    NETWORK_GUARD.allowed = request.node.get_closest_marker("allow_network") is not None
    try:
        yield
    finally:
        NETWORK_GUARD.allowed = False
        found = NETWORK_GUARD.take()
        if found:
            pytest.fail(
                "outbound connection(s) the test did not ask for: " + "; ".join(found),
                pytrace=False,
            )


def pytest_sessionfinish(session, exitstatus) -> None:
    found = NETWORK_GUARD.take()
    if found:  # attempts made outside any test, e.g. while a session fixture shut down
        print("\nnetwork guard: outbound connection(s): " + "; ".join(found), file=sys.stderr)
        session.exitstatus = 1


def graph_digest(graph) -> int:
    """The digest `rdflib.compare.isomorphic` compares (blank nodes canonical): two graphs
    are isomorphic when their digests are equal. For comparing many graphs with one, whose
    digest is then computed once (0.3 s for the seed)."""
    from rdflib.compare import _TripleCanonicalizer

    return _TripleCanonicalizer(graph).to_hash()


# -- the project --


def copy_inputs(root: Path) -> Path:
    """The project's inputs (data/, ontology/) copied into `root`; returns `root`."""
    for part in ("data", "ontology"):
        shutil.copytree(ROOT / part, root / part)
    return root


def made_once(tmp_path_factory, name: str, make: Callable[[Path], None]) -> Path:
    """A folder that `make` fills once for the whole session, shared by the xdist workers
    (the first to ask makes it under a lock, the others wait and read it). Tests must not
    change it: copy it first (`shutil.copytree(..., symlinks=True)` keeps the stamps and
    links a build's cache checks)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, above each worker's own
    folder, done = base / f"made-once-{name}", base / f"made-once-{name}.done"
    with open(base / f"made-once-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a failed attempt's
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def seed() -> Build:
    """The real seed graph, built once for the session (once per worker under xdist).

    Shared by every test that reads it: a test that changes `seed.dataset` must undo the
    change before it returns (see test_validate.py), or build its own copy.
    """
    return build(load_inputs(ROOT))


@pytest.fixture(scope="session")
def seed_kg(seed: Build) -> KnowledgeGraph:
    """The seed graph behind the public API, in memory, over the same dataset as `seed`."""
    return KnowledgeGraph(MemoryStore(seed.dataset), origin=f"built from {ROOT}")


def scratch_kg(seed: Build) -> KnowledgeGraph:
    """A copy of the seed graph that a test may change (copying is 5x faster than building)."""
    dataset = Dataset()
    for prefix, namespace in seed.dataset.namespaces():
        dataset.bind(prefix, namespace, override=True)
    dataset.addN(seed.dataset.quads((None, None, None, None)))
    return KnowledgeGraph(MemoryStore(dataset), origin=f"copy of the seed built from {ROOT}")


@pytest.fixture(scope="session")
def seed_trig(request, tmp_path_factory) -> Path:
    """The seed written as `kg build` writes it (kg.trig, kg.ttl, the index), once for the
    session by the first worker that asks; read only."""

    def make(out: Path) -> None:
        write_build(request.getfixturevalue("seed"), out)

    return made_once(tmp_path_factory, "seed-build", make) / "kg.trig"


@pytest.fixture(scope="session")
def seed_auto(seed_trig: Path) -> KnowledgeGraph:
    """The seed as the commands open a build by default (`--store auto`): Oxigraph, with
    the analytic index beside the file. For tests whose subject is not the engine (the
    differential tests compare the engines)."""
    return KnowledgeGraph.open("auto", graph_file=seed_trig)


@pytest.fixture(scope="session")
def good_build(tmp_path_factory) -> Path:
    """A copy of the project's inputs with a good build in build/, made once for the
    session by the first worker that asks; copy it before changing it."""

    def make(root: Path) -> None:
        from click.testing import CliRunner

        from kg.cli import main

        copy_inputs(root)
        result = CliRunner().invoke(
            main, ["build", "--root", str(root), "--out", str(root / "build")]
        )
        assert result.exit_code == 0, result.output

    return made_once(tmp_path_factory, "good-build", make)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A scratch copy of the project's inputs that a test may damage."""
    return copy_inputs(tmp_path)


class Canary:
    """A loopback TCP port that counts the connections it receives and closes each at once:
    a query that escaped the checks shows up in `hits` (and fails fast, its connection
    reset); it is counted before the client can see the close. `url` is an endpoint
    address on that port, for SERVICE, FROM and LOAD."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self.hits = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.hits += 1
            conn.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self.sock.close()
        self._thread.join(timeout=5)


@pytest.fixture(scope="module")
def canary():
    found = Canary()
    yield found
    found.close()


@contextlib.contextmanager
def serving(server):
    """`server` (an http.server, such as `kg.serve.endpoint.make_server`'s) answering from
    a daemon thread until the block ends; then it is shut down and its socket closed."""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def call(srv, method: str, path: str, body=None, headers=None, timeout: float = 30):
    """One HTTP request to the server `srv` (anything with a `url`), on a connection of
    its own: (status, headers, body), nothing followed or retried."""
    host, port = urlsplit(srv.url).netloc.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def error_of(status: int, headers: dict, body: bytes, expected: int) -> dict:
    """The JSON error of a reply, after checking the status and that no traceback leaked."""
    assert status == expected, body[:500]
    assert headers["Content-Type"].startswith("application/json")
    assert b"Traceback" not in body and b'File "' not in body
    doc = json.loads(body)
    assert doc["status"] == expected and doc["error"]
    return doc
