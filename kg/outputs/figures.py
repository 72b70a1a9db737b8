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
import os
import pickle
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kg.analysis.cases import CaseMechanisms, load_case_mechanisms
from kg.core.errors import KgError, Problem, option
from kg.core.isolate import cancel, start_isolated
from kg.core.sandbox import bound_lifetime
from kg.core.textio import atomic_write_many
from kg.outputs.charts import frequency_figure as _frequency_figure
from kg.outputs.charts import label as _label
from kg.outputs.charts import matrix_figure as _matrix_figure
from kg.outputs.charts import mechanism_counts
from kg.outputs.fonts import bundled_file as _bundled_file
from kg.outputs.fonts import cjk_font as _cjk_font

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from kg.query.graph import QueryGraph

LANGS = ("zh", "en")
DPI = 300
#: Crop to the drawn content, so estimated figure sizes never clip or leave wide margins.
TIGHT = {"bbox_inches": "tight", "pad_inches": 0.04}
FIGURE_TIMEOUT = 1800.0  # seconds for the child that draws the matrix: only a hang hits it
_FONT_LOG = "matplotlib.font_manager"  # where matplotlib says a glyph or a weight is missing
FONT_HINT = (
    "reinstall the `mplfonts` package (it ships Noto Sans CJK SC), or install a CJK font, "
    "e.g. `sudo apt-get install fonts-noto-cjk`, and delete matplotlib's font cache "
    "(~/.cache/matplotlib) so it is found"
)
NO_FONT_WARNING = (
    "no CJK font found: Chinese labels may not render in the PNG figures "
    f"(the SVGs keep text as text, so a browser with CJK fonts shows them); {FONT_HINT}"
)


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
    wait = drawer.draw(data, counts, lang) if drawer is not None else None
    if wait is None:  # no drawer, or it could not take the request
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
    the last output to finish, start drawing 0.4 s sooner. `close` kills one whose
    drawings are not waited for. It ends with this process, and after FIGURE_TIMEOUT
    seconds of CPU time (a hang) like the other drawing children.
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

    def draw(
        self, data: CaseMechanisms, counts: Counter[str], lang: str
    ) -> Callable[[], Drawn] | None:
        """Send what to draw; returns the function that waits for the drawings, or None
        if the drawer cannot take it (not started, used already, or dead)."""
        if not self.running:
            return None
        self.running = False
        request = pickle.dumps((data, counts, lang), pickle.HIGHEST_PROTOCOL)
        try:
            with open(self._send, "wb") as pipe:
                pipe.write(len(request).to_bytes(8, "big") + request)
        except OSError:  # it died (its reply would only say so): draw without it
            self.close()
            return None
        return self._collect

    def close(self) -> None:
        """End a drawer whose drawings are not waited for (none sent, or a run that
        failed meanwhile): killed and reaped, at once."""
        if self.running:
            self.running = False
            os.close(self._send)
        if self._unreaped:
            self._unreaped = False
            cancel(self._wait)

    def _collect(self) -> Drawn:
        self._unreaped = False
        return self._wait()


def _drawer(requests: int, other_end: int) -> Drawn | None:
    """In the drawer's child: be ready to draw, then draw the one request, if any."""
    os.close(other_end)
    bound_lifetime(FIGURE_TIMEOUT)  # dies with the parent; a hang ends
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
