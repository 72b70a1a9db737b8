"""Bounded work and size (issue #21, item 2): every reader caps its input before reading
it, canonicalisation has a budget, and an in-process Oxigraph query has a memory cap.

Before: a K9 blank-node clique kept `kg diff` busy for minutes; a 17 MiB literal crashed
`kg query`, `kg diff` and `kg load` with a MemoryError traceback; a 50 MB YAML string
crashed `kg build`; `/dev/zero` behind a symlink was read until memory ran out; a query
doubling a string took 5.5 GB. Now each ends in seconds with a message naming the file
(or the query) and the limit, and nothing is written.
"""

from __future__ import annotations

import itertools
import json
import os
import resource
import time
from pathlib import Path

import pytest

import kg.core.terms as terms

from .conftest import Built, refused, run, snapshot

EX = "http://example.org/"


def clique(n: int, graph: str = EX + "g") -> str:
    """N-Quads of a complete directed graph on `n` blank nodes: RDFC-1.0's worst case."""
    return "".join(
        f"_:b{i} <{EX}p> _:b{j} <{graph}> .\n" for i, j in itertools.permutations(range(n), 2)
    )


@pytest.fixture
def small_budget(monkeypatch):
    """A canonicalisation budget of one second, so the factorial case shows at once."""
    monkeypatch.setattr(terms, "CANONICAL_BUDGET", 1.0)


def test_a_blank_node_clique_stops_at_the_budget(tmp_path, small_budget):
    before = tmp_path / "a.nq"
    after = tmp_path / "b.nq"
    before.write_text(clique(9), encoding="utf-8")
    after.write_text(clique(9) + f"<{EX}s> <{EX}p> <{EX}o> <{EX}g> .\n", encoding="utf-8")
    started = time.monotonic()
    out = refused(run("diff", before, after), "blank node", "clique")
    assert time.monotonic() - started < 30, out
    assert run("diff", before, after).exit_code == 2  # "cannot be read", not "differ"


def test_a_clique_in_a_vocabulary_file_stops_the_build(built: Built, small_budget):
    vocab = built.root / "data" / "vocab" / "mechanisms.ttl"
    turtle = "".join(f"_:b{i} <{EX}p> _:b{j} .\n" for i, j in itertools.permutations(range(9), 2))
    vocab.write_text(vocab.read_text(encoding="utf-8") + "\n" + turtle, encoding="utf-8")
    kept = snapshot(built.build)
    started = time.monotonic()
    refused(run("build", "--root", built.root, "--out", built.build), "blank node")
    assert time.monotonic() - started < 60
    assert snapshot(built.build) == kept


def _huge_literal(path: Path, mib: int = 17) -> Path:
    graph = f" <{EX}g>" if path.suffix == ".nq" else ""
    path.write_text(
        f'<{EX}s> <{EX}p> "{"x" * (mib * 1024**2)}"{graph} .\n<{EX}s> <{EX}q> "small"{graph} .\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["query", "--store", "oxigraph", "SELECT * WHERE { ?s ?p ?o } LIMIT 1"],
        ["diff", "{file}", "{file}"],
        ["load", "--store", "oxigraph:{tmp}/store"],
        ["export", "--format", "ttl", "--out", "{tmp}/out.ttl"],
    ],
    ids=["query", "diff", "load", "export"],
)
def test_a_literal_over_16_mib_is_refused_with_its_place(tmp_path, command):
    big = _huge_literal(tmp_path / ("big.nq" if command[0] == "load" else "big.nt"))
    args = [a.replace("{file}", str(big)).replace("{tmp}", str(tmp_path)) for a in command]
    if "{file}" not in " ".join(command):
        args += ["--graph", str(big)]
    refused(run(*args), big.name, "16 MiB")
    assert not (tmp_path / "out.ttl").exists()
    assert not (tmp_path / "store").exists() or not any((tmp_path / "store").iterdir())


def test_a_50_mb_yaml_string_is_refused_before_parsing(built: Built):
    case = built.case()
    case.write_text(
        case.read_text(encoding="utf-8") + f"# {'长' * (17 * 1024**2)}\n", encoding="utf-8"
    )
    kept = snapshot(built.build)
    started = time.monotonic()
    refused(run("build", "--root", built.root, "--out", built.build), case.name, "MiB")
    assert time.monotonic() - started < 20
    assert snapshot(built.build) == kept


def test_dev_zero_behind_a_symlink_is_not_read(built: Built, tmp_path):
    notice = tmp_path / "notice.txt"
    notice.symlink_to("/dev/zero")
    kept = snapshot(built.root / "data")
    started = time.monotonic()
    refused(
        run("ingest", str(notice), "--root", built.root, "--source-id", "gd-npc-x-2021"),
        "notice.txt",
        "regular file",
    )
    assert time.monotonic() - started < 10
    assert snapshot(built.root / "data") == kept


def test_a_string_doubling_query_stops_at_the_memory_cap(seed_trig):
    """Evaluated in a child under the 2 GiB cap: the caller never holds the string.

    The command runs in a process forked for this test, so that the peak memory of its
    children is this query's alone (a pytest worker's children include every earlier
    test's: Chromium, builds)."""
    binds = "".join(f"BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1}) " for i in range(34))
    query = f'SELECT (STRLEN(?s34) AS ?n) WHERE {{ BIND("xxxxxxxxxxxxxxxx" AS ?s0) {binds}}}'
    argv = ("query", "--graph", seed_trig, "--store", "oxigraph", "--timeout", "60", query)
    started = time.monotonic()
    got = _in_a_fresh_process(lambda: refused(run(*argv)))
    assert "2 GiB" in got["value"] or "did not finish" in got["value"], got["value"]
    assert time.monotonic() - started < 90
    assert got["own_growth_kib"] < 512 * 1024
    assert 0 < got["children_peak_kib"] < 3 * 1024**2  # the cap (2 GiB) plus the runtime


def _in_a_fresh_process(call) -> dict:
    """`call()` in a forked process: its value, the process's own peak-memory growth and
    the peak of the children it waited for (KiB). A failed assertion comes back as one."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: fresh counters for its own children
        os.close(read)
        report: dict = {}
        try:
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            report["value"] = call()
            report["own_growth_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
            report["children_peak_kib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, which fails
            report["error"] = f"{type(exc).__name__}: {exc}"
        with os.fdopen(write, "w") as out:
            json.dump(report, out)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as got:
        text = got.read()
    os.waitpid(pid, 0)
    report = json.loads(text)
    assert "error" not in report, report["error"]
    return report
