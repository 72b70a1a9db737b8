"""The CLI: help on every command, version, build output and its determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from kg.cli import main
from kg.core.about import __version__

from ..conftest import ROOT


def test_every_command_has_help():
    runner = CliRunner()
    for name, command in main.commands.items():
        assert command.help, f"kg {name} has no help text"
        result = runner.invoke(main, [name, "-h"])
        assert result.exit_code == 0 and "Usage:" in result.output


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def _build(out: Path, seed: str) -> dict[str, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "kg.cli",
            "build",
            "--root",
            str(ROOT),
            "--out",
            str(out),
            "--no-validate",
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if not p.name.startswith(".")}


def test_build_is_byte_identical_across_runs(tmp_path: Path):
    first = _build(tmp_path / "a", "1")
    second = _build(tmp_path / "b", "987")
    assert set(first) == {"kg.ttl", "kg.trig"}
    assert first == second


def test_the_site_is_byte_identical_across_runs_and_stores(seed_trig, tmp_path: Path):
    """Pages and the fixed layouts of their network views depend on neither the order of
    Python's sets (once the co-occurrence layout did, so two runs of `kg site` drew it
    apart) nor the order in which an engine returns rows."""
    from ..hostile.conftest import snapshot

    sites = []
    for seed, store in (("1", "memory"), ("987", "memory"), ("5", "oxigraph")):
        out = tmp_path / f"{store}-{seed}"
        subprocess.run(
            [sys.executable, "-m", "kg.cli", "site", "--graph", seed_trig, "--store", store,
             "--root", ROOT, "--out", out],
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
        )  # fmt: skip
        sites.append(snapshot(out))
    assert len(sites[0]) > 100
    for other in sites[1:]:
        assert other.keys() == sites[0].keys()
        assert sorted(k for k in other if other[k] != sites[0][k]) == []


def test_stats_json(seed):
    result = CliRunner().invoke(main, ["stats", "--root", str(ROOT), "--format", "json"])
    assert result.exit_code == 0
    stats = json.loads(result.output)
    assert stats["cases"] == 10
    assert stats["mechanisms"] >= 30
    assert stats["evidence"] > 200
    assert stats["triples"] == len(seed.union())
    assert any(
        name.endswith("source/gd-npc-innovation-cases-batch3-2020") for name in stats["graphs"]
    )


def test_trig_keeps_named_graphs_and_matches_turtle(tmp_path: Path, seed):
    from rdflib import Dataset, Graph
    from rdflib.compare import isomorphic

    files = _build(tmp_path / "out", "3")
    dataset = Dataset()
    dataset.parse(data=files["kg.trig"].decode(), format="trig")
    names = {str(g.identifier).rsplit("/", 1)[-1] for g in dataset.graphs() if len(g)}
    assert {"ontology", "vocabulary", "places", "gd-npc-innovation-cases-batch3-2020"} <= names
    union = Graph()
    for g in dataset.graphs():
        for triple in g:
            union.add(triple)
    turtle = Graph().parse(data=files["kg.ttl"].decode(), format="turtle")
    assert isomorphic(union, turtle)
    assert isomorphic(turtle, seed.union())
