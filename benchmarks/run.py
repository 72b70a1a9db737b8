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
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PARAMS = {"mechanism": "liaison-station", "case": None, "place": "广东省"}


def _timed(work, timeout: float | None = None):
    from kg.core.errors import KgError

    started = time.perf_counter()
    try:
        value = work()
    except KgError as exc:
        if "did not finish" in str(exc):
            return None, None
        raise
    return time.perf_counter() - started, value


def worker(store: str, trig: Path, timeout: float, persistent: bool = False) -> dict:
    """Measure one store; runs in its own process. With `persistent`, Oxigraph loads into
    a folder (what `--store oxigraph:DIR` opens) instead of memory."""
    import pyoxigraph

    from kg import KnowledgeGraph
    from kg.query.library import named_queries
    from kg.store.memory import MemoryStore
    from kg.store.oxigraph import OxigraphStore

    out: dict[str, float | None] = {}
    if store == "baseline":
        started = time.perf_counter()
        pyoxigraph.Store().bulk_load(path=str(trig), format=pyoxigraph.RdfFormat.TRIG)
        out["load"] = time.perf_counter() - started
        out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return out
    folder = None
    if store == "memory":
        out["load"], backend = _timed(lambda: MemoryStore.from_file(trig))
    else:
        folder = Path(tempfile.mkdtemp(prefix="kg-bench-store-")) if persistent else None
        out["load"], backend = _timed(lambda: OxigraphStore.from_file(trig, into=folder))
    kg = KnowledgeGraph(backend)
    first_case = kg.query("SELECT ?c WHERE { ?c a rkg:InnovationCase } ORDER BY ?c LIMIT 1")
    case = str(first_case.rows[0][0]).rsplit("/", 1)[-1]
    for name, query in named_queries().items():
        params = {p.name: PARAMS[p.name] or case for p in query.params if p.default is None}
        elapsed, _ = _timed(lambda n=name, p=params: kg.named(n, timeout=timeout, **p))
        if elapsed is not None:  # warm: the second run
            elapsed, _ = _timed(lambda n=name, p=params: kg.named(n, timeout=timeout, **p))
        out[f"query {name}"] = elapsed
        if store == "oxigraph" and elapsed is not None:
            out[f"engine {name}"], _ = _timed(_engine_only(kg, query, params))
        print(f"{name}: {elapsed}", file=sys.stderr, flush=True)
    out["patterns"], _ = _timed(lambda: kg.patterns())
    if store == "oxigraph":
        from kg.outputs.render import render_all

        with tempfile.TemporaryDirectory() as folder:
            try:
                out["render"], pages = _timed(lambda: render_all(kg, Path(folder)))
            except Exception as exc:  # noqa: BLE001 - a row of the table, not a crash
                print(f"render failed: {exc}", file=sys.stderr)
                out["render"], pages = None, None
            if pages:
                out["largest page MB"] = max(p.size for p in pages) / 1e6
                out["max nodes"] = max(len(p.view.nodes) for p in pages if p.view)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
    return out


def _engine_only(kg, query, params: dict):
    """pyoxigraph alone on the same text: evaluate and step through every row, build
    nothing. The difference to the named query's time is our share (result objects)."""
    prepared = kg._library(query.name, params)  # the very text kg.named() sends
    return lambda: sum(
        1 for _ in kg.store.store.query(prepared.text, use_default_graph_as_union=True)
    )


def _run_worker(store: str, trig: Path, timeout: float, persistent: bool = False) -> dict:
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
            *(["--persistent"] if persistent else []),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        return {"error": result.stderr.strip().splitlines()[-1] if result.stderr else "failed"}
    return json.loads(result.stdout)


def _build(project: Path) -> Path:
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
    return project / "build" / "kg.trig"


def _build_corpus(size: int, work: Path, reuse: bool = False) -> tuple[Path, bool]:
    """Generate and `kg build --no-validate` a corpus of `size` cases; the build's TriG,
    and whether it was reused.

    The build makes one named graph at a time and keeps only its quads
    (`kg.build.dataset.build_streamed`), so 100k cases (~9.6 M triples, ~2 KB each in
    rdflib) build in one process. With `reuse`, a build of the same size left in `work`
    by an earlier run is used as is.
    """
    from synth import generate

    built = work / f"synth-{size}" / "build" / "kg.trig"
    if reuse and built.is_file():
        print(f"reusing {built}", file=sys.stderr)
        return built, True
    return _build(generate(size, work / f"synth-{size}")), False


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
    parser.add_argument(
        "--memory-limit",
        type=int,
        default=20000,
        help="skip the rdflib store above this many cases (it needs ~2 KB a triple)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="use builds an earlier run left in --work (no build time is measured)",
    )
    parser.add_argument(
        "--persistent",
        action="store_true",
        help="measure Oxigraph in a folder (oxigraph:DIR) rather than in memory",
    )
    parser.add_argument("--worker")
    parser.add_argument("--trig", type=Path)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.trig, args.timeout, args.persistent)))
        return

    columns = []
    for size in (int(s) for s in args.sizes.split(",")):
        started = time.perf_counter()
        trig, reused = _build_corpus(size, args.work, args.reuse)
        build = "reused" if reused else time.perf_counter() - started
        stores = ["baseline", "oxigraph"]
        if size <= args.memory_limit:
            stores.insert(1, "memory")
        results = {s: _run_worker(s, trig, args.timeout, args.persistent) for s in stores}
        results.setdefault("memory", {})
        columns.append((size, build, results))
        print(f"measured {size} cases", file=sys.stderr)
    rows = sorted({k for _, _, r in columns for s in r.values() for k in s} - {"error"})
    header = ["measure (s)"]
    for size, *_ in columns:
        oxigraph = "oxigraph:DIR" if args.persistent else "oxigraph"
        header += [f"{size:,} rdflib", f"{size:,} {oxigraph}", f"{size:,} ratio"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    line = ["build (no validation, one graph at a time)"]
    for _, build, _ in columns:
        line += [_fmt(build), "", ""]
    print("| " + " | ".join(line) + " |")
    line = ["pyoxigraph bulk_load baseline"]
    for *_, r in columns:
        base, ox = r["baseline"].get("load"), r["oxigraph"].get("load")
        line += ["", _fmt(base), f"load/baseline {ox / base:.2f}" if base and ox else ""]
    print("| " + " | ".join(line) + " |")
    keys = [k for k in rows if k != "peak_mb" and not k.startswith("engine ")] + ["peak_mb"]
    for key in keys:
        line = [key]
        for *_, r in columns:
            mem, ox = r["memory"].get(key, ""), r["oxigraph"].get(key, "")
            ratio = (
                f"{mem / ox:.0f}x"
                if isinstance(mem, float) and isinstance(ox, float) and ox > 0 and key != "peak_mb"
                else ""
            )
            cell = _fmt(ox) if ox != "" else ""
            engine = r["oxigraph"].get("engine " + key.removeprefix("query "))
            if key.startswith("query ") and engine is not None:
                cell += f" ({_fmt(engine)})"
            line += [_fmt(mem) if mem != "" else "", cell, ratio]
        print("| " + " | ".join(line) + " |")
    print(
        "\nIn brackets: pyoxigraph alone evaluating the same text and stepping through the"
        " rows, no result objects built."
    )


if __name__ == "__main__":
    main()
