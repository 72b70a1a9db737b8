"""The research site (`write_site`) in headless Chromium, over the seed graph.

One pass opens every page of the site from file:// and records what each logged,
fetched, took and links to; the tests then read that record: no console error, no CSP
violation, no request outside the site folder, every internal link (and its #fragment)
resolves, both ways for case <-> source, mechanism, body, place and batch. The evidence
is checked against the graph with the test's own SPARQL: every quote of a case is on its
page and links to a highlight in the source page that is exactly the quoted code points
at the quoted offsets. Then the interactions: search that says when nothing matches,
filters whose counts follow, the language kept across pages, and a phone-sized screen.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no `chromium` on PATH (Debian package chromium): the browser tests need it",
)
from playwright import sync_api  # noqa: E402

from kg import KnowledgeGraph  # noqa: E402
from kg.site.build import write_site  # noqa: E402

from ..conftest import ROOT, call  # noqa: E402

BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
STABLE = 'body[data-stable="true"]'
CASE = "https://w3id.org/renda-kg/case/"
INIT_SCRIPT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
new MutationObserver(function (records, observer) {
  if (document.body && document.body.getAttribute("data-stable") === "true") {
    window.__stableAt = performance.now();
    observer.disconnect();
  }
}).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-stable"] });
"""
COLLECT = """() => ({
  ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
  links: Array.from(document.querySelectorAll('a[href]'))
    .map(a => new URL(a.getAttribute('href'), document.baseURI).href),
  csp: window.__csp,
  nav: (performance.getEntriesByType('navigation')[0] || {}).loadEventEnd || 0,
  stable: window.__stableAt
})"""


@pytest.fixture(scope="module")
def graph(seed_trig: Path) -> KnowledgeGraph:
    """The seed as `kg build` wrote it, in Oxigraph (the site's queries are many)."""
    return KnowledgeGraph.open("oxigraph", graph_file=seed_trig)


@pytest.fixture(scope="module")
def site(graph, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    report = write_site(graph, out, root=ROOT)
    assert report.pages["case"] == 10
    return out


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield b
        b.close()


class Tab:
    """A tab that records console messages, page errors and every request."""

    def __init__(self, browser, site: Path, **context):
        self.context = browser.new_context(**context)
        self.page = self.context.new_page()
        self.site = site
        self.console: list[tuple[str, str]] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.console.append(("pageerror", str(e))))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.add_init_script(INIT_SCRIPT)

    def open(self, name: str) -> float:
        self.console.clear()
        self.requests.clear()
        start = time.perf_counter()
        self.page.goto((self.site / name).as_uri())
        self.page.wait_for_selector(STABLE, state="attached", timeout=20_000)
        return time.perf_counter() - start

    def js(self, expression: str, arg=None):
        return self.page.evaluate(expression, arg)

    def close(self) -> None:
        self.context.close()


def _pages(site: Path) -> list[str]:
    return sorted(str(p.relative_to(site)) for p in site.rglob("*.html"))


@pytest.fixture(scope="module")
def visits(browser, site: Path) -> dict[str, dict]:
    """Every page opened once: what it logged, fetched, took, and its ids and links."""
    tab = Tab(browser, site)
    out = {}
    for name in _pages(site):
        wall = tab.open(name)
        record = tab.js(COLLECT)
        record.update(wall=wall, console=list(tab.console), requests=list(tab.requests))
        for _ in range(2):  # the machine is shared: a slow load is measured again
            if record["stable"] <= 1000:
                break
            tab.open(name)
            record["stable"] = min(record["stable"], tab.js(COLLECT)["stable"])
        out[name] = record
    tab.close()
    return out


def _local(url: str, site: Path) -> tuple[str, str] | None:
    """A file:// URL inside the site -> (page relative to the site, fragment)."""
    parts = urlsplit(url)
    if parts.scheme != "file":
        return None
    path = Path(unquote(parts.path))
    try:
        rel = path.relative_to(site)
    except ValueError:
        return None
    return str(rel), unquote(parts.fragment)


def test_every_page_is_clean_and_offline(visits, site: Path):
    assert len(visits) == len(_pages(site)) > 100
    for name, v in visits.items():
        errors = [m for m in v["console"] if m[0] in ("error", "pageerror", "warning")]
        assert not errors, (name, errors)
        assert v["csp"] == [], (name, v["csp"])
        outside = [u for u in v["requests"] if _local(u, site) is None]
        assert outside == [], (name, outside)


def test_every_page_is_still_within_a_second(visits):
    slow = {n: round(v["stable"]) for n, v in visits.items() if v["stable"] > 1000}
    assert not slow, f"pages settled later than 1 s after navigation: {slow}"


def test_every_internal_link_resolves(visits, site: Path):
    broken = []
    for name, v in visits.items():
        for url in v["links"]:
            target = _local(url, site)
            assert target is not None, (name, url)  # no link leaves the site
            page, fragment = target
            if page not in visits or (fragment and fragment not in visits[page]["ids"]):
                broken.append((name, url))
    assert not broken, broken[:20]


def _links(visits, page: str, site: Path) -> set[str]:
    return {t[0] for u in visits[page]["links"] if (t := _local(u, site))}


def test_links_go_both_ways(visits, site: Path):
    """Each case page links to its body, places, mechanisms, batch and sources, and each
    of those pages links back to the case (places: to the cases here and below)."""
    for name in visits:
        if not name.startswith("case/"):
            continue
        out = _links(visits, name, site)
        targets = {p for p in out if p.split("/")[0] in ("body", "place", "mechanism",
                                                            "batch", "source")}  # fmt: skip
        assert {p.split("/")[0] for p in targets} == {"body", "place", "mechanism", "batch",
                                                      "source"}, name  # fmt: skip
        for target in targets:
            assert name in _links(visits, target, site), (target, "does not link to", name)


def _evidence(graph) -> dict[str, list[tuple[str, str, int, int, str]]]:
    """case -> (evidence local name, quote, start, end, source id), from the graph."""
    rows = graph.query(
        """SELECT ?ev ?subject ?quote ?start ?end ?source WHERE {
             ?ev a rkg:Evidence ; rdf:subject ?subject ; rkg:quote ?quote ;
                 rkg:startOffset ?start ; rkg:endOffset ?end ; prov:wasQuotedFrom ?source }"""
    ).rows
    out: dict[str, list] = {}
    for ev, subject, quote, start, end, source in rows:
        if str(subject).startswith(CASE):
            case = str(subject)[len(CASE) :].split("/")[0]
            out.setdefault(case, []).append(
                (str(ev).rsplit("/", 1)[-1], str(quote), int(start), int(end),
                 str(source).rsplit("/", 1)[-1])
            )  # fmt: skip
    return out


READ_HIGHLIGHT = """ev => {
  const box = document.getElementById('source-text');
  const anchor = document.getElementById('q-' + ev);
  if (!anchor) return null;
  const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
  let offset = 0, node;
  while ((node = walker.nextNode())) {
    if (anchor.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_FOLLOWING) break;
    offset += Array.from(node.data).length;
  }
  const marked = Array.from(box.querySelectorAll('mark'))
    .filter(m => m.dataset.ev.split(' ').includes(ev)).map(m => m.textContent).join('');
  return {offset: offset, marked: marked, back: anchor.getAttribute('href')};
}"""


def test_every_quote_is_on_its_case_page_and_highlighted_in_the_source(graph, browser, site: Path):
    evidence = _evidence(graph)
    assert sorted(evidence) == sorted(p.stem for p in (site / "case").glob("*.html"))
    tab = Tab(browser, site)
    for case, items in sorted(evidence.items()):
        tab.open(f"case/{case}.html")
        shown = tab.js(
            """() => Object.fromEntries(Array.from(document.querySelectorAll('a.quote[id^="c-"]'))
                 .map(a => [a.id.slice(2), [a.textContent, a.getAttribute('href')]]))"""
        )
        for ev, quote, _, _, source in items:
            assert ev in shown, (case, ev, quote)
            assert shown[ev] == [quote, f"../source/{source}.html#q-{ev}"], (case, ev)
    sources = {s for items in evidence.values() for *_, s in items}
    for source in sorted(sources):
        text = (ROOT / "data" / "sources").glob(f"{source}.txt")
        raw = next(text).read_text(encoding="utf-8")
        tab.open(f"source/{source}.html")
        assert tab.js("() => document.getElementById('source-text').textContent") == raw
        for case, items in evidence.items():
            for ev, quote, start, end, src in items:
                if src != source:
                    continue
                got = tab.js(READ_HIGHLIGHT, ev)
                assert got is not None, ev
                assert got["offset"] == start, (ev, got["offset"], start)
                assert got["marked"] == quote == raw[start:end], ev
                assert got["back"] == f"../case/{case}.html#c-{ev}"
    tab.close()


def test_the_map_shows_every_seed_case(browser, site: Path):
    tab = Tab(browser, site)
    tab.open("map.html")
    dots = tab.js(
        "() => Array.from(document.querySelectorAll('#map a.case-dot')).map(a => a.dataset.case)"
    )
    assert sorted(dots) == sorted(p.stem for p in (site / "case").glob("*.html"))
    tab.page.select_option("#colour-by", index=1)
    fills = tab.js(
        """() => new Set(Array.from(document.querySelectorAll('#map .counties path'))
                 .map(p => p.getAttribute('fill'))).size"""
    )
    assert fills >= 2
    tab.close()


def test_case_list_search_and_facets(browser, site: Path, graph):
    townships = len(
        graph.query(
            """SELECT DISTINCT ?c WHERE { ?c a rkg:InnovationCase ; rkg:declaredBy ?b .
                 ?b rkg:level ?l . FILTER(CONTAINS(STR(?l), "Township")) }"""
        ).rows
    )
    assert townships > 0
    tab = Tab(browser, site)
    tab.open("index.html")
    tab.page.fill("#search", "没有这样的案例xyz")
    assert tab.page.is_visible("#no-match")
    assert tab.js("() => document.body.dataset.shown") == "0"
    tab.page.fill("#search", "")
    assert tab.page.is_hidden("#no-match")
    box = tab.page.locator("input[name=level][value*=Township]")
    box.check()
    assert tab.js("() => document.body.dataset.shown") == str(townships)
    assert tab.page.locator("#case-table tbody tr:visible").count() == townships
    category_counts = tab.js(
        """() => Array.from(document.querySelectorAll('input[name=category]'))
             .map(b => +b.parentNode.querySelector('.count').textContent)"""
    )
    assert sum(category_counts) == townships  # the other facets count what is left
    assert str(townships) in tab.page.inner_text("#match-count")
    tab.close()


def test_network_search_filters_and_legend(browser, site: Path):
    tab = Tab(browser, site)
    tab.open("views/graph.html")
    total = tab.js("() => kgNet.nodes.length")
    tab.page.fill("#net-search", "qqq-nothing-like-it")
    assert "没有" in tab.page.inner_text("#net-search-status")
    assert tab.page.locator("#net-matches li").count() == 0
    tab.page.fill("#net-search", "联络站")
    expected = tab.js(
        """() => JSON.parse(document.getElementById('net-data').textContent).nodes
             .filter(n => n.search.includes('联络站')).length"""
    )
    assert expected > 1
    assert tab.page.locator("#net-matches li").count() == expected  # all, not the first
    fit = tab.js(
        "() => { kgNet.network.fit({animation: false}); return kgNet.network.getScale(); }"
    )
    assert fit * tab.js("() => kgNet.fontSize") >= 11  # labels legible at the fitted zoom
    before = tab.js("() => kgNet.shown")
    tab.page.locator("#net-filter-form input[name=level][value*=Township]").check()
    after = tab.js("() => kgNet.shown")
    assert 0 < after["cases"] < before["cases"] and after["edges"] < before["edges"]
    assert f"{after['edges']} / {before['edges']}" in tab.page.inner_text("#net-count")
    visible = tab.js("() => kgNet.nodes.get().filter(n => !n.hidden).length")
    assert visible == after["nodes"] < total
    legend = tab.page.inner_text("#legend-list")
    for word in ("案例", "申报单位", "地点", "机制族", "辖区", "隶属"):
        assert word in legend
    tab.close()


def test_language_is_kept_across_pages(browser, site: Path):
    tab = Tab(browser, site)
    tab.open("index.html")
    tab.page.click("#lang-toggle")
    assert tab.js("() => document.documentElement.classList.contains('lang-en')")
    tab.page.locator("#case-table tbody tr a[href^='case/']").nth(1).click()
    tab.page.wait_for_selector(STABLE, state="attached")
    assert "/case/" in tab.page.url
    assert tab.js("() => document.documentElement.lang") == "en"
    assert tab.page.locator("h1 .en").is_visible() and tab.page.locator("h1 .zh").is_hidden()
    tab.open("views/families.html")
    assert "nodes" in tab.page.inner_text("#net-count")
    tab.close()


PHONE_PAGES = ["index.html", "case/gd-b3-05.html", "views/graph.html", "map.html",
               "source/gd-npc-innovation-cases-batch3-2020.html"]  # fmt: skip


@pytest.mark.parametrize("page", PHONE_PAGES)
def test_phone_screen(browser, site: Path, page: str):
    tab = Tab(browser, site, viewport={"width": 390, "height": 844}, device_scale_factor=2)
    tab.open(page)
    assert tab.js("() => document.documentElement.scrollWidth") <= 390
    if page.startswith("views/"):
        assert not tab.js("() => document.getElementById('net-legend').open")
        box = tab.page.locator("#network").bounding_box()
        assert box["width"] <= 390 and box["height"] >= 300
    tab.close()


def test_the_site_works_behind_kg_serve(browser, site: Path, graph):
    """The same pages served at /site/: they load with no error, no request leaves the
    site, every link resolves; nothing outside the folder can be fetched."""
    import threading

    from kg.serve.endpoint import make_server

    server = make_server(graph, port=0, site=site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    leak = site / "assets" / "leak.css"
    leak.symlink_to(ROOT / "pyproject.toml")
    try:
        base = server.url + "/site/"
        tab = Tab(browser, site)
        links: set[str] = set()
        for name in ["", "case/gd-b3-05.html", "map.html", "views/graph.html", "sources.html"]:
            tab.console.clear()
            tab.requests.clear()
            tab.page.goto(base + name)
            tab.page.wait_for_selector(STABLE, state="attached", timeout=20_000)
            record = tab.js(COLLECT)
            assert record["csp"] == [] and tab.console == [], (name, record["csp"], tab.console)
            assert all(u.startswith(base) for u in tab.requests), tab.requests
            links |= {u.split("#")[0] for u in record["links"] if u.startswith(base)}
        assert {f"{base}case/gd-b3-{n:02d}.html" for n in range(1, 11)} <= links
        tab.close()
        assert len(links) > 20
        paths = sorted(urlsplit(u).path for u in links)
        assert {p: call(server, "GET", p)[0] for p in paths} == dict.fromkeys(paths, 200)
        status, headers, _ = call(server, "GET", "/site")
        assert status == 301 and headers["Location"] == "/site/"
        for bad in (
            "/site/../kg.trig",
            "/site/%2e%2e/%2e%2e/pyproject.toml",
            "/site/assets/leak.css",  # a link that leads outside the folder
            "/site/.hidden",
            "/site/case/nothing.html",
            "/site/assets/",
        ):
            assert call(server, "GET", bad)[0] == 404, bad
    finally:
        leak.unlink()
        server.shutdown()
        server.server_close()
