"""The site as files: `kg site` on the command line, the same bytes from the same graph,
the seed's size budget, and 1,000 synthetic cases (no page over 5 MB; in Chromium the
case list filters by touching only the rows whose visibility changes). How fast it
filters is measured in benchmarks/site_filter.py, not here: a clock in a test on a
shared machine fails for the machine's sake."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg import KnowledgeGraph
from kg.cli import main
from kg.site.build import site_files, write_site
from kg.site.data import load_site_data

from ..conftest import ROOT

CHROMIUM = shutil.which("chromium")
MB = 1024 * 1024


@pytest.fixture(scope="module")
def graph(seed_trig: Path) -> KnowledgeGraph:
    return KnowledgeGraph.open("oxigraph", graph_file=seed_trig)


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_kg_site_writes_the_site_atomically_and_deterministically(seed_trig, tmp_path):
    out = tmp_path / "site"
    result = CliRunner().invoke(
        main, ["site", "--root", str(ROOT), "--graph", str(seed_trig), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "10 case" in result.output and "index.html" in result.output
    assert out.is_symlink()  # published as one set (kg.build.generations.publish_folder)
    first = _tree(out)
    assert {"index.html", "map.html", "assets/vis-network.min.js", "views/graph.html"} <= set(first)
    assert sum(1 for p in first if p.startswith("case/")) == 10
    # one shared vis-network file: no page carries the library itself
    library = b"A dynamic, browser-based visualization library."
    assert library in first["assets/vis-network.min.js"]
    assert [p for p, d in first.items() if library in d] == ["assets/vis-network.min.js"]
    assert all(len(d) < 400_000 for p, d in first.items() if p.startswith("views/"))
    total = sum(len(d) for d in first.values())
    assert total < 3 * MB, f"the seed site is {total:,} bytes"
    again = CliRunner().invoke(
        main, ["site", "--root", str(ROOT), "--graph", str(seed_trig), "--out", str(out)]
    )
    assert again.exit_code == 0, again.output
    assert _tree(out) == first


def test_a_source_text_that_does_not_match_the_graph_is_refused(graph, tmp_path):
    from kg.core.errors import KgError

    with pytest.raises(KgError, match="SHA-256"):
        write_site(graph, tmp_path / "site", texts={"gd-npc-innovation-cases-batch3-2020": "x"})
    assert not (tmp_path / "site").exists()


def _synthetic(graph, copies: int = 100):
    """The seed's site data with every case `copies` times (ids CASE-000 ...)."""
    site = load_site_data(graph, {})
    cases = {}
    for k in range(copies):
        for c, case in site.cases.items():
            cases[f"{c}-{k:03d}"] = dataclasses.replace(case, id=f"{c}-{k:03d}")
    site.cases = cases
    for body in site.bodies.values():
        body.cases = [c for c, case in cases.items() if case.body == body.id]
    return site


@pytest.mark.skipif(CHROMIUM is None, reason="no `chromium` on PATH")
def test_a_thousand_cases(graph, tmp_path):
    from playwright import sync_api

    files, kinds = site_files(_synthetic(graph))
    assert kinds["case"] == 1000
    largest = max((len(d), p) for p, d in files.items())
    assert largest[0] < 5 * MB, largest
    for name in ("index.html", "assets/site.css", "assets/site.js", "assets/list.js"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(files[name])
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto((tmp_path / "index.html").as_uri())
        page.wait_for_selector('body[data-stable="true"]', state="attached")
        # every change the list makes to its rows, recorded by the browser itself
        page.evaluate(
            """() => {
              window.__seen = [];
              window.__rows = new MutationObserver(records => window.__seen.push(...records));
              window.__rows.observe(document.querySelector('#case-table tbody'),
                {subtree: true, childList: true, attributes: true, characterData: true});
            }"""
        )
        changes = """() => window.__seen.splice(0).concat(window.__rows.takeRecords()).map(
                       r => r.type + ':' + (r.attributeName || '') + ':' + r.target.nodeName)"""
        township = "document.querySelector('input[name=level][value*=Township]').click()"
        shown = page.evaluate(f"() => {{ {township}; return +document.body.dataset.shown; }}")
        narrowed = page.evaluate(changes)
        page.evaluate(
            "() => document.getElementById('facets').dispatchEvent(new Event('input'))"
        )  # the same choice again
        repeated = page.evaluate(changes)
        back = page.evaluate(f"() => {{ {township}; return +document.body.dataset.shown; }}")
        widened = page.evaluate(changes)
        browser.close()
    assert (shown, back) == (300, 1000)  # 3 township cases x 100, then all again
    # the filter hides the 700 other rows, one attribute each, and builds nothing
    assert sorted(set(narrowed)) == ["attributes:hidden:TR"] and len(narrowed) == 700
    assert repeated == []  # nothing changes, nothing is touched
    assert sorted(set(widened)) == ["attributes:hidden:TR"] and len(widened) == 700


def test_fisher_p_of_every_seed_pair_matches_scipy(graph):
    from scipy.stats import fisher_exact

    from kg.site.stats import cooccurrence

    site = load_site_data(graph, {})
    n = len(site.cases)
    uses = {c: set(case.mechanisms) for c, case in site.cases.items()}
    pairs = cooccurrence(site)
    assert pairs
    for a, rows in pairs.items():
        for row in rows:
            with_a = {c for c, ms in uses.items() if a in ms}
            with_b = {c for c, ms in uses.items() if row.other in ms}
            k = len(with_a & with_b)
            table = [[k, len(with_a) - k], [len(with_b) - k, n - len(with_a | with_b)]]
            expected = fisher_exact(table, alternative="greater").pvalue
            assert row.shared == k
            assert abs(row.p - expected) <= 1e-9 * max(expected, 1e-12), (a, row.other)
