"""The interactive views in a real browser (Debian chromium driven by Playwright).

Every page `render_all` writes for the seed graph is opened from file:// and must load with
no console error, no request other than itself, and exactly the nodes and edges of its
`View` — which must also match counts made independently from the YAML records and the
vocabulary. A graph whose labels and evidence quotes are hostile HTML/JS must render as
literal text, run nothing and fetch nothing, under hover, selection, search and the
language switch. Run with `-s` to see how long each overview takes to settle.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import re
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import pytest
import yaml
from playwright import sync_api  # declared in the test extra: a missing one fails
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from kg import KnowledgeGraph
from kg.outputs.render import render_all

from ..conftest import ROOT, scratch_kg

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no `chromium` on PATH (Debian package chromium): the browser tests need it",
    ),
]
CASE_RECORDS = [
    yaml.safe_load(p.read_text(encoding="utf-8"))
    for p in sorted((ROOT / "data" / "cases").glob("*.yaml"))
]
CASE_IDS = [r["id"] for r in CASE_RECORDS]
OVERVIEWS = ["graph", "case-mechanism", "cooccurrence", "similarity", "places"]
VIEW_PAGES = [f"{s}.html" for s in OVERVIEWS] + [f"cases/case-{c}.html" for c in CASE_IDS]
PAGES = [*VIEW_PAGES, "index.html"]
STABLE = 'body[data-stable="true"]'
TIMINGS: dict[str, tuple[float, float]] = {}  # overview -> (wall s, in-page ms to stable)

RKG = "https://w3id.org/renda-kg/ontology#"
CASE = "https://w3id.org/renda-kg/case/"
MECH = "https://w3id.org/renda-kg/mechanism/"

# Runs before any page script (Playwright injects it past the CSP): records CSP
# violations and the moment the page declares its layout settled.
INIT_SCRIPT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
new MutationObserver(function (records, observer) {
  if (document.body && document.body.getAttribute("data-stable") === "true") {
    window.__stableAt = performance.now();
    observer.disconnect();
  }
}).observe(document, { attributes: true, subtree: true,
                                       attributeFilter: ["data-stable"] });
"""


# -- independent expectations, from the YAML records and the vocabulary files --


def _uses() -> dict[str, set[str]]:
    return {r["id"]: {m["id"] for m in r.get("mechanisms") or []} for r in CASE_RECORDS}


def _broader() -> dict[str, set[str]]:
    vocab = Graph().parse(ROOT / "data" / "vocab" / "mechanisms.ttl", format="turtle")
    out: dict[str, set[str]] = {}
    for child, parent in vocab.subject_objects(SKOS.broader):
        out.setdefault(str(child).removeprefix(MECH), set()).add(str(parent).removeprefix(MECH))
    return out


def _place_chain(code: str) -> list[str]:
    """A place and its ancestors, from the GB/T 2260 code shape and the curated towns."""
    towns = yaml.safe_load((ROOT / "data" / "places" / "places.yaml").read_text("utf-8"))["towns"]
    chain = []
    while code:
        chain.append(code)
        if code in towns:
            code = towns[code]["parent"]
        elif code[4:] != "00":
            code = code[:4] + "00"
        elif code[2:4] != "00":
            code = code[:2] + "0000"
        else:
            code = ""
    return chain


def independent_counts(kg: KnowledgeGraph) -> dict[str, tuple[int, int]]:
    """(nodes, edges) of each page, counted without kg.outputs.views."""
    uses = {c: ms for c, ms in _uses().items() if ms}
    mechanisms = set().union(*uses.values())
    pairs = {p for ms in uses.values() for p in combinations(sorted(ms), 2)}
    broader = _broader()

    def expanded(ms: set[str]) -> set[str]:
        out, stack = set(ms), list(ms)
        while stack:
            for parent in broader.get(stack.pop(), ()):
                if parent not in out:
                    out.add(parent)
                    stack.append(parent)
        return out

    # a concept is never paired with its own broader or narrower concept
    pairs = {(a, b) for a, b in pairs if b not in expanded({a}) and a not in expanded({b})}
    sets = {c: expanded(ms) for c, ms in uses.items()}
    similar = [(a, b) for a, b in combinations(sorted(sets), 2) if sets[a] & sets[b]]
    rows = kg.select("network-edges").dicts()
    ends = {r["source"] for r in rows} | {r["target"] for r in rows}
    places = {p for r in CASE_RECORDS for p in _place_chain(r["body"]["place"])}
    roots = sum(1 for p in places if len(_place_chain(p)) == 1)
    counts = {
        "graph": (len(ends), len(rows)),
        "case-mechanism": (len(uses) + len(mechanisms), sum(len(ms) for ms in uses.values())),
        "cooccurrence": (len(mechanisms), len(pairs)),
        "similarity": (len(uses), len(similar)),
        "places": (len(places) + len(CASE_RECORDS), len(CASE_RECORDS) + len(places) - roots),
    }
    for r in CASE_RECORDS:
        chain = _place_chain(r["body"]["place"])
        mechs = {m["id"] for m in r.get("mechanisms") or []}
        actors = {a["id"] for a in r.get("actors") or []}
        roles = {(a["role"], a["id"]) for a in r.get("actors") or []}
        quantities = len(r.get("quantities") or [])
        counts[f"case-{r['id']}"] = (
            2 + len(chain) + len(mechs) + len(actors) + quantities,  # case, body, places, ...
            2 + len(chain) - 1 + len(mechs) + len(roles) + quantities,
        )
    return counts


# -- the browser --


class Tab:
    """One browser tab reused for every page, with what each page logged and fetched."""

    def __init__(self, page):
        self.page = page
        self.console: list[tuple[str, str]] = []
        self.requests: list[str] = []
        self.url = ""
        page.on("console", lambda m: self.console.append((m.type, m.text)))
        page.on("pageerror", lambda e: self.console.append(("pageerror", str(e))))
        page.on("request", lambda r: self.requests.append(r.url))
        page.add_init_script(INIT_SCRIPT)

    def open(self, path: Path, *, stable: bool = True) -> float:
        """Navigate, wait for the settled layout; the wall-clock seconds it took."""
        self.console.clear()
        self.requests.clear()
        self.url = path.as_uri()
        start = time.perf_counter()
        self.page.goto(self.url)
        if stable:
            self.page.wait_for_selector(STABLE, state="attached", timeout=60_000)
        return time.perf_counter() - start

    def js(self, expression: str, arg=None):
        return self.page.evaluate(expression, arg)

    def assert_clean(self) -> None:
        """No console error, no uncaught exception, no CSP violation, no foreign request."""
        errors = [m for m in self.console if m[0] in ("error", "pageerror")]
        csp = [m for m in self.console if "Content Security Policy" in m[1]]
        assert not csp, f"CSP violation (an injected script or request was attempted): {csp}"
        assert not errors, f"console errors on {self.url}: {errors}"
        assert self.js("window.__csp") == [], f"securitypolicyviolation on {self.url}"
        assert [u for u in self.requests if u != self.url] == [], "the page fetched something"

    # interactions
    def set_lang(self, lang: str) -> None:
        self.page.select_option("#lang", lang)

    def hover_node(self, node_id: str) -> str:
        """Centre the node, move the mouse onto it, return the tooltip's text."""
        xy = self.js(
            """id => {
                const net = kgView.network;
                net.focus(id, {scale: 1.5, animation: false});
                const d = net.canvasToDOM(net.getPositions([id])[id]);
                const r = document.getElementById("network").getBoundingClientRect();
                if (net.getNodeAt(d) !== id) return null;
                return [r.left + d.x, r.top + d.y];
            }""",
            node_id,
        )
        assert xy, f"node {node_id} is not under its own centre"
        return self._tooltip_at(xy)

    def hover_edge(self, edge_id: int) -> str:
        """Find a point on the edge that hits only that edge; hover it; the tooltip text."""
        xy = self.js(
            """id => {
                const net = kgView.network;
                const e = kgView.edges.get(id);
                const pos = net.getPositions([e.from, e.to]);
                const a = pos[e.from], b = pos[e.to];
                net.moveTo({position: {x: (a.x + b.x) / 2, y: (a.y + b.y) / 2}, scale: 1.5,
                            animation: false});
                const r = document.getElementById("network").getBoundingClientRect();
                for (let t = 0.5, k = 0; k < 40; k++, t = 0.5 + (k % 2 ? 1 : -1) * k / 100) {
                    const d = net.canvasToDOM({x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t});
                    if (d.x < 5 || d.y < 5 || d.x > r.width - 5 || d.y > r.height - 5) continue;
                    if (net.getNodeAt(d) === undefined && net.getEdgeAt(d) === id)
                        return [r.left + d.x, r.top + d.y];
                }
                return null;
            }""",
            edge_id,
        )
        assert xy, f"no point on edge {edge_id} hits only that edge"
        return self._tooltip_at(xy)

    def _tooltip_at(self, xy: list[float]) -> str:
        # vis-network keeps showing the old tooltip while the pointer stays on the same
        # object, so first move to an empty spot of the canvas to close it.
        empty = self.js(
            """() => {
                const net = kgView.network;
                const r = document.getElementById("network").getBoundingClientRect();
                for (let y = 10; y < r.height - 10; y += 20)
                    for (let x = 10; x < r.width - 10; x += 20)
                        if (net.getNodeAt({x, y}) === undefined &&
                            net.getEdgeAt({x, y}) === undefined)
                            return [r.left + x, r.top + y];
                return null;
            }"""
        )
        assert empty, "no empty spot on the canvas"
        self.page.mouse.move(*empty)
        self.page.wait_for_function(
            """() => { const t = document.querySelector(".vis-tooltip");
                       return !t || getComputedStyle(t).visibility !== "visible"; }""",
            timeout=5_000,
        )
        self.page.mouse.move(xy[0] - 1, xy[1] - 1)
        self.page.mouse.move(xy[0], xy[1])
        self.page.wait_for_function(
            """() => { const t = document.querySelector(".vis-tooltip");
                       return t && getComputedStyle(t).visibility === "visible"; }""",
            timeout=5_000,
        )
        only_text = self.js(
            """() => { const t = document.querySelector(".vis-tooltip");
                       const all = t.querySelectorAll("*");
                       return all.length === 1 && all[0].className === "tip"; }"""
        )
        assert only_text, "the tooltip holds markup besides its one text div"
        return self.js('document.querySelector(".vis-tooltip").textContent')

    def search(self, text: str) -> list[str]:
        """Type into #search, press Enter; the ids of the selected nodes."""
        self.page.fill("#search", "")  # "change" only fires when the value changed
        self.page.press("#search", "Enter")
        self.page.fill("#search", text)
        self.page.press("#search", "Enter")
        return self.js("kgView.network.getSelectedNodes()")


@pytest.fixture(scope="module")
def tab():
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        yield Tab(page)
        browser.close()
    if TIMINGS:
        print("\nnavigation -> body[data-stable] (wall s / in-page ms):")
        for slug, (wall, ms) in TIMINGS.items():
            print(f"  {slug:16} {wall:6.2f} s  {ms:8.0f} ms")


# -- the rendered sites --


@dataclass
class Site:
    root: Path
    pages: dict[str, object]  # relative path -> kg.outputs.render.Page


def _render(kg: KnowledgeGraph, out: Path) -> Site:
    pages = render_all(kg, out)
    return Site(out, {p.path.relative_to(out).as_posix(): p for p in pages})


@pytest.fixture(scope="module")
def site(seed_kg, tmp_path_factory) -> Site:
    return _render(seed_kg, tmp_path_factory.mktemp("views") / "site")


@pytest.fixture(scope="module")
def expected(seed_kg) -> dict[str, tuple[int, int]]:
    return independent_counts(seed_kg)


def test_every_expected_page_is_written(site):
    assert sorted(site.pages) == sorted(PAGES)


@pytest.mark.parametrize("rel", PAGES)
def test_page_loads_offline_with_its_nodes_and_edges(tab, site, expected, rel):
    path = site.root / rel
    if rel == "index.html":
        tab.open(path, stable=False)
        tab.assert_clean()
        links = tab.js('[...document.querySelectorAll("a")].map(a => a.getAttribute("href"))')
        assert sorted(links) == sorted(VIEW_PAGES)
        rows = tab.js(
            """[...document.querySelectorAll("tbody tr")].map(tr =>
                 [tr.querySelector("a").getAttribute("href"),
                  +tr.cells[2].textContent, +tr.cells[3].textContent])"""
        )
        for href, n, e in rows:
            view = site.pages[href].view
            assert (n, e) == (len(view.nodes), len(view.edges)), href
        return
    view = site.pages[rel].view
    wall = tab.open(path)
    tab.assert_clean()
    counts = tab.js("[kgView.nodes.length, kgView.edges.length]")
    assert counts == [len(view.nodes), len(view.edges)]
    assert tuple(counts) == expected[view.slug], f"{view.slug}: independent count differs"
    assert tab.js('document.getElementById("heading").textContent') == view.title_zh
    if view.slug in OVERVIEWS:
        TIMINGS[view.slug] = (wall, tab.js("window.__stableAt"))
        print(f"\n{view.slug}: stable after {wall:.2f} s")
    else:  # the case's own mechanisms, actors and quantities, by id
        record = CASE_RECORDS[CASE_IDS.index(view.slug.removeprefix("case-"))]
        ids = tab.js("kgView.nodes.getIds()")
        assert {i.removeprefix("mech:") for i in ids if i.startswith("mech:")} == {
            m["id"] for m in record["mechanisms"]
        }
        assert {i.removeprefix("actor:") for i in ids if i.startswith("actor:")} == {
            a["id"] for a in record.get("actors") or []
        }
        assert sum("/quantity/" in i for i in ids) == len(record.get("quantities") or [])


def _assert_language(tab, view, lang: str) -> None:
    state = tab.js(
        """() => ({heading: document.getElementById("heading").textContent,
                   title: document.title, lang: document.documentElement.lang,
                   labels: Object.fromEntries(kgView.nodes.get().map(n => [n.id, n.label])),
                   edges: kgView.edges.get().map(e => e.label === undefined ? null : e.label),
                   tips: kgView.nodes.get().map(n => n.title.textContent),
                   legend: [...document.querySelectorAll("#legend span")].map(s => s.textContent),
                   counts: document.getElementById("counts").textContent})"""
    )
    assert state["heading"] == state["title"] == getattr(view, f"title_{lang}")
    assert state["lang"] == lang
    assert state["labels"] == {n["id"]: n[f"label_{lang}"] for n in view.nodes}
    assert state["tips"] == [n[f"title_{lang}"] for n in view.nodes]
    assert state["edges"] == [e.get(f"label_{lang}") for e in view.edges]
    assert state["legend"] == [g[lang] for g in view.legend]
    assert state["counts"].startswith("节点" if lang == "zh" else "nodes")


@pytest.mark.parametrize("rel", ["case-mechanism.html", "cases/case-gd-b3-01.html"])
def test_language_switch(tab, site, rel):
    view = site.pages[rel].view
    vocab = Graph().parse(ROOT / "data" / "vocab" / "mechanisms.ttl", format="turtle")
    mech = next(n for n in view.nodes if n["group"] == "mechanism")
    concept = URIRef(MECH + mech["id"].removeprefix("mech:"))
    english = {str(o) for o in vocab.objects(concept, SKOS.prefLabel) if o.language == "en"}
    assert english, mech
    tab.open(site.root / rel)
    _assert_language(tab, view, "zh")
    tab.set_lang("en")
    _assert_language(tab, view, "en")
    label = tab.js("id => kgView.nodes.get(id).label", mech["id"])
    assert {label} == english and label != mech["label_zh"]
    if rel.startswith("cases/"):
        assert "uses" in tab.js("kgView.edges.get().map(e => e.label)")
    tab.set_lang("zh")
    _assert_language(tab, view, "zh")
    assert tab.js("id => kgView.nodes.get(id).label", mech["id"]) == mech["label_zh"]
    tab.assert_clean()


# -- hostile labels --

HOSTILE = {
    "title_zh": "<script>window.__pwned=1</script>案例标题 &amp; $title",
    "title_en": "</script><script>window.__pwned=2</script> case title",
    "mech_zh": '<img src=x onerror="window.__pwned=3">约见',
    "mech_en": '<a href="javascript:window.__pwned=4">x</a> summons',
    "quote": '"><svg onload=window.__pwned=5> 约谈 <iframe src="https://example.invalid/">',
    "sep_zh": "约谈\u2028<!--<script>window.__pwned=6</script>\u2029",
    "sep_en": "talk\u2028</script><!--<script>window.__pwned=7</script>-->",
}
HOSTILE_CASE, SEP_MECH = "gd-b3-01", "admonitory-talk"
#: a mechanism the case's record tags (read from the record, so recoding the case keeps it true)
HOSTILE_MECH = next(r for r in CASE_RECORDS if r["id"] == HOSTILE_CASE)["mechanisms"][0]["id"]


def _replace(dataset, subject, predicate, lang: str | None, value: str) -> None:
    """Swap every literal (of that language) in every named graph for `value`."""
    hits = [
        q
        for q in dataset.quads((subject, predicate, None, None))
        if isinstance(q[2], Literal) and (lang is None or q[2].language == lang)
    ]
    assert hits, (subject, predicate, lang)
    for s, p, o, g in hits:
        dataset.remove((s, p, o, g))
        dataset.add((s, p, Literal(value, lang=o.language, datatype=o.datatype), g))


@pytest.fixture(scope="module")
def hostile_site(seed, tmp_path_factory) -> Site:
    kg = scratch_kg(seed)
    ds = kg.store.dataset
    case, mech, sep = (
        URIRef(CASE + HOSTILE_CASE),
        URIRef(MECH + HOSTILE_MECH),
        URIRef(MECH + SEP_MECH),
    )
    for predicate in (DCTERMS.title, RDFS.label):
        _replace(ds, case, predicate, "zh", HOSTILE["title_zh"])
        _replace(ds, case, predicate, "en", HOSTILE["title_en"])
    _replace(ds, mech, SKOS.prefLabel, "zh", HOSTILE["mech_zh"])
    _replace(ds, mech, SKOS.prefLabel, "en", HOSTILE["mech_en"])
    _replace(ds, sep, SKOS.prefLabel, "zh", HOSTILE["sep_zh"])
    _replace(ds, sep, SKOS.prefLabel, "en", HOSTILE["sep_en"])
    evidence = next(
        ev
        for ev in ds.subjects(RDF.subject, case)
        if (ev, RDF.object, mech) in ds and (ev, RDF.predicate, URIRef(RKG + "usesMechanism")) in ds
    )
    _replace(ds, evidence, URIRef(RKG + "quote"), None, HOSTILE["quote"])
    return _render(kg, tmp_path_factory.mktemp("hostile") / "site")


def _tagged(items: list[dict]) -> list[int]:
    return [i for i, x in enumerate(items) if any("__pwned" in str(v) for v in x.values())]


def _dom_shape(tab) -> dict:
    return tab.js(
        """() => { const c = {};
                   for (const el of document.querySelectorAll("*"))
                     c[el.tagName] = (c[el.tagName] || 0) + 1;
                   return c; }"""
    )


@pytest.mark.parametrize("rel", PAGES)
def test_hostile_labels_stay_text(tab, site, hostile_site, rel):
    clean_path, path = site.root / rel, hostile_site.root / rel
    is_view = rel != "index.html"
    tab.open(clean_path, stable=is_view)
    clean_shape = _dom_shape(tab)
    raw = path.read_text(encoding="utf-8")
    assert raw.count("<script") == clean_path.read_text(encoding="utf-8").count("<script")
    tab.open(path, stable=is_view)
    tab.assert_clean()
    assert _dom_shape(tab) == clean_shape, "the hostile page has other elements than the clean one"
    if not is_view:
        titles = tab.js(
            '[...document.querySelectorAll("tbody tr")].map(r => r.cells[1].textContent)'
        )
        assert HOSTILE["title_zh"] in titles
        assert tab.js("window.__pwned") is None
        return

    view = hostile_site.pages[rel].view
    nodes, edges = _tagged(view.nodes), _tagged(view.edges)
    data = tab.js("kgView.data")
    assert data["nodes"] == view.nodes and data["edges"] == view.edges  # JSON round trip
    if f"mech:{HOSTILE_MECH}" in {n["id"] for n in view.nodes}:
        assert (
            tab.js("id => kgView.nodes.get(id).label", f"mech:{HOSTILE_MECH}") == HOSTILE["mech_zh"]
        )
    if view.slug == f"case-{HOSTILE_CASE}":
        assert tab.js('document.getElementById("heading").textContent') == HOSTILE["title_zh"]
        assert tab.js("document.title") == HOSTILE["title_zh"]
    for lang in ("zh", "en"):
        tab.set_lang(lang)
        for i in nodes[:3]:
            node = view.nodes[i]
            assert tab.hover_node(node["id"]) == node[f"title_{lang}"]
            tab.js("id => kgView.network.selectNodes([id])", node["id"])
            assert tab.js("kgView.network.getSelectedNodes()") == [node["id"]]
            tab.js("kgView.network.unselectAll()")
            assert tab.search(node[f"label_{lang}"]) == [node["id"]]
            names = tab.js('[...document.querySelectorAll("#node-names option")].map(o => o.value)')
            assert node[f"label_{lang}"] in names
        for i in edges[:2]:
            assert tab.hover_edge(i) == view.edges[i][f"title_{lang}"]
        if view.slug == f"case-{HOSTILE_CASE}":
            heading = tab.js('document.getElementById("heading").textContent')
            assert heading == HOSTILE[f"title_{lang}"]
    tab.set_lang("zh")
    assert tab.js("window.__pwned") is None
    assert _dom_shape(tab).get("SCRIPT") == clean_shape["SCRIPT"]
    tab.assert_clean()


def test_hostile_strings_reach_the_pages(hostile_site):
    """Guard for the test above: each hostile string is on some page, so it was exercised."""
    seen = ""
    for page in hostile_site.pages.values():
        if page.view:
            seen += repr([page.view.title_zh, page.view.title_en, page.view.nodes, page.view.edges])
    for key, value in HOSTILE.items():
        assert repr(value)[1:-1] in seen, key


# -- screenshots --


@pytest.mark.parametrize("rel", ["cooccurrence.html", f"cases/case-{HOSTILE_CASE}.html"])
def test_screenshot_is_not_blank(tab, site, rel, tmp_path_factory):
    from PIL import Image

    tab.open(site.root / rel)
    assert tab.page.viewport_size == {"width": 1400, "height": 900}
    png = tab.page.locator("#network").screenshot()
    shot = tmp_path_factory.mktemp("shots") / rel.replace("/", "-").replace(".html", ".png")
    shot.write_bytes(png)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.width > 600 and image.height > 300, image.size
    colours = image.getcolors(maxcolors=1 << 24)
    assert len(colours) > 20, f"{shot}: only {len(colours)} colours"
    white = sum(n for n, rgb in colours if min(rgb) >= 250)
    assert white / (image.width * image.height) < 0.995, f"{shot} is almost all white"
    tab.assert_clean()


# -- the files themselves --


def _vis_js() -> str:
    spec = importlib.util.find_spec("pyvis")
    folder = Path(spec.submodule_search_locations[0]) / "lib" / "vis-9.1.2"
    return (folder / "vis-network.min.js").read_text(encoding="utf-8")


@pytest.mark.parametrize("rel", PAGES)
def test_page_is_small_utf8_and_links_nothing_outside(site, rel):
    page = site.pages[rel]
    data = page.path.read_bytes()
    assert page.size == len(data) < 5 * 1024 * 1024
    assert re.search(rb'<meta charset="utf-8">', data[:1024], re.I)
    text = data.decode("utf-8")
    js = _vis_js()
    assert text.count(js) == (rel != "index.html")
    rest = text.replace(js, "")
    assert not re.findall(r"https?://\S*", rest, re.I)
    assert not re.search(
        r"""\s(src|srcset|action|formaction)\s*=|url\((?!"data:)|@import""", rest, re.I
    )
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', rest)
    assert csp and "default-src 'none'" in csp.group(1)
    scripts = re.findall(r"<script>(.*?)</script>", text, re.S)
    script_src = re.search(r"script-src ([^;]*)", csp.group(1))
    if rel == "index.html":
        assert not scripts and not script_src  # no script may run at all
        return
    allowed = set(script_src.group(1).split())
    assert allowed == {
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in scripts
    }
    assert len(scripts) == 2 and "'unsafe-inline'" not in allowed


# -- regression: a body that declared two cases --


def test_shared_body_has_one_jurisdiction_edge(seed):
    from kg.outputs.views import all_views

    kg = scratch_kg(seed)
    ds = kg.store.dataset
    declared = URIRef(RKG + "declaredBy")
    body = ds.value(URIRef(CASE + CASE_IDS[0]), declared, any=False)
    for s, p, o, g in list(ds.quads((URIRef(CASE + CASE_IDS[1]), declared, None, None))):
        ds.remove((s, p, o, g))
        ds.add((s, p, body, g))
    main, egos, _ = all_views(kg)
    whole = Counter((e["from"], e["to"], e["title_en"]) for e in main[0].edges)
    assert max(whole.values()) == 1
    ego = Counter((e["from"], e["to"], e["title_en"]) for e in egos[0].edges)
    assert max(ego.values()) == 1
