"""Write the site: every page and asset, rendered in memory, then published as one set.

`write_site(graph, out)` is the whole stage: read the graph (`load_site_data`), render
each page kind, add the shared assets (one stylesheet, the page scripts, the prefecture
outline image and ONE vis-network file that every network page loads), check the page
budget, and publish the folder atomically (`kg.outputs.render.publish_pages`: the reader
sees the previous site or the new one, never a mix). The output is a function of the
graph and the source texts only: the same input gives the same bytes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from kg.core.errors import KgError, Problem
from kg.outputs.render import MAX_PAGE_BYTES, publish_pages, vis_assets
from kg.site.data import SiteData, load_site_data
from kg.site.entities import (
    batch_page,
    body_page,
    cases_under,
    mechanism_page,
    mechanisms_index,
    place_page,
    places_index,
    sources_index,
)
from kg.site.geo import outline_svg
from kg.site.html import Page
from kg.site.listing import case_list_page, map_page
from kg.site.netpage import view_page, views_index
from kg.site.network import cooccurrence_view, families_view, graph_view, view_sample
from kg.site.pages import by_case, case_page, source_page
from kg.site.stats import cooccurrence, first_batches, rolled_up, users

if TYPE_CHECKING:
    from kg.query.graph import QueryGraph

STATIC = ("site.css", "site.js", "list.js", "map.js", "network.js")


@dataclass(frozen=True)
class SiteReport:
    """What was written: pages per kind, files and bytes in all, the largest page."""

    out: Path
    pages: dict[str, int]
    files: int
    size: int
    largest: tuple[str, int]


def site_pages(site: SiteData) -> list[Page]:
    """Every page of the site, in a stable order."""
    rolled = rolled_up(site)
    direct = users(site)
    pairs = cooccurrence(site)
    first = first_batches(site, rolled)
    rolled_users: dict[str, list[str]] = defaultdict(list)
    for c in site.cases:
        for m in sorted(rolled[c]):
            rolled_users[m].append(c)
    evidence = by_case(site)
    ids = list(site.cases)
    pages = [
        case_page(
            site,
            site.cases[c],
            evidence.get(c, []),
            ids[i - 1] if i else "",
            ids[i + 1] if i + 1 < len(ids) else "",
        )
        for i, c in enumerate(ids)
    ]
    pages += [source_page(site, s) for s in site.sources]
    pages += [
        mechanism_page(
            site, m, direct.get(m, []), rolled_users.get(m, []), pairs.get(m, []), first.get(m, [])
        )
        for m in site.mechanisms
    ]
    pages += [body_page(site, b) for b in site.bodies]
    under = cases_under(site)
    pages += [place_page(site, p, under.get(p, [])) for p in site.places]
    new_in: dict[str, list[str]] = defaultdict(list)
    for m, batches in sorted(first.items()):
        if batches:
            new_in[batches[0][0]].append(m)
    pages += [batch_page(site, b, new_in.get(b, [])) for b in site.batches]
    counts = {m: len(cs) for m, cs in rolled_users.items()}
    pages += [
        case_list_page(site),
        map_page(site, rolled),
        mechanisms_index(site, counts),
        places_index(site, under),
        sources_index(site),
    ]
    drawn, note = view_sample(site)
    views = [families_view(drawn), graph_view(drawn), cooccurrence_view(drawn, pairs)]
    for view in views:
        view.note = note
    pages += [view_page(drawn, v) for v in views]
    pages.append(views_index(views))
    return pages


def _assets() -> dict[str, bytes]:
    static = resources.files("kg.site") / "static"
    files = {f"assets/{name}": (static / name).read_bytes() for name in STATIC}
    files["assets/guangdong.svg"] = outline_svg()
    js, _css = vis_assets()
    files["assets/vis-network.min.js"] = js.encode("utf-8")
    return files


def site_files(site: SiteData) -> tuple[dict[str, bytes], Counter]:
    """path -> bytes of the whole site, and the number of pages per kind."""
    files: dict[str, bytes] = {}
    kinds: Counter = Counter()
    for page in site_pages(site):
        files[page.path] = page.render().encode("utf-8")
        kinds[page.path.split("/", 1)[0] if "/" in page.path else "overview"] += 1
    for path, data in files.items():
        if len(data) > MAX_PAGE_BYTES:
            raise KgError(
                Problem(
                    path,
                    f"page would be {len(data):,} bytes, over the {MAX_PAGE_BYTES:,} byte budget",
                )
            )
    files.update(_assets())
    return dict(sorted(files.items())), kinds


def source_texts(root: Path) -> dict[str, str]:
    """The source texts by id from a project's data/sources ({} when there is none)."""
    from kg.sources.documents import load_sources

    folder = root / "data" / "sources"
    if not folder.is_dir():
        return {}
    return {sid: s.text for sid, s in load_sources(folder).items()}


def write_site(
    graph: QueryGraph,
    out: Path | str,
    *,
    texts: Mapping[str, str] | None = None,
    root: Path | str = ".",
) -> SiteReport:
    """Write the site of `graph` into the folder `out`, atomically.

    The source pages show the texts by source id: `texts`, or else those of the project
    at `root` (data/sources), each checked against the SHA-256 the graph holds."""
    out = Path(out)
    site = load_site_data(graph, source_texts(Path(root)) if texts is None else texts)
    files, kinds = site_files(site)
    publish_pages(out, files)
    largest = max(
        ((p, len(d)) for p, d in files.items() if p.endswith(".html")), key=lambda x: x[1]
    )
    return SiteReport(out, dict(sorted(kinds.items())), len(files),
                      sum(len(d) for d in files.values()), largest)  # fmt: skip
