"""The site's case list in Chromium: how long one click on a facet takes to filter it.

    python benchmarks/site_filter.py [--sizes 1000,5000] [--runs 5] [--reuse]

For each corpus size (benchmarks/synth.py, built as run.py builds it) the case list page
(`index.html`, one row per case) is rendered from the graph and opened in headless
Chromium. For the first value of each facet, one click is timed from the click to the
layout of the changed rows, best of `--runs`. The baseline is measured in the same page
right after: hiding and showing exactly the same rows by hand, with nothing computed, so
the ratio is what list.js costs over the browser's own work for that change.

The suite checks what the filter does (tests/browser/test_site_build.py: it touches only
the rows whose visibility changes); how fast it does it is measured here.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import _build_corpus  # noqa: E402

# click one box, force the layout; the same box again to restore the list
_FILTER = """([name, value]) => {
  const input = Array.from(document.querySelectorAll('#facets input[type=checkbox]'))
    .find(b => b.name === name && b.value === value);
  const t0 = performance.now();
  input.click();
  document.body.offsetHeight;
  const t = performance.now() - t0;
  const hidden = Array.from(document.querySelectorAll('#case-table tbody tr'))
    .map((row, i) => row.hidden ? i : -1).filter(i => i >= 0);
  const shown = +document.body.dataset.shown;
  input.click();
  return [t, hidden, shown];
}"""
# the same rows hidden and shown again by hand: the browser's share of the change
_BASELINE = """(hidden) => {
  const rows = document.querySelectorAll('#case-table tbody tr');
  const t0 = performance.now();
  for (const i of hidden) { rows[i].hidden = true; }
  document.body.offsetHeight;
  const t = performance.now() - t0;
  for (const i of hidden) { rows[i].hidden = false; }
  document.body.offsetHeight;
  return t;
}"""


def _case_list(trig: Path, out: Path) -> int:
    """Write the case list page and the three files it loads into `out`; the rows."""
    from importlib import resources

    from kg import KnowledgeGraph
    from kg.site.data import load_site_data
    from kg.site.listing import case_list_page

    site = load_site_data(KnowledgeGraph.open("oxigraph", graph_file=trig), {})
    (out / "assets").mkdir(parents=True, exist_ok=True)
    (out / "index.html").write_text(case_list_page(site).render(), encoding="utf-8")
    static = resources.files("kg.site") / "static"  # what kg.site.build copies to assets/
    for name in ("site.css", "site.js", "list.js"):
        (out / "assets" / name).write_bytes((static / name).read_bytes())
    return len(site.cases)


def _measure(page, runs: int) -> list[tuple[str, int, float, float]]:
    """(facet value, rows shown, filter ms, baseline ms) for the first box of each facet."""
    boxes = page.evaluate(
        """() => { const seen = new Set(); const out = [];
             for (const b of document.querySelectorAll('#facets input[type=checkbox]')) {
               if (!seen.has(b.name)) { seen.add(b.name); out.push([b.name, b.value]); } }
             return out; }"""
    )
    table = []
    for name, value in boxes:
        best, base, shown = float("inf"), float("inf"), 0
        for _ in range(runs):
            t, hidden, shown = page.evaluate(_FILTER, [name, value])
            best = min(best, t)
            base = min(base, page.evaluate(_BASELINE, hidden))
        table.append((f"{name}={value}", shown, best, base))
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path("/tmp/renda-kg-bench"))
    parser.add_argument("--reuse", action="store_true", help="reuse builds left in --work")
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        parser.error("no `chromium` on PATH (Debian: apt-get install chromium)")
    from playwright import sync_api

    print("| cases | facet value | rows shown | filter (ms) | baseline (ms) | ratio |")
    print("|---|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        trig, _ = _build_corpus(size, args.work, args.reuse)
        with tempfile.TemporaryDirectory() as folder:
            rows = _case_list(trig, Path(folder))
            with sync_api.sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
                page = browser.new_page()
                page.goto((Path(folder) / "index.html").as_uri())
                page.wait_for_selector('body[data-stable="true"]', state="attached")
                for facet, shown, ms, base in _measure(page, args.runs):
                    ratio = ms / base if base > 0 else float("inf")
                    print(
                        f"| {rows:,} | {facet} | {shown:,} | {ms:.1f} | {base:.1f} | {ratio:.1f}x |"
                    )
                browser.close()


if __name__ == "__main__":
    main()
