"""The session-wide network guard of tests/conftest.py, tested on itself.

It refuses and records any lookup or connection beyond loopback and fails the test that
made it, even if the code swallowed the error; loopback and Unix sockets stay usable.
It is how the whole suite shows that no code path fetches from the web.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from rdflib import Dataset

from ..conftest import NETWORK_GUARD, NetworkBlocked
from .conftest import FIXTURES

REMOTE_CONTEXT = '{"@context": "http://example.org/context.jsonld", "@id": "http://e/s"}'


def _connect_ex() -> None:
    with socket.socket() as sock:  # closed, so no ResourceWarning (an error in this suite)
        sock.connect_ex(("192.0.2.1", 80))


def _udp_sendto() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"x", ("192.0.2.1", 53))


@pytest.mark.parametrize(
    "attempt",
    [
        lambda: socket.getaddrinfo("example.org", 80),
        lambda: socket.gethostbyname("example.org"),
        lambda: socket.create_connection(("192.0.2.1", 80), timeout=1),
        _connect_ex,
        _udp_sendto,
    ],
    ids=["getaddrinfo", "gethostbyname", "connect", "connect_ex", "udp-sendto"],
)
def test_outbound_attempts_are_blocked_and_recorded(attempt):
    with NETWORK_GUARD.expect_blocked() as caught, pytest.raises(NetworkBlocked):
        attempt()
    assert caught, "the attempt was not recorded"


def test_urllib_is_blocked():
    with NETWORK_GUARD.expect_blocked() as caught, pytest.raises(urllib.error.URLError):
        urllib.request.urlopen("http://example.org/", timeout=2)  # noqa: S310
    assert caught


def test_rdflib_would_fetch_a_remote_context_and_the_gate_does_not(tmp_path: Path):
    """rdflib alone tries the network for a JSON-LD @context URL; kg's reader never does."""
    with NETWORK_GUARD.expect_blocked() as caught, pytest.raises(Exception):  # noqa: B017
        Dataset().parse(data=REMOTE_CONTEXT, format="json-ld")
    assert any("example.org" in c for c in caught), caught

    from kg.core.errors import KgError
    from kg.core.rdfio import parse_dataset

    path = tmp_path / "remote.jsonld"
    path.write_text(REMOTE_CONTEXT, encoding="utf-8")
    with NETWORK_GUARD.expect_blocked() as caught, pytest.raises(KgError):
        parse_dataset(path)
    assert caught == []


def test_loopback_and_unix_sockets_are_allowed(tmp_path: Path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(server.accept()[0].close()))
    thread.start()
    socket.create_connection(("localhost", port), timeout=5).close()
    thread.join(5)
    server.close()
    assert accepted
    path = str(tmp_path / "s.sock")
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(path)
    unix.listen(1)
    client = socket.socket(socket.AF_UNIX)
    client.connect(path)
    client.close()
    unix.close()
    assert NETWORK_GUARD.violations == []


@pytest.mark.allow_network
def test_a_test_can_ask_for_the_network():
    assert NETWORK_GUARD.allowed


def test_a_test_that_swallows_the_error_still_fails():
    probe = FIXTURES / "guard_probe.py"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(probe)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert "outbound connection(s) the test did not ask for" in proc.stdout
    assert "socket.getaddrinfo to 'example.org'" in proc.stdout
