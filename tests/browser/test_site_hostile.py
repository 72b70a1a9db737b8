"""Hostile labels on the research site: markup in a case title, a body name, a measure
heading and a mechanism label stays text on every page that shows it.

A copy of the project gets the strings of tests/hostile/test_labels.py in its English
labels (the Chinese ones are quotes checked against the source text; the body's English
name becomes a skos:altLabel, shown on the body page), is built, and its site is opened
in Chromium in English: no script of the data runs (window.__pwned stays undefined, no
dialog), nothing is fetched, no console error, and the strings show
literally, in the page text, in the network tooltips and in the search results.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no `chromium` on PATH (Debian package chromium): the browser tests need it",
)
from playwright import sync_api  # noqa: E402

from kg import KnowledgeGraph, write_build  # noqa: E402
from kg.build.dataset import build, load_inputs  # noqa: E402
from kg.site.build import write_site  # noqa: E402

from ..conftest import copy_inputs  # noqa: E402

SCRIPT = "<script>window.__pwned=1</script>"
CLOSE = "</script><script>window.__pwned=2</script><!--"
IMG = '<img src=x onerror="window.__pwned=3;alert(3)">'
HREF = '<a href="javascript:window.__pwned=4">click</a>'
SVG = '<svg onload="window.__pwned=5"></svg>'
TITLE = f"Title {SCRIPT} {IMG}"
BODY = f"Body {CLOSE}"
HEADING = f"Heading {HREF}"
MECHANISM = f"deputy liaison station {SVG} {CLOSE}"
PAGES = [
    "index.html",
    "case/gd-b3-04.html",
    "body/440106-sc.html",
    "mechanisms.html",
    "map.html",
    "places.html",
    "views/graph.html",
    "views/families.html",
    "source/gd-npc-innovation-cases-batch3-2020.html",
]


def _yaml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _set_en(path: Path, occurrence: int, value: str) -> None:
    """Replace the value of the `occurrence`-th two-space `en:` line (0: title, 1: body)."""
    text = path.read_text(encoding="utf-8")
    m = list(re.finditer(r"^  en: .*$", text, re.M))[occurrence]
    path.write_text(text[: m.start()] + "  en: " + _yaml(value) + text[m.end() :], "utf-8")


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = copy_inputs(tmp_path_factory.mktemp("hostile-site"))
    case = root / "data" / "cases" / "gd-b3-04.yaml"
    _set_en(case, 0, TITLE)
    _set_en(case, 1, BODY)
    _replace(case, "heading_en: Innovate a regularized", "heading_en: " + _yaml(HEADING) + "\n#")
    _replace(
        root / "data" / "vocab" / "mechanisms.ttl",
        '"deputy liaison station"@en',
        '"' + MECHANISM.replace('"', '\\"') + '"@en',
    )
    write_build(build(load_inputs(root)), root / "build")
    graph = KnowledgeGraph.open("oxigraph", graph_file=root / "build" / "kg.trig")
    write_site(graph, root / "site", root=root)
    return root / "site"


def test_hostile_labels_stay_text(site: Path):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        dialogs, console, requests = [], [], []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("console", lambda m: console.append((m.type, m.text)))
        page.on("pageerror", lambda e: console.append(("pageerror", str(e))))
        page.on("request", lambda r: requests.append(r.url))
        page.add_init_script("localStorage.setItem('renda-kg-lang', 'en')")
        seen = ""
        for name in PAGES:
            page.goto((site / name).as_uri())
            page.wait_for_selector('body[data-stable="true"]', state="attached")
            assert page.evaluate("() => window.__pwned") is None, name
            seen += page.inner_text("body")
            if name == "views/graph.html":
                page.fill("#net-search", "Title")
                assert TITLE in page.inner_text("#net-matches") or "Title <script>" in (
                    page.inner_text("#net-matches")
                )
                tips = page.evaluate(
                    "() => kgNet.nodes.get().map(n => n.title.textContent).join(' ')"
                )
                assert TITLE in tips and page.evaluate("() => window.__pwned") is None
        browser.close()
    assert dialogs == []
    assert [m for m in console if m[0] in ("error", "pageerror")] == []
    assert all(u.startswith(site.as_uri()) for u in requests), requests
    for text in (TITLE, BODY, HEADING, MECHANISM):
        assert text in seen, text
