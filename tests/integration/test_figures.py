"""Paper figures: files that decode, labels kept as text, counts checked independently."""

from __future__ import annotations

import html
import os
import re
import signal
import struct
import time
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from rdflib import Graph
from rdflib.namespace import SKOS

from kg import KnowledgeGraph
from kg.core.errors import KgError
from kg.outputs import figures
from kg.outputs.figures import mechanism_counts, write_figures
from kg.outputs.fonts import find_cjk_font

from ..conftest import ROOT

NAMES = [
    "case-mechanism-matrix.png",
    "case-mechanism-matrix.svg",
    "mechanism-frequency.png",
    "mechanism-frequency.svg",
]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def kg(seed_auto) -> KnowledgeGraph:
    return seed_auto


@pytest.fixture(scope="module")
def written(kg, tmp_path_factory) -> list[Path]:
    """The figures, rendered once for the module."""
    return write_figures(kg, tmp_path_factory.mktemp("figures"))


@pytest.fixture(scope="module")
def independent_counts() -> dict[str, int]:
    """Cases per mechanism, rolled up to broader concepts, from the YAML and the Turtle."""
    vocab = Graph().parse(ROOT / "data" / "vocab" / "mechanisms.ttl")
    broader: dict[str, set[str]] = defaultdict(set)
    for narrow, broad in vocab.subject_objects(SKOS.broader):
        broader[_slug(narrow)].add(_slug(broad))
    counts: dict[str, int] = defaultdict(int)
    for path in sorted((ROOT / "data" / "cases").glob("*.yaml")):
        record = yaml.safe_load(path.read_text(encoding="utf-8"))
        concepts, stack = set(), [m["id"] for m in record["mechanisms"]]
        while stack:
            concept = stack.pop()
            if concept not in concepts:
                concepts.add(concept)
                stack.extend(broader[concept])
        for concept in concepts:
            counts[concept] += 1
    return dict(counts)


def _slug(iri: object) -> str:
    return str(iri).rsplit("/", 1)[-1]


def _text(written: list[Path], name: str) -> str:
    return next(p for p in written if p.name == name).read_text(encoding="utf-8")


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_writes_two_pngs_and_two_svgs(written):
    assert [p.name for p in written] == NAMES
    assert written == sorted(written)
    assert all(p.is_file() and p.stat().st_size > 1000 for p in written)


def test_pngs_decode_and_are_not_blank(written):
    from matplotlib.image import imread

    for path in (p for p in written if p.suffix == ".png"):
        width, height = _png_size(path.read_bytes())
        pixels = imread(path)
        assert pixels.shape[:2] == (height, width)
        assert width > 1500 and height > 1000, f"{path.name} is too small for 300 dpi print"
        assert pixels.std() > 0.05, f"{path.name} looks blank"
        assert len({tuple(px) for px in pixels[:: height // 50, :: width // 50].reshape(-1, 4)}) > 5


def test_svgs_keep_chinese_labels_and_case_ids_as_text(written):
    frequency = _text(written, "mechanism-frequency.svg")
    matrix = _text(written, "case-mechanism-matrix.svg")
    for text in (frequency, matrix):
        assert "代表联络站" in text and "满意度测评" in text
        assert "<text" in text
    assert "机制出现频次" in frequency and "Mechanism frequency" in frequency
    for n in range(1, 11):
        assert f"gd-b3-{n:02d}" in matrix


def test_counts_match_an_independent_count_of_the_records(kg, independent_counts):
    counts = {m.removeprefix("mech:"): n for m, _, _, n in mechanism_counts(kg)}
    assert counts["liaison-station"] == independent_counts["liaison-station"] == 5
    assert counts["liaison-station-central"] == independent_counts["liaison-station-central"]
    assert counts["interview-summons"] == independent_counts["interview-summons"] == 2
    assert {m: n for m, n in counts.items() if n} == independent_counts


def test_counts_agree_with_the_named_query(kg):
    rows = kg.select("mechanism-frequency").dicts()
    from_query = {_slug(r["mechanism"]): int(r["cases"]) for r in rows}
    ours = {m.removeprefix("mech:"): n for m, _, _, n in mechanism_counts(kg)}
    assert ours == from_query


def test_bar_chart_shows_every_recurring_mechanism(kg, written):
    svg = _text(written, "mechanism-frequency.svg")
    for _, zh, _, n in mechanism_counts(kg):
        if n >= 2:
            assert zh in svg, f"{zh} ({n} cases) is missing from the bar chart"


def test_writing_twice_gives_identical_bytes_and_says_nothing_of_the_missing_bold(
    kg, written, tmp_path, caplog
):
    """The second writing also checks that the bundled font's missing bold, which
    matplotlib reports on every bold title and tick, stays off the terminal (one
    rendering for both checks: a rendering costs 2 s of CPU)."""
    import logging

    from matplotlib import font_manager

    font_manager.fontManager._findfont_cached.cache_clear()  # look the weights up again
    with caplog.at_level(logging.WARNING, logger="matplotlib.font_manager"):
        again = write_figures(kg, tmp_path)
    assert [r.getMessage() for r in caplog.records if "findfont" in r.getMessage()] == []
    for first, second in zip(written, again, strict=True):
        assert first.read_bytes() == second.read_bytes(), f"{first.name} differs between runs"


def test_a_cjk_font_is_installed():
    path = find_cjk_font()
    if path is None:
        pytest.skip("no CJK font on this machine; `apt-get install fonts-noto-cjk` (.ci/run does)")
    assert Path(path).is_file()


def test_without_a_cjk_font_figures_are_written_with_a_warning(kg, tmp_path, monkeypatch):
    monkeypatch.setattr(figures, "_bundled_file", lambda: None)  # no mplfonts
    monkeypatch.setattr(figures, "_cjk_font", lambda: None)  # and no installed CJK font
    monkeypatch.setattr(figures, "DPI", 60)  # only the fallback is under test; keep it quick
    with pytest.warns(UserWarning, match="fonts-noto-cjk"):
        paths = write_figures(kg, tmp_path)
    assert [p.name for p in paths] == NAMES
    assert "代表联络站" in (tmp_path / "mechanism-frequency.svg").read_text(encoding="utf-8")


def test_an_unwritable_out_dir_names_the_path(kg, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    target = blocker / "figures"
    with pytest.raises(KgError) as caught:
        write_figures(kg, target)
    assert str(target) in str(caught.value)
    assert "hint:" in str(caught.value)


def test_an_unknown_language_is_refused(kg, tmp_path):
    with pytest.raises(KgError, match="unknown language"):
        write_figures(kg, tmp_path, lang="fr")


def test_to_pyvis_keeps_every_node_and_edge_and_labels_stay_text(seed_kg):
    kg = seed_kg
    """The notebook's pyvis network: the view's nodes and edges, no duplicates lost or
    added, JavaScript inline; a label holding markup and "href" is escaped in tooltips."""
    view = kg.view("cooccurrence")
    net = kg.to_pyvis(view, lang="en")
    assert [n["id"] for n in net.nodes] == [n["id"] for n in view.nodes] == net.node_ids
    assert len(net.edges) == len(view.edges) > 0
    assert {n["label"] for n in net.nodes} == {n["label_en"] for n in view.nodes}
    page = net.generate_html()
    assert "vis.DataSet" in page and not re.search(r"(src|href)=\"https?:", page)
    hostile = '<img src=x onerror="alert(1)"> href'
    view.nodes[0]["title_en"] = hostile
    net = kg.to_pyvis(view, lang="en")
    assert net.nodes[0]["title"] == html.escape(hostile)
    assert "<img" not in net.generate_html()


def test_each_file_draws_the_figure_once(kg, monkeypatch):
    """A figure is laid out once and drawn once per file: savefig draws again first for a
    figure that still has a layout engine (even the placeholder "none" leaves), which
    made the matrix, the longest step of an edited `kg run`, take half again as long."""
    from matplotlib.figure import Figure

    data = figures.load_case_mechanisms(kg)
    fig = figures._frequency_figure(data, mechanism_counts(kg, data), "en")
    draws, draw = [], Figure.draw
    monkeypatch.setattr(Figure, "draw", lambda self, r: draws.append(r) or draw(self, r))
    contents = figures._render(fig, "Mechanism frequency")
    assert sorted(contents) == ["png", "svg"] and contents["png"].startswith(PNG_SIGNATURE)
    assert len(draws) == 3  # the layout, the PNG, the SVG


def test_a_drawer_started_early_draws_the_same_bytes_and_one_unused_ends(
    kg, written, tmp_path, monkeypatch
):
    """`kg run` forks the drawer before the graph exists; what it draws is what drawing
    here draws; a drawer told that nothing is to be drawn ends, and one whose drawings
    were never waited for (a run that failed meanwhile) is reaped when closed."""
    drawer = figures.Drawer()
    assert drawer.running
    paths = figures.start_figures(kg, tmp_path, drawer=drawer)()
    assert not drawer.running
    assert [p.read_bytes() for p in paths] == [p.read_bytes() for p in written]
    unused = figures.Drawer()
    pid = unused._wait.__self__.pid
    unused.close()
    assert not unused.running
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped already
    monkeypatch.setattr(figures, "DPI", 30)  # what it draws is not under test here
    dead = figures.Drawer()
    pid = dead._wait.__self__.pid
    os.kill(pid, signal.SIGKILL)
    while os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is None:
        time.sleep(0.01)  # dead, not yet reaped: its pipe is closed
    paths = figures.start_figures(kg, tmp_path / "fallback", lang="en", drawer=dead)()
    assert [p.name for p in paths] == NAMES  # drawn without it
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    abandoned = figures.Drawer()
    pid = abandoned._wait.__self__.pid
    data = figures.load_case_mechanisms(kg)
    abandoned.draw(data, mechanism_counts(kg, data), "en")
    abandoned.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
