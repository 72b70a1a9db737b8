"""The waits users have, each measured beside its baseline in the same run (issue #20).

    python benchmarks/waits.py [--runs 5] [--synthetic 10000] [--skip-run]

Every figure is a whole process, as a user starts it (`kg ...` in a copy of the project),
timed from outside: the median wall and CPU seconds of `--runs` runs after one warm-up,
and the peak memory of the process. Ratios are taken run by run against the baseline
measured in the same round, so a machine that slows down mid-run moves both.

Seed (the ten curated cases), in a scratch copy of data/ and ontology/:
- `make run` as it was (build, render, figures, docs, site: five processes) against
  `kg run` from clean, `kg run` with nothing changed, and `kg run` after one case edit;
- `kg query --name mechanism-frequency` on rdflib (the old default) against the
  default now (the build's analytic index), and Oxigraph loading the graph;
- `kg patterns` the same way; `kg --help`.

With `--synthetic N` a corpus of N generated cases (benchmarks/synth.py) is built once
(kept in --work for the next run): `kg query mechanism-frequency` and `kg patterns` from
the index against Oxigraph loading the graph; the long results (claims, evidence,
timeline, cases) streamed to CSV (bytes, time to the first byte); and each aggregate
warm on rdflib, Oxigraph and the index in one process (the 50x target at 10k).

With `--built DIR --case ID` (a corpus already built, e.g. the 100k one), only the
commands a user runs on it, end to end, nothing loaded: each aggregate as CSV and as a
table, similar-cases for case ID, `kg patterns` as a table and as JSON, and the long
results to CSV: median wall, first byte, peak memory and bytes of `--runs` runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KG = str(Path(sys.executable).with_name("kg"))
AGGREGATES = (
    "mechanism-frequency",
    "mechanism-cooccurrence",
    "mechanisms-by-level",
    "mechanisms-by-category",
    "party-role",
    "bodies",
    "actors",
    "places",
    "mechanism-hierarchy",
)
LONG = ("claims", "evidence", "timeline", "cases")


def run_once(argv: list[str], cwd: Path) -> dict:
    """One process: wall and CPU seconds, peak resident memory (MB), bytes written."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    size = 0
    first = None
    while chunk := proc.stdout.read(1 << 16):
        if first is None:
            first = time.perf_counter() - started
        size += len(chunk)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "mb": usage.ru_maxrss / 1024,
        "bytes": size,
        "first": first if first is not None else wall,
        "ok": proc.returncode == 0,
    }


def compare(
    label: str,
    candidate,
    baseline,
    runs: int,
    rows: list,
    *,
    prepare=None,
) -> None:
    """Time `candidate` and `baseline` (argv, cwd pairs) in turn, A B A B ..., after a
    warm-up of each; `prepare()` runs before every single run (e.g. to edit a file)."""
    measured = {"a": [], "b": []}
    for i in range(runs + 1):
        for key, (argv, cwd) in (("a", candidate), ("b", baseline)):
            if argv is None:
                continue
            if prepare is not None:
                prepare(key)
            result = run_once(argv, cwd)
            if i:  # the first round warms up
                measured[key].append(result)
    rows.append((label, measured["a"], measured["b"]))


def _median(results: list[dict], field: str) -> float | None:
    return statistics.median(r[field] for r in results) if results else None


def _ratio(a: list[dict], b: list[dict], field: str) -> str:
    if not a or not b:
        return ""
    ratios = [y[field] / x[field] for x, y in zip(a, b, strict=False) if x[field] > 0]
    return f"{statistics.median(ratios):.1f}x" if ratios else ""


def table(rows: list) -> str:
    out = [
        "| measure | wall s | cpu s | peak MB | baseline wall s | baseline cpu s | "
        "baseline peak MB | speed-up (wall, cpu) | ok |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, a, b in rows:
        cells = [label]
        for results in (a, b):
            for field, fmt in (("wall", ".3f"), ("cpu", ".3f"), ("mb", ".0f")):
                value = _median(results, field)
                cells.append("" if value is None else format(value, fmt))
        cells.append(f"{_ratio(a, b, 'wall')}, {_ratio(a, b, 'cpu')}".strip(", "))
        cells.append("yes" if all(r["ok"] for r in a + b) else "NO")
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def _copy_project(work: Path, name: str) -> Path:
    root = work / name
    for part in ("data", "ontology"):
        shutil.copytree(ROOT / part, root / part)
    return root


def seed(work: Path, runs: int, rows: list, skip_run: bool) -> None:
    old, new = _copy_project(work, "old"), _copy_project(work, "new")
    trig = "build/kg.trig"
    old_make = [
        [KG, "build", "--out", "build"],
        [KG, "render", "--graph", trig, "--out", "build/views"],
        [KG, "figures", "--graph", trig, "--out", "build/figures"],
        [KG, "docs", "--graph", trig, "--out", "build/docs/index.html"],
        [KG, "site", "--graph", trig, "--out", "build/site"],
    ]
    script = work / "old-make-run.sh"
    script.write_text(
        "set -e\n" + "".join(" ".join(argv) + " >/dev/null\n" for argv in old_make), "utf-8"
    )
    old_run = (["sh", str(script)], old)
    if not skip_run:
        subprocess.run([KG, "run"], cwd=new, check=True, capture_output=True)
        compare("make run, nothing changed (kg run)", ([KG, "run"], new), old_run, runs, rows)
        record = new / "data" / "cases" / "gd-b3-01.yaml"
        original = record.read_text(encoding="utf-8")
        edits = iter(range(10**6))

        def edit(key: str) -> None:
            if key == "a":  # a new title translation each time: the graph changes
                text = original.replace("  en: ", f"  en: Revision {next(edits)}, ", 1)
                record.write_text(text, encoding="utf-8")

        compare("make run, one case edited", ([KG, "run"], new), old_run, runs, rows, prepare=edit)
        tags = iter(range(10**6))

        def retag(key: str) -> None:
            if key == "a":  # a tag changed each time, to and fro: the figures redraw too
                swapped = "inquiry" if next(tags) % 2 == 0 else "budget-responsibility-agreement"
                text = original.replace("id: budget-responsibility-agreement", f"id: {swapped}", 1)
                record.write_text(text, encoding="utf-8")

        compare(
            "make run, one case's tag edited (figures redrawn)",
            ([KG, "run"], new),
            old_run,
            runs,
            rows,
            prepare=retag,
        )
        record.write_text(original, encoding="utf-8")
        subprocess.run([KG, "run"], cwd=new, check=True, capture_output=True)
    else:
        subprocess.run([KG, "build"], cwd=new, check=True, capture_output=True)
        subprocess.run([KG, "build"], cwd=old, check=True, capture_output=True)
    loose = work / "loose.trig"  # the same graph outside its build: no index beside it
    shutil.copyfile(new / "build" / "kg.trig", loose)
    freq = ["query", "--name", "mechanism-frequency"]
    memory = ([KG, *freq, "--store", "memory"], new)
    compare("seed: kg query mechanism-frequency (index)", ([KG, *freq], new), memory, runs, rows)
    compare(
        "seed: kg query mechanism-frequency (Oxigraph, no index)",
        ([KG, *freq, "--graph", str(loose), "--store", "oxigraph"], new),
        memory,
        runs,
        rows,
    )
    compare(
        "seed: kg patterns",
        ([KG, "patterns"], new),
        ([KG, "patterns", "--store", "memory"], new),
        runs,
        rows,
    )
    compare("kg --help", ([KG, "--help"], new), (None, new), runs, rows)


def _warm(graph, name: str, runs: int) -> float:
    graph.select(name)  # warm-up: the store's caches, the query parsed once
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        graph.select(name)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


#: Above this many cases rdflib is left out of the warm table: it holds ~2 KB a triple
#: (100k cases, ~9.6 M triples, would need ~20 GB).
RDFLIB_LIMIT = 20000


def warm_engines(trig: Path, names: tuple[str, ...], runs: int, rdflib_too: bool) -> list[str]:
    """Each aggregate on a loaded store, warm, in this process: rdflib (if `rdflib_too`),
    Oxigraph, and the analytic index (opened from scratch each time). Rows: name,
    seconds, ratios."""
    sys.path.insert(0, str(ROOT))
    from kg.api import KnowledgeGraph
    from kg.query.index import AnalyticIndex
    from kg.store.memory import MemoryStore
    from kg.store.oxigraph import OxigraphStore

    oxigraph = KnowledgeGraph(OxigraphStore.from_file(trig))
    rdflib = KnowledgeGraph(MemoryStore.from_file(trig)) if rdflib_too else None
    out = [
        "| query (warm, s) | rdflib | Oxigraph | index | Oxigraph / rdflib | index / rdflib |",
        "|---|---|---|---|---|---|",
    ]
    for name in names:
        fast = _warm(oxigraph, name, runs)
        index_times = []
        for _ in range(runs):
            started = time.perf_counter()
            assert AnalyticIndex.open(trig).table(name).rows is not None
            index_times.append(time.perf_counter() - started)
        kept = statistics.median(index_times)
        if rdflib is None:
            out.append(f"| {name} | (skipped) | {fast:.4f} | {kept:.4f} | | |")
            continue
        slow = _warm(rdflib, name, runs)
        out.append(
            f"| {name} | {slow:.3f} | {fast:.4f} | {kept:.4f} | {slow / fast:.0f}x | "
            f"{slow / kept:.0f}x |"
        )
    return out


def synthetic(work: Path, cases: int, runs: int, rows: list, names: tuple[str, ...]) -> list:
    corpus = work / f"synth-{cases}"
    if not (corpus / "build" / "kg.trig").is_file():
        subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "synth.py"), "--cases", str(cases)]
            + ["--out", str(corpus)],
            check=True,
            capture_output=True,
        )
        build = [KG, "build", "--root", str(corpus), "--no-validate"]  # as run.py: speed only
        subprocess.run(build, cwd=corpus, check=True, capture_output=True)
    trig = corpus / "build" / "kg.trig"
    loose = work / f"synth-{cases}.trig"
    shutil.copyfile(trig, loose)
    base = ["query", "--name", "mechanism-frequency", "--format", "csv"]
    compare(
        f"{cases}: kg query mechanism-frequency (index vs Oxigraph loading the graph)",
        ([KG, *base], corpus),
        ([KG, *base, "--graph", str(loose), "--store", "oxigraph"], corpus),
        runs,
        rows,
    )
    compare(
        f"{cases}: kg patterns (index vs Oxigraph loading the graph)",
        ([KG, "patterns"], corpus),
        ([KG, "patterns", "--graph", str(loose), "--store", "oxigraph"], corpus),
        runs,
        rows,
    )
    for name in LONG:
        argv = [KG, "query", "--name", name, "--format", "csv", "--timeout", "0"]
        results = [run_once(argv, corpus) for _ in range(runs)]
        size = int(_median(results, "bytes") or 0)
        rows.append((f"{cases}: {name} streamed to CSV ({size:,} bytes)", results, []))
        print(
            f"{cases}: {name}: first byte after {_median(results, 'first'):.3f} s (median)",
            file=sys.stderr,
        )
    return warm_engines(trig, names, runs, rdflib_too=cases <= RDFLIB_LIMIT)


def built_commands(corpus: Path, case: str, runs: int) -> str:
    """The table of `--built`: each command end to end in the built corpus."""
    commands = []
    for name in (*AGGREGATES, "similar-cases"):
        param = ["--param", f"case={case}"] if name == "similar-cases" else []
        for fmt in ("csv", "table"):
            commands.append((name, fmt, ["query", "--name", name, *param, "--format", fmt]))
    commands += [("kg patterns", fmt, ["patterns", "--format", fmt]) for fmt in ("table", "json")]
    commands += [(name, "csv", ["query", "--name", name, "--format", "csv"]) for name in LONG]
    out = [
        "| command | format | wall s | first byte s | peak MB | bytes | ok |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, fmt, argv in commands:
        run_once([KG, *argv], corpus)  # warm-up
        results = [run_once([KG, *argv], corpus) for _ in range(runs)]
        wall, first, mb = (_median(results, f) for f in ("wall", "first", "mb"))
        ok = "yes" if all(r["ok"] for r in results) else "NO"
        size = int(_median(results, "bytes"))
        out.append(f"| {name} | {fmt} | {wall:.2f} | {first:.2f} | {mb:.0f} | {size:,} | {ok} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--synthetic", type=int, help="also a generated corpus of N cases")
    parser.add_argument("--skip-run", action="store_true", help="leave out the make run pairs")
    parser.add_argument("--skip-seed", action="store_true", help="only the synthetic corpus")
    parser.add_argument(
        "--aggregates",
        default=",".join(AGGREGATES),
        help="with --synthetic: the aggregates to time warm on each engine",
    )
    parser.add_argument("--work", type=Path)
    parser.add_argument("--built", type=Path, help="only the commands in this built corpus")
    parser.add_argument("--case", help="with --built: the case of similar-cases")
    args = parser.parse_args()
    if args.built:
        if not args.case or not (args.built / "build" / "kg.trig").exists():
            parser.error("--built needs a folder with build/kg.trig and --case ID")
        print(built_commands(args.built, args.case, args.runs))
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="kg-waits-"))
    rows: list = []
    if not args.skip_seed:
        seed(work, args.runs, rows, args.skip_run)
    warm: list[str] = []
    if args.synthetic:
        names = tuple(n for n in args.aggregates.split(",") if n)
        warm = synthetic(work, args.synthetic, args.runs, rows, names)
    print(table(rows))
    if warm:
        print()
        print("\n".join(warm))


if __name__ == "__main__":
    main()
