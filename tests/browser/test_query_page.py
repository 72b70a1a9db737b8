"""The query page of `kg serve` (the vendored YASGUI) in headless Chromium.

A real server on a loopback port over the seed graph; the page must load and work with
no request off that server, no console error and no Content-Security-Policy violation:
named queries (titles in both languages, parameters given as labels), YASGUI's sortable,
paged result table with prefixed IRIs, a permalink that reproduces a query and its result
on reload, and a download row that exists only while there is a result. Run with `-s`
to see the page's load time.
"""

from __future__ import annotations

import shutil
import time
from urllib.parse import parse_qs, urlsplit
from urllib.request import urlopen

import pytest

from kg import KnowledgeGraph
from kg.query.library import named_queries
from kg.serve.endpoint import make_server

from ..conftest import serving

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no `chromium` on PATH (Debian package chromium): the browser tests need it",
)
from playwright import sync_api  # noqa: E402

INIT_SCRIPT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
"""
RESULT = 'body[data-result="ok"], body[data-result="error"]'
EDITOR_TEXT = "document.querySelector('.CodeMirror').CodeMirror.getValue()"
HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'


@pytest.fixture(scope="module")
def kg(seed_kg) -> KnowledgeGraph:
    return seed_kg


@pytest.fixture(scope="module")
def server(kg):
    with serving(make_server(kg, port=0, timeout=10.0)) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


class Page:
    """A page with every request, console error and CSP violation recorded."""

    def __init__(self, browser, server):
        self.server = server
        self.page = browser.new_page()
        self.requests: list[str] = []
        self.problems: list[str] = []
        self.tolerated: tuple[str, ...] = ()  # CSP violations a test provokes on purpose
        self.page.add_init_script(INIT_SCRIPT)
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.on("console", self._console)

    def _console(self, message) -> None:
        # the browser logs each 4xx reply it fetched; the tests ask for those on purpose
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.problems.append(message.text)

    def open(self, query: str = "") -> float:
        started = time.perf_counter()
        self.page.goto(self.server.url + "/" + query)
        self.page.wait_for_selector('body[data-ready="true"]', timeout=30_000)
        return time.perf_counter() - started

    def wait_result(self) -> str:
        self.page.wait_for_selector(RESULT, timeout=30_000)
        return self.page.get_attribute("body", "data-result")

    def cells(self, column: int) -> list[str]:
        # read in one evaluation: cell by cell, a redraw could land between two reads
        return self.page.evaluate(
            """c => Array.from(document.querySelectorAll(".yasr tbody tr"),
                               tr => tr.querySelectorAll("td")[c].innerText)""",
            column,
        )

    def sort_by(self, header, column: int, key=str) -> str:
        """Click `header`; wait until the column shows the order its aria-sort then names."""
        before = header.get_attribute("aria-sort")
        header.click()
        self.page.wait_for_function(
            "([th, b]) => (th.getAttribute('aria-sort') || '') !== (b || '')",
            arg=[header.element_handle(), before],
            timeout=10_000,
        )
        order = header.get_attribute("aria-sort")
        assert order in ("ascending", "descending"), order
        values = sorted(self.cells(column), key=key, reverse=order == "descending")
        self.page.wait_for_function(
            """([c, want]) => JSON.stringify(Array.from(
                 document.querySelectorAll(".yasr tbody tr"),
                 tr => tr.querySelectorAll("td")[c].innerText)) === JSON.stringify(want)""",
            arg=[column, values],
            timeout=10_000,
        )
        return order

    def check_clean(self) -> None:
        assert self.requests and all(u.startswith(self.server.url + "/") for u in self.requests)
        violations = self.page.evaluate("window.__csp")
        assert [v for v in violations if not v.startswith(self.tolerated)] == [], violations
        problems = [m for m in self.problems if not (self.tolerated and "inline" in m)]
        assert not problems, self.problems
        self.page.close()


@pytest.fixture
def page(browser, server):
    opened = Page(browser, server)
    yield opened
    opened.check_clean()


def test_loads_offline_with_local_prefixes(page):
    seconds = page.open()
    print(f"\nquery page ready in {seconds:.2f} s, {len(page.requests)} requests")
    assert seconds < 20
    assert page.page.locator(".yasqe .CodeMirror").count() == 1
    options = page.page.locator("#examples option")
    assert options.count() == len(named_queries()) + 1
    assert "联络站类型 (station-typology)" in options.all_text_contents()
    page.page.select_option("#lang", "en")
    assert "Liaison-station typology (station-typology)" in options.all_text_contents()
    # prefix completion offers the project's prefixes, fetched from this server only
    completions = page.page.evaluate(
        "Yasgui.Yasqe.Autocompleters['local-prefixes'].get().then(function (l) { return l; })"
    )
    assert "case: <https://w3id.org/renda-kg/case/>" in completions
    assert "mech: <https://w3id.org/renda-kg/mechanism/>" in completions
    assert page.page.evaluate("Yasgui.Yasqe.defaults.autocompleters") == [
        "variables",
        "local-prefixes",
    ]


def test_named_query_with_a_label_parameter_and_its_permalink(page, kg):
    expected = kg.named("cases-with-mechanism", mechanism="liaison-station").rows
    page.open()
    assert page.page.locator("#downloads").is_hidden()
    page.page.select_option("#examples", "cases-with-mechanism")
    assert "skos:broader*" in page.page.evaluate(EDITOR_TEXT)
    page.page.fill("#params input[name=mechanism]", "代表联络站")  # a label, not an id
    page.page.click("#run-named")
    assert page.wait_result() == "ok"
    cases = page.cells(0)
    assert len(cases) == len(expected) and cases[0] == "case:gd-b3-02"  # prefixed, not full IRIs
    assert page.page.locator("#downloads").is_visible()
    link = page.page.locator("#downloads a", has_text="CSV").get_attribute("href")
    with urlopen(page.server.url + "/" + link) as reply:
        assert reply.headers["Content-Type"].startswith("text/csv")
        assert reply.read().decode("utf-8").count("\n") == len(expected) + 1
    params = parse_qs(urlsplit(page.page.url).query)
    assert params == {"name": ["cases-with-mechanism"], "mechanism": ["代表联络站"]}

    page.page.reload()  # the permalink reproduces the query and its result
    page.page.wait_for_selector('body[data-ready="true"]', timeout=30_000)
    assert page.wait_result() == "ok"
    assert page.cells(0) == cases
    assert page.page.input_value("#params input[name=mechanism]") == "代表联络站"


def test_sort_page_and_reload_a_written_query(page, kg):
    total = len(kg.select("claims").rows)
    page.open("?name=claims")  # a query without parameters runs at once
    assert page.wait_result() == "ok"
    rows = page.page.locator(".yasr tbody tr")
    assert total > 100 and rows.count() == 50  # paged
    first_page = page.cells(0)
    page.page.click(".yasr .dt-paging-button.next")
    assert page.cells(0) != first_page and rows.count() == 50

    query = (
        "PREFIX rkg: <https://w3id.org/renda-kg/ontology#>\n"
        "SELECT ?case ?item WHERE { ?case a rkg:InnovationCase ; rkg:itemNumber ?item }"
    )
    page.page.evaluate("q => document.querySelector('.CodeMirror').CodeMirror.setValue(q)", query)
    page.page.click(".yasqe_queryButton")
    assert page.wait_result() == "ok"
    assert page.page.locator("#examples").input_value() == ""
    cases = page.cells(0)
    header = page.page.locator(".yasr thead th", has_text="case")
    # the table redraws after the click: wait for the order the header then declares
    assert page.sort_by(header, 0) != page.sort_by(header, 0)
    # numbers sort as numbers, 10 after 9 (the table's simple view drops ^^xsd:integer)
    items = page.page.locator(".yasr thead th", has_text="item")
    for _ in range(2):
        order = page.sort_by(items, 1, key=int)
        numbers = list(range(1, len(cases) + 1))
        assert [int(v) for v in page.cells(1)] == numbers[:: 1 if order == "ascending" else -1]
    assert parse_qs(urlsplit(page.page.url).query)["query"] == [query]

    page.page.reload()
    page.page.wait_for_selector('body[data-ready="true"]', timeout=30_000)
    assert page.wait_result() == "ok"
    text = page.page.evaluate(EDITOR_TEXT)
    assert text == query and sorted(page.cells(0)) == sorted(cases)


def test_the_download_row_only_with_a_result_and_hostile_text_stays_text(page):
    # DOMPurify, inside YASGUI, parses cell text in an inert document: Chromium reports
    # (CSP event and console) the markup's inline handler as blocked there, though
    # nothing runs and nothing loads, as the assertions below check.
    page.tolerated = ("script-src-attr inline",)
    page.open()
    assert page.page.locator("#downloads").is_hidden()
    literal = HOSTILE.replace("\\", "\\\\").replace('"', '\\"')
    page.page.evaluate(
        "q => document.querySelector('.CodeMirror').CodeMirror.setValue(q)",
        f'SELECT ?x WHERE {{ BIND("{literal}" AS ?x) }}',
    )
    page.page.click(".yasqe_queryButton")
    assert page.wait_result() == "ok"
    assert page.page.locator(".yasr tbody td").first.inner_text() == HOSTILE
    assert page.page.locator(".yasr tbody img, .yasr tbody script").count() == 0
    assert page.page.evaluate("window.__pwned") is None
    assert not [u for u in page.requests if u.endswith("/x")]  # the <img> never loaded
    assert page.page.locator("#downloads a").count() == 3

    # a failed query: its message, and no links to the previous result
    page.page.evaluate(
        "q => document.querySelector('.CodeMirror').CodeMirror.setValue(q)",
        "SELECT * WHERE { ?s ?p }",
    )
    page.page.click(".yasqe_queryButton")
    assert page.wait_result() == "error"
    assert page.page.locator("#downloads").is_hidden()
    assert page.page.locator("#downloads a").count() == 0
    assert "400" in page.page.text_content("#error")
    page.page.select_option("#examples", "cases-with-mechanism")
    page.page.fill("#params input[name=mechanism]", "no-such-mechanism")
    page.page.click("#run-named")
    assert page.wait_result() == "error"
    message = page.page.text_content("#error")
    assert "no-such-mechanism" in message and "--param" not in message
    assert page.page.locator("#downloads").is_hidden()
