"""Static figures for papers: mechanism frequency and the case × mechanism matrix.

Each figure is written as PNG (300 dpi, for print) and SVG (text kept as text, so it can
be edited and searched). Rendering uses matplotlib's object API and an `rc_context`, so
no pyplot figure, backend or rcParam outlives the call, and the bytes are the same on
every run: no dates or software versions in the metadata, a fixed SVG id salt.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import logging
import math
import os
import pickle
import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kg.analysis.networks import CaseMechanisms, load_case_mechanisms
from kg.core.errors import KgError, Problem, option
from kg.core.isolate import start_isolated
from kg.core.textio import atomic_write_many
from kg.outputs.fonts import bundled_file as _bundled_file
from kg.outputs.fonts import cjk_font as _cjk_font

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from kg.query.graph import QueryGraph

LANGS = ("zh", "en")
_TRAILING = re.compile(r"[\s,;:、，；：]+$")
DPI = 300
CELL = 0.3  # inches per matrix cell
#: Crop to the drawn content, so estimated figure sizes never clip or leave wide margins.
TIGHT = {"bbox_inches": "tight", "pad_inches": 0.04}
FIGURE_TIMEOUT = 1800.0  # seconds for the child that draws the matrix: only a hang hits it
_FONT_LOG = "matplotlib.font_manager"  # where matplotlib says a glyph or a weight is missing
TOP = 30
FONT_HINT = (
    "reinstall the `mplfonts` package (it ships Noto Sans CJK SC), or install a CJK font, "
    "e.g. `sudo apt-get install fonts-noto-cjk`, and delete matplotlib's font cache "
    "(~/.cache/matplotlib) so it is found"
)
NO_FONT_WARNING = (
    "no CJK font found: Chinese labels may not render in the PNG figures "
    f"(the SVGs keep text as text, so a browser with CJK fonts shows them); {FONT_HINT}"
)


# -- Counts --


def _families(data: CaseMechanisms) -> list[str]:
    """All top concepts of the vocabulary, used or not."""
    return sorted(m for m in data.mechanism_attrs if not data.broader.get(m))


def _rolled_up_counts(data: CaseMechanisms) -> Counter[str]:
    return Counter(m for case in data.uses for m in data.expanded(case))


def mechanism_counts(
    kg: QueryGraph, data: CaseMechanisms | None = None
) -> list[tuple[str, str, str, int]]:
    """(id, label_zh, label_en, cases) for every mechanism, most used first.

    A case counts once for each concept it is tagged with and for all their broader
    concepts, so a family's count is the number of cases using any of its concepts.
    Unused concepts count 0.
    """
    data = data or load_case_mechanisms(kg)
    counts = _rolled_up_counts(data)
    rows = [
        (m, attrs["label_zh"], attrs["label_en"], counts[m])
        for m, attrs in data.mechanism_attrs.items()
    ]
    return sorted(rows, key=lambda r: (-r[3], r[0]))


def _top_rows(
    rows: list[tuple[str, str, str, int]], families: set[str], top: int
) -> list[tuple[str, str, str, int]]:
    """The `top` most used; a tie that straddles the cut is dropped, except for families.

    Cutting inside a tie would pick concepts by their id; dropping the tie keeps only
    concepts that are strictly more frequent than every concept left out.
    """
    used = sorted((r for r in rows if r[3] > 0), key=lambda r: (-r[3], r[0] not in families, r[0]))
    if len(used) <= top:
        return used
    cut = used[top - 1][3]
    if used[top][3] != cut:
        return used[:top]
    return [r for r in used if r[3] > cut or (r[3] == cut and r[0] in families)][:top]


def _family_matrix(
    data: CaseMechanisms, cases: list[str], columns: list[str], families: set[str]
) -> list[list[int]]:
    """Cell = how many of the column's concepts the case is tagged with directly."""
    matrix = []
    for case in cases:
        row = []
        for column in columns:
            if column in families:
                row.append(sum(1 for m in data.uses[case] if column in data.families(m)))
            else:
                row.append(int(column in data.uses[case]))
        matrix.append(row)
    return matrix


# -- Drawing --


def _palette(families: list[str], counts: Counter[str]) -> dict[str, tuple[float, ...]]:
    """One hue per family; the most used families get the most distinct hues (tab10)."""
    from matplotlib import colormaps

    tab20, tab20b = colormaps["tab20"].colors, colormaps["tab20b"].colors
    # Grey is left out: it reads as "no family", and the legend's swatches are grey.
    hues = [c for i, c in enumerate(tab20) if i % 2 == 0 and i != 14]
    hues += [tab20b[i] for i in (0, 4, 8, 12, 16, 2)]
    ranked = sorted(families, key=lambda f: (-counts[f], f))
    return {f: tuple(hues[i % len(hues)][:3]) for i, f in enumerate(ranked)}


def _lighter(colour: tuple[float, float, float], amount: float = 0.5) -> tuple[float, ...]:
    return tuple(c + (1 - c) * amount for c in colour)


def _label(attrs: dict[str, str], lang: str) -> str:
    return (attrs.get(f"label_{lang}") or attrs["label_zh"]).strip()


def _case_label(case: str, attrs: dict[str, str], lang: str) -> str:
    """`gd-b3-01 建立实施绩效挂钩、进度通…`: the id and the start of the title."""
    title = _label(attrs, lang)
    width = 12 if lang == "zh" else 30
    short = title if len(title) <= width else _TRAILING.sub("", title[:width]) + "…"
    return f"{case.split(':', 1)[-1]}  {short}"


def _text_inches(text: str, points: float) -> float:
    """Rough width of `text` in inches: a CJK character is one em, others ~0.6 em."""
    ems = sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.58 for ch in text)
    return ems * points / 72


def _title(zh: str, en: str, lang: str) -> str:
    return f"{zh}  {en}" if lang == "zh" else en


def _frequency_figure(
    data: CaseMechanisms, counts: list[tuple[str, str, str, int]], lang: str
) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    families = _families(data)
    colours = _palette(families, _rolled_up_counts(data))
    rows = _top_rows(counts, set(families), TOP)
    labels = [_label(data.mechanism_attrs[m], lang) for m, *_ in rows]
    values = [n for *_, n in rows]
    is_family = [m in colours for m, *_ in rows]
    face = [
        colours[m] if top else _lighter(colours[data.families(m)[0]])
        for (m, *_), top in zip(rows, is_family, strict=True)
    ]
    edge = [colours[data.families(m)[0]] for m, *_ in rows]

    fig = Figure(figsize=(6.5, 1.3 + 0.22 * len(rows)), layout="constrained")
    ax = fig.add_subplot()
    bars = ax.barh(range(len(rows)), values, height=0.72, color=face, edgecolor=edge, linewidth=0.6)
    ax.bar_label(bars, padding=2, fontsize=7.5)
    ax.set_yticks(range(len(rows)), labels)
    for tick, top in zip(ax.get_yticklabels(), is_family, strict=True):
        tick.set_fontweight("bold" if top else "normal")
    ax.invert_yaxis()
    ax.set_ylim(len(rows) - 0.4, -0.6)
    ax.set_xlim(0, max(values) * 1.08 + 0.3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", color="0.88", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel(_title("案例数", f"Cases (n = {len(data.uses)})", lang))
    ax.set_title(_title("机制出现频次", "Mechanism frequency", lang), loc="left", fontweight="bold")
    ax.legend(
        handles=[
            Patch(facecolor="0.35", edgecolor="0.35", label=_title("机制家族", "family", lang)),
            Patch(
                facecolor=_lighter((0.35,) * 3),
                edgecolor="0.35",
                label=_title("具体机制", "narrower concept", lang),
            ),
        ],
        loc="lower right",
        frameon=False,
        fontsize=7.5,
    )
    return fig


def _matrix_columns(data: CaseMechanisms, families: list[str]) -> tuple[list[str], list[str]]:
    """Used families by frequency, then narrower leaf concepts tagged on two or more cases."""
    rolled = _rolled_up_counts(data)
    direct = Counter(m for ms in data.uses.values() for m in ms)
    used = sorted((f for f in families if rolled[f]), key=lambda f: (-rolled[f], f))
    rank = {f: i for i, f in enumerate(used)}
    narrower = {b for bs in data.broader.values() for b in bs}
    leaves = [
        m for m in data.mechanism_attrs if m not in narrower and m not in rank and direct[m] >= 2
    ]
    leaves.sort(key=lambda m: (rank[data.families(m)[0]], -direct[m], m))
    return used, leaves


def _matrix_figure(data: CaseMechanisms, lang: str) -> Figure:
    from matplotlib import colormaps
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.figure import Figure
    from matplotlib.transforms import blended_transform_factory

    families = _families(data)
    top, leaves = _matrix_columns(data, families)
    columns = top + leaves
    cases = sorted(data.uses)
    matrix = _family_matrix(data, cases, columns, set(families))
    rolled = _rolled_up_counts(data)
    high = max(max(row) for row in matrix)
    # Discrete steps: a cell is a count of concepts, so the colour bar shows integers.
    blues = colormaps["Blues"]
    steps = ["white"] + [blues(0.2 + 0.75 * i / max(high - 1, 1)) for i in range(high)]
    cmap = ListedColormap(steps)
    norm = BoundaryNorm([i - 0.5 for i in range(high + 2)], cmap.N)

    column_labels = [f"{_label(data.mechanism_attrs[c], lang)} ({rolled[c]})" for c in columns]
    row_labels = [_case_label(c, data.case_attrs[c], lang) for c in cases]
    # Room for the labels, estimated from their length; cells are 0.3 inch squares.
    below = max(_text_inches(t, 7.5) for t in column_labels) * math.sin(math.radians(55))
    left = max(_text_inches(t, 7.5) for t in row_labels)
    size = (left + 1.2 + CELL * len(columns), below + 1.0 + CELL * len(cases))
    fig = Figure(figsize=size, layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(matrix, cmap=cmap, norm=norm, aspect="equal")
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            if value:
                ink = "white" if value > high / 2 else "0.15"
                ax.text(j, i, str(value), ha="center", va="center", fontsize=7, color=ink)
    ax.set_xticks(
        range(len(columns)),
        column_labels,
        rotation=55,
        ha="right",
        rotation_mode="anchor",
        fontsize=7.5,
    )
    for tick, column in zip(ax.get_xticklabels(), columns, strict=True):
        tick.set_fontweight("bold" if column in top else "normal")
    ax.set_yticks(range(len(cases)), row_labels, fontsize=7.5)
    ax.set_xticks([x + 0.5 for x in range(len(columns) - 1)], minor=True)
    ax.set_yticks([y + 0.5 for y in range(len(cases) - 1)], minor=True)
    ax.grid(which="minor", color="0.85", linewidth=0.5)
    ax.tick_params(which="both", length=0)
    if leaves:
        ax.axvline(len(top) - 0.5, color="0.2", linewidth=1.2)
    above = blended_transform_factory(ax.transData, ax.transAxes)
    groups = [(0, len(top), _title("机制家族", "Families", lang))]
    if leaves:
        groups.append(
            (len(top), len(columns), _title("具体机制（≥2 个案例）", "Concepts in ≥2 cases", lang))
        )
    for start, end, text in groups:
        ax.annotate(
            text,
            xy=((start + end - 1) / 2, 1.0),
            xycoords=above,
            xytext=(0, 4),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_title(
        _title("案例 × 机制矩阵", "Case × mechanism matrix", lang),
        loc="left",
        fontweight="bold",
        pad=18,
    )
    bar = fig.colorbar(image, ax=ax, ticks=range(high + 1), shrink=0.6, aspect=18, pad=0.01)
    bar.set_label(_title("所用概念数", "Concepts used", lang), fontsize=8)
    bar.ax.tick_params(labelsize=7, length=0)
    bar.outline.set_linewidth(0.5)
    note = (
        "括号内为使用该机制的案例数；家族单元格为案例标注的该家族概念数"
        if lang == "zh"
        else "In brackets: cases using the concept; family cells count the family's concepts"
    )
    fig.text(0.005, 0.005, note, fontsize=6.5, color="0.35", ha="left", va="bottom")
    return fig


class _NotBold(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("findfont: Failed to find font weight")


@contextlib.contextmanager
def _no_bold_notice():
    """The bundled font has no bold (bundled_font): matplotlib says so on every bold title
    and tick, on the user's terminal. Known and intended; kept out of the output."""
    log, quiet = logging.getLogger(_FONT_LOG), _NotBold()
    log.addFilter(quiet)
    try:
        yield
    finally:
        log.removeFilter(quiet)


def _rc(font: tuple[str, str] | None) -> dict[str, object]:
    family = [font[0], "DejaVu Sans"] if font else ["DejaVu Sans"]
    return {
        "font.family": "sans-serif",
        "font.sans-serif": family,
        "font.size": 8.5,
        "axes.titlesize": 10,
        "axes.labelsize": 8.5,
        "xtick.labelsize": 7.5,
        "ytick.labelsize": 8,
        "svg.fonttype": "none",  # text stays text: searchable, editable, any CJK font shows it
        "svg.hashsalt": "renda-kg",  # fixed clip-path ids, so reruns give the same bytes
        "text.parse_math": False,  # a label such as "US$5 ... $" is text, not mathtext
    }


def _render(fig: Figure, title: str) -> dict[str, bytes]:
    """PNG and SVG bytes, cropped to the drawn content; no dates or versions inside.

    The layout is computed and the crop measured once, at the PNG's resolution, for both
    files: `bbox_inches="tight"` would lay out and draw each file twice (a third of the
    time of a figure)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig.set_dpi(DPI)
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw_without_rendering()
    # Keep the constrained layout just computed, with no engine at all: "none" would leave
    # a placeholder engine, for which savefig draws the figure once more before each file.
    with matplotlib.rc_context(
        {"figure.autolayout": False, "figure.constrained_layout.use": False}
    ):
        fig.set_layout_engine(None)
    crop = fig.get_tightbbox(renderer).padded(TIGHT["pad_inches"])
    out = {}
    for fmt, meta, dpi in (
        ("png", {"Title": title, "Software": None}, DPI),
        ("svg", {"Title": title, "Date": None, "Creator": None}, 72),
    ):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=dpi, metadata=meta, bbox_inches=crop)
        out[fmt] = buffer.getvalue()
    return out


def _prepare(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KgError(_unwritable(out_dir, exc)) from None


def _unwritable(out_dir: Path, exc: OSError) -> Problem:
    return Problem(
        str(out_dir),
        f"cannot write figures here ({exc.strerror or exc})",
        hint="pass a folder you can write to, e.g. `build/figures`",
    )


def write_figures(kg: QueryGraph, out_dir: Path, *, lang: str = "zh") -> list[Path]:
    """Write mechanism-frequency and case-mechanism-matrix as PNG and SVG; return the paths.

    `lang` picks the language of the mechanism and case labels (titles are bilingual in
    "zh"). All four figures are rendered before any file is replaced.
    """
    return start_figures(kg, out_dir, lang=lang)()


def drawn_inputs(data: CaseMechanisms, lang: str = "zh") -> str:
    """All that the two figures are drawn from, as canonical JSON: the tags, the hierarchy,
    the labels in `lang` and the font. `kg run` keys the figures on it (with the code), so
    an edit they do not show (an English title in "zh", a quote, a date) redraws nothing."""
    return json.dumps(
        {
            "lang": lang,
            # The bundled file names the font without matplotlib: a key that shows the
            # figures unchanged costs no import.
            "font": [str(bundled)] if (bundled := _bundled_file()) else list(_cjk_font() or ()),
            "uses": {case: sorted(ms) for case, ms in data.uses.items()},
            "broader": {m: sorted(bs) for m, bs in data.broader.items() if bs},
            "mechanisms": {m: _label(a, lang) for m, a in data.mechanism_attrs.items()},
            "cases": {case: _label(a, lang) for case, a in data.case_attrs.items()},
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def start_figures(
    kg: QueryGraph,
    out_dir: Path,
    *,
    lang: str = "zh",
    data: CaseMechanisms | None = None,
    drawer: Drawer | None = None,
) -> Callable[[], list[Path]]:
    """Check, query and lay out the figures here, start drawing each in a child process,
    and return the function that waits for the drawings and writes the files.

    Drawing is CPU-bound (0.9 s a file for the seed): the two figures draw on two cores,
    and `kg run` draws them while it writes the views, the docs and the site. The bytes
    are those of drawing here; what matplotlib logs or warns in a child is said again
    here, as if it had drawn here. `data`, when given, is `load_case_mechanisms(kg)`;
    `drawer`, when given, is a `Drawer` started earlier, which draws them instead.
    """
    if lang not in LANGS:
        raise KgError(
            Problem(
                option("lang"), f"unknown language {lang!r}", hint=f"use one of {', '.join(LANGS)}"
            )
        )
    out_dir = Path(out_dir)
    _prepare(out_dir)
    data = data or load_case_mechanisms(kg)
    if not data.uses:
        raise KgError(
            Problem(kg.origin or "graph", "no case uses a mechanism", hint="build the graph first")
        )
    if _bundled_file() is None and _cjk_font() is None and lang == "zh":
        warnings.warn(NO_FONT_WARNING, stacklevel=2)
    counts = mechanism_counts(kg, data)
    if drawer is not None and drawer.running:
        wait = drawer.draw(data, counts, lang)
    else:
        # What each child needs, imported once here before the forks (0.23 s a child).
        import matplotlib.backends.backend_agg
        import matplotlib.backends.backend_svg
        import matplotlib.figure  # noqa: F401

        wait = _start_drawings(data, counts, lang)

    def finish() -> list[Path]:
        files: list[tuple[Path, bytes]] = []
        for name, (contents, logged, warned) in sorted(wait().items()):
            for message in logged:
                logging.getLogger(_FONT_LOG).warning("%s", message)
            for message, category in warned:
                warnings.warn(message, category, stacklevel=2)
            files += [(out_dir / f"{name}.{fmt}", content) for fmt, content in contents.items()]
        try:
            atomic_write_many(files)
        except OSError as exc:
            raise KgError(_unwritable(out_dir, exc)) from None
        return sorted(path for path, _ in files)

    return finish


Drawn = dict[str, tuple[dict[str, bytes], list[str], list[tuple]]]  # by figure: _draw's


def _start_drawings(
    data: CaseMechanisms, counts: Counter[str], lang: str, *, here: bool = False
) -> Callable[[], Drawn]:
    """Start drawing both figures, each in a child; with `here`, the matrix (the longest)
    is drawn in this process, while the other draws in its child."""
    import matplotlib

    with matplotlib.rc_context(_rc(_cjk_font())), warnings.catch_warnings(), _no_bold_notice():
        # One warning above says it all; don't repeat it for every missing glyph.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from")
        # The matrix draws longest: its child starts first. Each child builds its figure
        # from plain data (the graph is read here), so the parent goes straight on.
        figures = {
            "case-mechanism-matrix": (
                "Case × mechanism matrix",
                functools.partial(_matrix_figure, data, lang),
            ),
            "mechanism-frequency": (
                "Mechanism frequency",
                functools.partial(_frequency_figure, data, counts, lang),
            ),
        }
        drawings = {
            name: start_isolated(functools.partial(_draw, make, title), FIGURE_TIMEOUT, "figures")
            for name, (title, make) in figures.items()
            if not (here and name == "case-mechanism-matrix")
        }
        drawn: Drawn = {}
        if here:
            title, make = figures["case-mechanism-matrix"]
            drawn["case-mechanism-matrix"] = _draw(make, title)
    return lambda: drawn | {name: drawing() for name, drawing in drawings.items()}


class Drawer:
    """A child forked before the graph is built, which imports matplotlib and registers
    the font while this process builds (on the core it leaves idle), then draws what
    `draw` sends it. `kg run` starts one when the graph is to be rebuilt: the figures,
    the last output to finish, start drawing 0.4 s sooner. `close` ends one not needed.
    """

    def __init__(self) -> None:
        read_end, self._send = os.pipe()
        work = functools.partial(_drawer, read_end, self._send)
        self._wait = start_isolated(work, 0, "figures")
        os.close(read_end)
        self.running = self._wait is not work  # else no process could be forked
        self._unreaped = self.running
        if not self.running:
            os.close(self._send)

    def draw(self, data: CaseMechanisms, counts: Counter[str], lang: str) -> Callable[[], Drawn]:
        """Send what to draw; returns the function that waits for the drawings."""
        self._sent(pickle.dumps((data, counts, lang), pickle.HIGHEST_PROTOCOL))
        return self._collect

    def close(self) -> None:
        """Tell a drawer with nothing sent that nothing is to be drawn; reap the child in
        every case (after a run that failed between `draw` and its wait, too)."""
        if self.running:
            self._sent(b"")
        if self._unreaped:
            with contextlib.suppress(KgError):
                self._collect()

    def _collect(self) -> Drawn:
        self._unreaped = False
        return self._wait()

    def _sent(self, request: bytes) -> None:
        self.running = False
        with contextlib.suppress(OSError), open(self._send, "wb") as pipe:
            pipe.write(len(request).to_bytes(8, "big") + request)  # a dead drawer: its wait says


def _drawer(requests: int, other_end: int) -> Drawn | None:
    """In the drawer's child: be ready to draw, then draw the one request, if any."""
    os.close(other_end)
    import matplotlib.backends.backend_agg
    import matplotlib.backends.backend_svg
    import matplotlib.figure  # noqa: F401

    _cjk_font()  # registered now, before the request
    with open(requests, "rb") as pipe:
        size = int.from_bytes(pipe.read(8) or b"\0", "big")
        request = pipe.read(size) if size else b""
    if len(request) != size or not size:
        return None  # nothing to draw, or the parent is gone
    data, counts, lang = pickle.loads(request)
    return _start_drawings(data, counts, lang, here=True)()


class _Logged(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _draw(
    make: Callable[[], Figure], title: str
) -> tuple[dict[str, bytes], list[str], list[tuple]]:
    """The figure `make` builds, rendered, with what matplotlib's font manager logged and
    what was warned (the filters in force apply), to be said again in the parent."""
    log, logged = logging.getLogger(_FONT_LOG), _Logged()
    log.addHandler(logged)
    try:
        with warnings.catch_warnings(record=True) as caught:
            contents = _render(make(), title)
    finally:
        log.removeHandler(logged)
    return contents, logged.messages, [(str(w.message), w.category) for w in caught]
