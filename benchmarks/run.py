"""Benchmarks at several corpus sizes: build, load, every named query, patterns, render.

    python benchmarks/run.py --sizes 1000,10000 [--timeout 120]

For each size it generates a synthetic corpus (benchmarks/synth.py), builds it, then
measures each store in its own process (so peak memory is the store's own): load,
every named query warm (second run), `patterns`, and for Oxigraph `render` too. The
baseline for loading is pyoxigraph's own bulk load of the same file, measured in the
same run. Prints a markdown table with ratios.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PARAMS = {"mechanism": "liaison-station", "case": None, "place": "广东省"}


def _timed(work, timeout: float | None = None):
    from kg.errors import KgError

    started = time.perf_counter()
    try:
        value = work()
    except KgError as exc:
        if "did not finish" in str(exc):
            return None, None
        raise
    return time.perf_counter() - started, value


def worker(store: str, trig: Path, timeout: float) -> dict:
    """Measure one store; runs in its own process."""
    import pyoxigraph

    from kg.graph import KnowledgeGraph
    from kg.library import named_queries
    from kg.store import MemoryStore, OxigraphStore

    out: dict[str, float | None] = {}
    if store == "baseline":
        started = time.perf_counter()
        pyoxigraph.Store().bulk_load(path=str(trig), format=pyoxigraph.RdfFormat.TRIG)
        out["load"] = time.perf_counter() - started
        out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return out
    cls = MemoryStore if store == "memory" else OxigraphStore
    out["load"], backend = _timed(lambda: cls.from_file(trig))
    kg = KnowledgeGraph(backend)
    first_case = kg.query("SELECT ?c WHERE { ?c a rkg:InnovationCase } ORDER BY ?c LIMIT 1")
    case = str(first_case.rows[0][0]).rsplit("/", 1)[-1]
    for name, query in named_queries().items():
        params = {p.name: PARAMS[p.name] or case for p in query.params if p.default is None}
        elapsed, _ = _timed(lambda n=name, p=params: kg.named(n, timeout=timeout, **p))
        if elapsed is not None:  # warm: the second run
            elapsed, _ = _timed(lambda n=name, p=params: kg.named(n, timeout=timeout, **p))
        out[f"query {name}"] = elapsed
    out["patterns"], _ = _timed(lambda: kg.patterns())
    if store == "oxigraph":
        from kg.render import render_all

        with tempfile.TemporaryDirectory() as folder:
            out["render"], pages = _timed(lambda: render_all(kg, Path(folder)))
            out["largest page MB"] = max(p.size for p in pages) / 1e6
            out["max nodes"] = max(len(p.view.nodes) for p in pages if p.view)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _run_worker(store: str, trig: Path, timeout: float) -> dict:
    result = subprocess.run(
        [
            sys.executable,
            __file__,
            "--worker",
            store,
            "--trig",
            str(trig),
            "--timeout",
            str(timeout),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        return {"error": result.stderr.strip().splitlines()[-1] if result.stderr else "failed"}
    return json.loads(result.stdout)


def _fmt(value) -> str:
    if value is None:
        return "timeout"
    if isinstance(value, str):
        return value
    return f"{value:.3f}" if value < 100 else f"{value:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="per-query limit; slower queries show as 'timeout'",
    )
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "kg-bench")
    parser.add_argument("--worker")
    parser.add_argument("--trig", type=Path)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.trig, args.timeout)))
        return
    from synth import generate

    columns = []
    for size in (int(s) for s in args.sizes.split(",")):
        project = generate(size, args.work / f"synth-{size}")
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "kg.cli",
                "build",
                "--root",
                str(project),
                "--out",
                str(project / "build"),
                "--no-validate",
            ],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        build = time.perf_counter() - started
        trig = project / "build" / "kg.trig"
        results = {
            s: _run_worker(s, trig, args.timeout) for s in ("baseline", "memory", "oxigraph")
        }
        columns.append((size, build, results))
        print(f"measured {size} cases", file=sys.stderr)
    rows = sorted({k for _, _, r in columns for s in r.values() for k in s} - {"error"})
    header = ["measure (s)"]
    for size, *_ in columns:
        header += [f"{size:,} rdflib", f"{size:,} oxigraph", f"{size:,} ratio"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    line = ["build (no validation, s)"]
    for _, build, _ in columns:
        line += [_fmt(build), "", ""]
    print("| " + " | ".join(line) + " |")
    line = ["pyoxigraph bulk_load baseline"]
    for *_, r in columns:
        base, ox = r["baseline"].get("load"), r["oxigraph"].get("load")
        line += ["", _fmt(base), f"load/baseline {ox / base:.2f}" if base and ox else ""]
    print("| " + " | ".join(line) + " |")
    for key in [k for k in rows if k != "peak_mb"] + ["peak_mb"]:
        line = [key]
        for *_, r in columns:
            mem, ox = r["memory"].get(key, ""), r["oxigraph"].get(key, "")
            ratio = (
                f"{mem / ox:.0f}x"
                if isinstance(mem, float) and isinstance(ox, float) and ox > 0 and key != "peak_mb"
                else ""
            )
            line += [_fmt(mem) if mem != "" else "", _fmt(ox) if ox != "" else "", ratio]
        print("| " + " | ".join(line) + " |")


if __name__ == "__main__":
    main()
