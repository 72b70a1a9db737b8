"""rdflib's rewrites of named queries (`kg/queries/rdflib/`) against the standard texts.

    python benchmarks/variants.py [--sizes 150,1000] [--runs 2] [--timeout 120] [NAME ...]

For each corpus size (benchmarks/synth.py, built with `kg build --no-validate`, kept in
--work for `--reuse`), the build is loaded once into the rdflib store; each query with an
rdflib variant (or each NAME given) then runs both texts on that store, in turn, in the
same process: the best of `--runs` wall times of each, their ratio (the baseline is the
standard text, measured in the same round), and whether the rows are the same. A text
over `--timeout` seconds is stopped by the store's own deadline and shown as "timeout".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import PARAMS, _build_corpus, _timed  # noqa: E402

GIVEN = {name: value for name, value in PARAMS.items() if value}  # run.py's sample values


def _best(graph, text: str, bound: dict, runs: int, timeout: float) -> tuple[float | None, list]:
    """The best wall time of `runs` runs of `text` and its rows; None past the deadline."""
    best, rows = None, []
    for _ in range(runs):
        wall, table = _timed(lambda: graph.query(text, params=bound, timeout=timeout))
        if wall is None:
            return None, []
        best = wall if best is None else min(best, wall)
        rows = sorted(map(repr, table.rows))
    return best, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="named queries (default: those with variants)")
    parser.add_argument("--sizes", default="150,1000")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--work", type=Path, default=Path("/tmp/renda-kg-bench"))
    parser.add_argument("--reuse", action="store_true", help="reuse builds left in --work")
    args = parser.parse_args()

    from kg import KnowledgeGraph
    from kg.query.library import named_queries
    from kg.store.memory import MemoryStore

    queries = named_queries()
    names = args.names or sorted(n for n, q in queries.items() if "rdflib" in q.variants)
    for name in names:
        if name not in queries:
            parser.error(f"no named query {name!r} (see `kg query --list`)")
        needed = [p.name for p in queries[name].params if p.default is None]
        if set(needed) - set(GIVEN):
            parser.error(f"{name} needs parameters this script does not give: {needed}")
    print("| cases | query | standard text (s) | rdflib variant (s) | ratio | same rows |")
    print("|---|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        trig, _ = _build_corpus(size, args.work, reuse=args.reuse)
        graph = KnowledgeGraph(MemoryStore.from_file(trig))
        for name in names:
            query = queries[name]
            given = {p.name: GIVEN[p.name] for p in query.params if p.default is None}
            bound = query.bind(given, graph.resolver.resolve)
            standard, rows = _best(graph, query.text, bound, args.runs, args.timeout)
            variant, variant_rows = _best(
                graph, query.text_for("rdflib"), bound, args.runs, args.timeout
            )
            ratio = f"{standard / variant:.1f}x" if standard and variant else ""
            same = "" if standard is None or variant is None else str(rows == variant_rows)
            shown = ["timeout" if t is None else f"{t:.2f}" for t in (standard, variant)]
            print(f"| {size:,} | {name} | {shown[0]} | {shown[1]} | {ratio} | {same} |", flush=True)


if __name__ == "__main__":
    main()
