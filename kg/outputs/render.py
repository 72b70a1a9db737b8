"""Render views as self-contained, offline, safe HTML pages, plus an index.

The page carries vis-network (from the pyvis package) inline and its data as JSON in a
`<script type="application/json">` block with `<`, `>` and `&` escaped, so no string
from the data can close the block or become markup. A Content-Security-Policy with
script hashes forbids any request and any script we did not write.
"""

from __future__ import annotations

import base64
import hashlib
import html
import importlib.util
import json
import re
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING

from kg.build.generations import publish_folder, supports_symlinks
from kg.core.errors import KgError, Problem
from kg.core.textio import atomic_write_many
from kg.outputs.views import View, all_views

if TYPE_CHECKING:
    from kg.query.graph import QueryGraph

MAX_PAGE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Page:
    path: Path
    view: View | None
    size: int


def _vis_assets() -> tuple[str, str]:
    """vis-network's JS and CSS as shipped inside pyvis (no CDN, no network)."""
    spec = importlib.util.find_spec("pyvis")
    if spec is None or not spec.submodule_search_locations:
        raise KgError(Problem("pyvis", "the package is not installed", hint="pip install pyvis"))
    folder = Path(spec.submodule_search_locations[0]) / "lib" / "vis-9.1.2"
    js = (folder / "vis-network.min.js").read_text(encoding="utf-8")
    css = (folder / "vis-network.css").read_text(encoding="utf-8")
    if re.search(r"</script|<!--", js, re.I):  # would end or confuse the inline block
        raise KgError(Problem(str(folder), "vis-network.min.js cannot be inlined safely"))
    return js, css


def vis_assets() -> tuple[str, str]:
    """vis-network's JS and CSS, for a site that ships them once as shared files."""
    return _vis_assets()


def _package_text(name: str) -> str:
    return (resources.files("kg") / name).read_text(encoding="utf-8")


def safe_json(value: object) -> str:
    """JSON that is inert inside a <script> block: no `<`, `>`, `&` or line separators."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return text


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode()).digest()
    return "'sha256-" + base64.b64encode(digest).decode() + "'"


def render_view(view: View, index_href: str = "index.html") -> str:
    js, css = _vis_assets()
    app_js = _package_text("static/view.js")
    payload = {
        "title_zh": view.title_zh,
        "title_en": view.title_en,
        "description_zh": view.description_zh,
        "description_en": view.description_en,
        "note_zh": view.note_zh,
        "note_en": view.note_en,
        "physics": view.physics,
        "hierarchical": view.hierarchical,
        "nodes": view.nodes,
        "edges": view.edges,
        "legend": view.legend,
    }
    page = Template(_package_text("templates/view.html")).substitute(
        title=html.escape(view.title_zh),
        description=html.escape(view.description_zh),
        note=html.escape(view.note_zh),
        index_href=html.escape(index_href, quote=True),
        vis_css=css,
        app_css=_package_text("static/view.css"),
        data=safe_json(payload),
        vis_js=js,
        app_js=app_js,
    )
    # Allow exactly our two scripts, hashed from their sources rather than from the page.
    allowed = f"script-src {_csp_hash(js)} {_csp_hash(app_js)}"
    return page.replace("script-src 'unsafe-inline'", allowed, 1)


def _row(href: str, title: str, text: str, view: View) -> str:
    return (
        f'<tr><td><a href="{html.escape(href, quote=True)}">{html.escape(title)}</a></td>'
        f"<td>{html.escape(text)}</td><td>{len(view.nodes)}</td>"
        f"<td>{len(view.edges)}</td></tr>"
    )


def render_index(main: list[View], egos: list[View], skipped: int, summary: str) -> str:
    main_rows = "\n".join(
        _row(
            f"{v.slug}.html",
            f"{v.title_zh} · {v.title_en}",
            f"{v.description_zh} {v.description_en}" + (f" ({v.note_en})" if v.note_en else ""),
            v,
        )
        for v in main
    )
    ego_rows = "\n".join(
        _row(f"cases/{v.slug}.html", v.slug.removeprefix("case-"), v.title_zh, v) for v in egos
    )
    note = (
        f"另有 {skipped} 个案例未生成单独页面(上限 {len(egos)})。 {skipped} more cases have "
        "no page of their own (page budget)."
        if skipped
        else ""
    )
    return Template(_package_text("templates/index.html")).substitute(
        app_css=_package_text("static/view.css"),
        summary=html.escape(summary),
        main_rows=main_rows,
        ego_rows=ego_rows,
        ego_note=html.escape(note),
    )


def render_all(kg: QueryGraph, out_dir: Path) -> list[Page]:
    """Write every view and the index under `out_dir`; all pages are rendered first."""
    main, egos, skipped = all_views(kg)
    files: list[tuple[Path, bytes, View | None]] = []
    for view in main:
        files.append((out_dir / f"{view.slug}.html", render_view(view).encode(), view))
    for view in egos:
        page = render_view(view, index_href="../index.html")
        files.append((out_dir / "cases" / f"{view.slug}.html", page.encode(), view))
    cases = sum(1 for n in main[0].nodes if n["group"] == "case")
    summary = (
        f"{cases} 个案例 cases · {len(main[0].nodes)} 个节点 nodes · "
        f"{len(main[0].edges)} 条连线 edges"
    )
    index = render_index(main, egos, skipped, summary).encode()
    files.append((out_dir / "index.html", index, None))
    for path, data, _ in files:
        if len(data) > MAX_PAGE_BYTES:
            raise KgError(
                Problem(
                    str(path),
                    f"page would be {len(data):,} bytes, over the {MAX_PAGE_BYTES:,} byte budget",
                    hint="lower kg.outputs.views.NODE_BUDGET",
                )
            )
    publish_pages(out_dir, {str(path.relative_to(out_dir)): data for path, data, _ in files})
    return [Page(path, view, len(data)) for path, data, view in files]


def publish_pages(out_dir: Path, pages: dict[str, bytes]) -> None:
    """Write a set of pages so that `out_dir` shows the old set or the new one, never a
    mix (`kg.build.generations.publish_folder`); without symbolic links, page by page."""
    try:
        if supports_symlinks(out_dir.parent):
            publish_folder(out_dir, pages, marker="index.html")
            return
        warnings.warn(
            f"{out_dir}: no symbolic links on this file system, so the pages are replaced "
            "one after the other: a killed run can leave them from two runs",
            stacklevel=2,
        )
        atomic_write_many(sorted((out_dir / name, data) for name, data in pages.items()))
    except OSError as exc:
        raise KgError(
            Problem(
                str(out_dir),
                f"cannot write the pages: {exc.strerror or exc}",
                hint="give a new folder, or one that kg wrote before",
            )
        ) from None
