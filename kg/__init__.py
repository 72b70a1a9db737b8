"""renda-kg: a research knowledge graph of local people's congress innovation cases.

The public API (what notebooks and scripts import from `kg`):

    KnowledgeGraph                 the graph in a store: queries, patterns, views
    build_project, write_build     build (and validate) from data/, write build/
    write_site                     the browsable research site (build/site/)
    ingest_notice, accept_drafts   a notice -> draft records; reviewed drafts -> data/cases
    named_queries                  the named query library
    find_patterns                  the cross-case report of any graph
    compact_id                     full IRIs -> short ids (case:gd-b3-05)
    cjk_font                       a font file that draws Chinese, for matplotlib
    KgError, Problem               errors that say where, what and how to fix

The pipeline runs one way, and the subpackages show it: core -> sources -> records
-> ingest -> build -> validate -> store -> query -> analysis -> outputs -> serve, with
`kg.api` and `kg.cli` on top. Names are imported on first use, so `import kg` is cheap.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING

from kg.core.about import __version__

if TYPE_CHECKING:
    from kg.analysis.patterns import find_patterns
    from kg.api import KnowledgeGraph, build_project, compact_id, write_build, write_site
    from kg.core.errors import KgError, Problem
    from kg.ingest import accept_drafts, ingest_notice
    from kg.outputs.fonts import find_cjk_font as cjk_font
    from kg.query.library import named_queries

_PUBLIC = {
    "KnowledgeGraph": ("kg.api", "KnowledgeGraph"),
    "build_project": ("kg.api", "build_project"),
    "write_build": ("kg.api", "write_build"),
    "write_site": ("kg.api", "write_site"),
    "compact_id": ("kg.api", "compact_id"),
    "ingest_notice": ("kg.ingest", "ingest_notice"),
    "accept_drafts": ("kg.ingest", "accept_drafts"),
    "named_queries": ("kg.query.library", "named_queries"),
    "find_patterns": ("kg.analysis.patterns", "find_patterns"),
    "cjk_font": ("kg.outputs.fonts", "find_cjk_font"),
    "KgError": ("kg.core.errors", "KgError"),
    "Problem": ("kg.core.errors", "Problem"),
}
__all__ = [
    "KgError",
    "KnowledgeGraph",
    "Problem",
    "__version__",
    "accept_drafts",
    "build_project",
    "cjk_font",
    "compact_id",
    "find_patterns",
    "ingest_notice",
    "named_queries",
    "write_build",
    "write_site",
]


def __getattr__(name: str) -> object:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'kg' has no attribute {name!r}")
    module, attribute = _PUBLIC[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def _without_traceback(record: logging.LogRecord) -> bool:
    """rdflib logs an ill-typed literal ("abc"^^xsd:integer) with a full traceback."""
    record.exc_info = record.exc_text = None
    return True


logging.getLogger("rdflib.term").addFilter(_without_traceback)
