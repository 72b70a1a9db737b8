"""The two paper figures as matplotlib `Figure`s, built from plain data (`CaseMechanisms`):
mechanism frequency (bars by family) and the case × mechanism matrix. Counting and
drawing only; `kg.outputs.figures` renders them to files, in child processes.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from typing import TYPE_CHECKING

from kg.analysis.cases import CaseMechanisms, load_case_mechanisms

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from kg.query.graph import QueryGraph

_TRAILING = re.compile(r"[\s,;:、，；：]+$")
CELL = 0.3  # inches per matrix cell
TOP = 30  # bars in the frequency figure


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


def label(attrs: dict[str, str], lang: str) -> str:
    return (attrs.get(f"label_{lang}") or attrs["label_zh"]).strip()


def _case_label(case: str, attrs: dict[str, str], lang: str) -> str:
    """`gd-b3-01 建立实施绩效挂钩、进度通…`: the id and the start of the title."""
    title = label(attrs, lang)
    width = 12 if lang == "zh" else 30
    short = title if len(title) <= width else _TRAILING.sub("", title[:width]) + "…"
    return f"{case.split(':', 1)[-1]}  {short}"


def _text_inches(text: str, points: float) -> float:
    """Rough width of `text` in inches: a CJK character is one em, others ~0.6 em."""
    ems = sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.58 for ch in text)
    return ems * points / 72


def _title(zh: str, en: str, lang: str) -> str:
    return f"{zh}  {en}" if lang == "zh" else en


def frequency_figure(
    data: CaseMechanisms, counts: list[tuple[str, str, str, int]], lang: str
) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    families = _families(data)
    colours = _palette(families, _rolled_up_counts(data))
    rows = _top_rows(counts, set(families), TOP)
    labels = [label(data.mechanism_attrs[m], lang) for m, *_ in rows]
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


def matrix_figure(data: CaseMechanisms, lang: str) -> Figure:
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

    column_labels = [f"{label(data.mechanism_attrs[c], lang)} ({rolled[c]})" for c in columns]
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
