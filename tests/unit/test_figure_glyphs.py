"""The figures draw Chinese with the font shipped by `mplfonts`, whatever the system has.

Tofu (empty boxes) is what matplotlib draws for a character its font lacks, and it says so
with a "Glyph N missing from font" warning while rendering. So the PNGs have no tofu when
(1) rendering them raises no such warning and (2) every character of every text artist has
a glyph in the font file matplotlib resolved for it — which must be the bundled file, not
a system font of the same family name.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from kg import KnowledgeGraph, cjk_font
from kg.analysis.networks import load_case_mechanisms
from kg.outputs import figures

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def drawn():
    """Both figures in both languages, as matplotlib Figures under the figures' rc."""
    import matplotlib

    kg = KnowledgeGraph.from_data(ROOT)
    data = load_case_mechanisms(kg)
    font = figures._cjk_font()
    out = {}
    with matplotlib.rc_context(figures._rc(font)):
        for lang in figures.LANGS:
            out[f"frequency-{lang}"] = figures._frequency_figure(
                data, figures.mechanism_counts(kg, data), lang
            )
            out[f"matrix-{lang}"] = figures._matrix_figure(data, lang)
        yield font, out


def test_cjk_font_is_the_bundled_noto_sans():
    path = Path(cjk_font())
    assert path.name == "NotoSansCJKsc-Regular.otf"
    assert "mplfonts" in path.parts


def test_every_character_drawn_has_a_glyph_in_the_bundled_font(drawn):
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font
    from matplotlib.text import Text

    font, figs = drawn
    assert font is not None and Path(font[1]).name == "NotoSansCJKsc-Regular.otf"
    faces: dict[str, FT2Font] = {}
    chinese = 0
    for name, fig in figs.items():
        for text in fig.findobj(Text):
            content = text.get_text()
            if not content.strip():
                continue
            path = font_manager.findfont(text.get_fontproperties(), fallback_to_default=False)
            assert Path(path) == Path(font[1]), f"{name}: {content!r} resolved to {path}"
            face = faces.setdefault(path, FT2Font(path))
            missing = [
                ch for ch in content if not ch.isspace() and face.get_char_index(ord(ch)) == 0
            ]
            assert not missing, f"{name}: no glyph for {missing} in {content!r}"
            chinese += sum("\u4e00" <= ch <= "\u9fff" for ch in content)
    assert chinese > 100  # the check did see the Chinese labels


def test_rendering_the_pngs_reports_no_missing_glyph(drawn):
    _, figs = drawn
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r".*[Gg]lyph.*missing")
        for name in ("frequency-zh", "matrix-zh"):
            png = figures._render(figs[name], name)["png"]
            assert png.startswith(b"\x89PNG")
