"""Accessibility of the research site: axe-core (vendored in tests/browser/vendor) finds no
serious or critical violation on the case list, a case page, a source page, the map and a
network view, in either language."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no `chromium` on PATH")
from playwright import sync_api  # noqa: E402

from kg import KnowledgeGraph  # noqa: E402
from kg.site.build import write_site  # noqa: E402

from ..conftest import ROOT  # noqa: E402

AXE = Path(__file__).parent / "vendor" / "axe-core-4.10.3" / "axe.min.js"
PAGES = [
    "index.html",
    "case/gd-b3-05.html",
    "source/gd-npc-innovation-cases-batch3-2020.html",
    "map.html",
    "views/families.html",
    "body/440106-sc.html",
]


@pytest.fixture(scope="module")
def site(seed_trig: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("a11y") / "site"
    write_site(KnowledgeGraph.open("oxigraph", graph_file=seed_trig), out, root=ROOT)
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_serious_or_critical_violation(site: Path, lang: str):
    found = {}
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(bypass_csp=True)  # to inject axe itself
        context.add_init_script(f"localStorage.setItem('renda-kg-lang', '{lang}')")
        page = context.new_page()
        mechanism = min((site / "mechanism").glob("*.html")).relative_to(site)
        for name in [*PAGES, str(mechanism)]:
            page.goto((site / name).as_uri())
            page.wait_for_selector('body[data-stable="true"]', state="attached")
            page.add_script_tag(path=str(AXE))
            # only violations are read: axe then skips the details of what passed (half its time)
            result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
            bad = [
                (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                for v in result["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            if bad:
                found[name] = bad
        browser.close()
    assert not found, found
