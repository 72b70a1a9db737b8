"""The CJK font the figures draw with: the file shipped by `mplfonts`, else an installed one.

Kept apart from the drawing so that `kg run` can name the font in the figures' cache key
without importing matplotlib (`bundled_file`).
"""

from __future__ import annotations

from pathlib import Path

#: The CJK font shipped by the `mplfonts` package (a dependency): Noto Sans CJK SC.
BUNDLED_FONT = ("mplfonts", "fonts/NotoSansCJKsc-Regular.otf")
#: Families tried when the bundled font is missing, in order; the first installed is used.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Serif CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Microsoft YaHei",
)
_CJK_HINTS = ("CJK", "Han ", "Han-", "WenQuanYi")


def bundled_font() -> tuple[str, str] | None:
    """(family, file) of the CJK font shipped by `mplfonts`, registered with matplotlib.

    `addfont` reads the file itself, so neither system fonts nor matplotlib's font cache
    matter (a font installed after the cache was built stays invisible to matplotlib:
    MEASUREMENTS.md). Other files of the same family (a system Noto Sans CJK SC Bold) are
    dropped from matplotlib's list, so every machine draws with the same file (bold text
    is then drawn in the regular weight: the package ships no bold).
    """
    from matplotlib import font_manager

    path = bundled_file()
    if path is None:
        return None
    manager = font_manager.fontManager
    entries = [e for e in manager.ttflist if Path(e.fname) == path]
    if not entries:
        manager.addfont(str(path))
        entries = [e for e in manager.ttflist if Path(e.fname) == path]
    family = entries[0].name
    others = [e for e in manager.ttflist if e.name == family and e not in entries]
    if others or manager.ttflist[: len(entries)] != entries:
        # A system copy of the family (its Bold, say) would win some look-ups: the figures
        # would then depend on the machine. The bundled file alone answers for the family.
        manager.ttflist = entries + [e for e in manager.ttflist if e.name != family]
        manager._findfont_cached.cache_clear()  # earlier look-ups may have found another file
    return family, str(path)


def bundled_file() -> Path | None:
    """The file of the bundled CJK font, found without importing matplotlib (0.25 s)."""
    import importlib.util

    spec = importlib.util.find_spec(BUNDLED_FONT[0])
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(spec.submodule_search_locations[0]) / BUNDLED_FONT[1]
    return path if path.is_file() else None


def cjk_font() -> tuple[str, str] | None:
    """(family name, file) of the bundled CJK font, else of the preferred installed one."""
    bundled = bundled_font()
    if bundled is not None:
        return bundled
    from matplotlib import font_manager

    entries = [f for f in font_manager.fontManager.ttflist if f.style == "normal"]
    by_name: dict[str, list] = {}
    for entry in entries:
        by_name.setdefault(entry.name, []).append(entry)
    for family in CJK_FAMILIES:
        if family in by_name:
            best = min(by_name[family], key=lambda e: (abs(e.weight - 400), str(e.fname)))
            return family, str(best.fname)
    # A font not in the list above: any non-monospaced family that names CJK or Han.
    found = sorted(
        (abs(e.weight - 400), e.name, str(e.fname))
        for e in entries
        if any(h in e.name for h in _CJK_HINTS) and "Mono" not in e.name
    )
    return (found[0][1], found[0][2]) if found else None


def find_cjk_font() -> str | None:
    """The path of a font that draws Chinese: Noto Sans CJK SC from the `mplfonts`
    package, registered with matplotlib; else an installed CJK font; else None."""
    font = cjk_font()
    return font[1] if font else None
