"""The cross-case report of a build, kept beside it: `kg patterns` answers from the file.

The report reads every case (frequent sets, communities, contrasts, one row per case for
the selection reasons): 10 s at 100k cases even from the analytic index, for a report
that only changes when the graph does. So the build that writes the index also writes
the report with the command's defaults, in each of its formats, to
`OUT/.kg-index/<generation>.report`: named after the graph it was computed from, like
the index, and stamped with the code that computed it (`kg.build.cache.source_digest`), so
a report of another graph or of another version of kg is never shown. Other options
(`--min-cases`, `--seed`) and graphs that are not a build's are computed as before.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from kg.build.cache import source_digest
from kg.core.textio import atomic_write_bytes
from kg.query.kept import Packed, pack

if TYPE_CHECKING:
    from kg.analysis.patterns import Patterns
    from kg.query.graph import QueryGraph

MAGIC = b"renda-kg pattern report 1\n"
DEFAULTS = {"min_cases": 2, "seed": 42}  # those of `kg patterns` and `find_patterns`
FORMATS = ("table", "md", "json")


def render(found: Patterns, fmt: str) -> str:
    """The report in a format of `kg patterns --format`."""
    return {"table": found.to_text, "md": found.to_markdown, "json": found.to_json}[fmt]()


def report_path(graph: QueryGraph) -> Path | None:
    """Where the report of the build behind `graph` is kept, or None if it is no build's."""
    return _beside(graph.index)


def _beside(index: Packed | None) -> Path | None:
    """Where the report kept beside a build's analytic index is, if there is an index."""
    return None if index is None else index.path.with_suffix(".report")


def write_report(
    graph: QueryGraph, found: Patterns | None = None, *, prune: bool = True
) -> Path | None:
    """Compute the report of a build with the defaults (or take `found`, computed with
    them) and keep it beside its index; reports of other generations are removed, unless
    not `prune`. Nothing is kept for a graph without cases (`kg patterns` says why
    instead) or one that is not a build's."""
    from kg.analysis.patterns import find_patterns

    target = report_path(graph)
    if target is None:
        return None
    found = found if found is not None else find_patterns(graph, **DEFAULTS)
    kept = None
    if found.cases:
        parts = {fmt: render(found, fmt).encode("utf-8") for fmt in FORMATS}
        atomic_write_bytes(target, pack(MAGIC, parts, code=source_digest()))
        kept = target
    for other in target.parent.glob("*.report") if prune else ():
        if other != kept:
            other.unlink(missing_ok=True)
    return kept


def keep_computed(graph: QueryGraph, found: Patterns, *, min_cases: int, seed: int) -> None:
    """Keep a report that was just computed with the defaults because the build kept
    none from this version of kg (after an upgrade, until the next `kg run`): the next
    `kg patterns` reads it (10 s at 100k cases otherwise, on every call). A build that
    cannot be written to (read-only, served) is left as it is, and so are the reports of
    other generations (a `kg run` may have switched in a newer one meanwhile)."""
    path = report_path(graph)
    if {"min_cases": min_cases, "seed": seed} != DEFAULTS or path is None or is_current(path):
        return
    with contextlib.suppress(OSError):
        write_report(graph, found, prune=False)


def kept_report(index: Packed | None, fmt: str, *, min_cases: int, seed: int) -> str | None:
    """The report kept beside the build's analytic index `index` (`QueryGraph.index`,
    or `kg.query.kept.KeptIndex.open` where the graph is not loaded), if these are the
    options it was kept with and this version of kg computed it; else None (compute it)."""
    if {"min_cases": min_cases, "seed": seed} != DEFAULTS or fmt not in FORMATS:
        return None
    path = _beside(index)
    packed = None if path is None else _current(path)
    return None if packed is None else packed.part(fmt).decode("utf-8")


def is_current(path: Path) -> bool:
    """Whether a report is kept at `path` and this version of kg computed it: after an
    upgrade, `kg run` computes it again even where the graph did not change."""
    return _current(path) is not None


def _current(path: Path) -> Packed | None:
    packed = Packed.open(path, MAGIC)
    return packed if packed is not None and packed.meta.get("code") == source_digest() else None
