"""The network view pages: fixed layout, filters, the text table, and the page itself.

The view data (`kg.site.network`) becomes one page: the controls (search listing every
match, filters by section, level, region and year with live counts, a collapsible
legend), the canvas that network.js draws with the ONE shared vis-network file of the
site, and the same nodes and links as an HTML table for keyboards and screen readers.
"""

from __future__ import annotations

import math
from collections import defaultdict

import networkx as nx

from kg.analysis.networks import ordered_graph
from kg.outputs.render import safe_json
from kg.site.data import SiteData, Text
from kg.site.html import Page, bi, e, link
from kg.site.listing import FACETS, facet_values
from kg.site.network import EDGE_KINDS, FILTERS, NODE_KINDS, NetView, pair


def _filters(site: SiteData) -> tuple[list[dict], dict[str, dict]]:
    per_case = {c: facet_values(site, c) for c in site.cases}
    facets = []
    names = {f: (zh, en) for f, zh, en in FACETS}
    for f in FILTERS:
        values: dict[str, Text] = {}
        for per in per_case.values():
            for token, label in per[f]:
                values[token] = label
        if values:
            facets.append(
                {
                    "key": f,
                    "label": {"zh": names[f][0], "en": names[f][1]},
                    "values": [{"token": t, "label": pair(values[t])} for t in sorted(values)],
                }
            )
    cases = {c: {f: [t for t, _ in per_case[c][f]] for f in FILTERS} for c in per_case}
    return facets, cases


def layout(view: NetView, unit: float = 150.0) -> None:
    """Fixed positions (x, y) for every node, computed here rather than by the browser's
    physics: the page is still as soon as it is drawn, and the same graph always gives
    the same picture. Each connected part gets its own spring layout (fixed seed), sized
    by its node count, and the parts are packed in rows, largest first, so that a small
    part never pushes the rest into a corner."""
    graph = ordered_graph((n["id"] for n in view.nodes), ((e["from"], e["to"]) for e in view.edges))
    parts = sorted(nx.connected_components(graph), key=lambda c: (-len(c), min(c)))
    placed: dict[str, tuple[float, float]] = {}
    width = unit * 2 * math.sqrt(max(1, len(view.nodes)))
    x0 = y0 = row_height = 0.0
    for part in parts:
        radius = unit * math.sqrt(len(part)) if len(part) > 1 else unit / 3
        sub = ordered_graph(part, graph.subgraph(part).edges)
        if len(part) > 1:
            pos = nx.spring_layout(sub, k=3.0 / math.sqrt(len(part)), iterations=300, seed=7)
        else:
            pos = {next(iter(part)): (0.0, 0.0)}
        if x0 > 0 and x0 + 2 * radius > width:
            x0, y0, row_height = 0.0, y0 + row_height + unit / 2, 0.0
        for node, (x, y) in pos.items():
            placed[node] = (x0 + radius + float(x) * radius, y0 + radius + float(y) * radius)
        x0 += 2 * radius + unit / 2
        row_height = max(row_height, 2 * radius)
    for n in view.nodes:
        n["x"], n["y"] = (round(v, 1) for v in placed[n["id"]])


def _table(view: NetView) -> str:
    """The view as a table: every node, its kind and its neighbours, all linked."""
    by_id = {n["id"]: n for n in view.nodes}
    neighbours: dict[str, list[str]] = defaultdict(list)
    for edge in view.edges:
        neighbours[edge["from"]].append(edge["to"])
        neighbours[edge["to"]].append(edge["from"])

    def name(n: dict) -> str:
        label = n["label"]
        return link(n["href"], bi(Text(label["zh"], label["en"])))

    rows = []
    for n in sorted(view.nodes, key=lambda n: (list(NODE_KINDS).index(n["kind"]), n["id"])):
        near = sorted(set(neighbours[n["id"]]))
        rows.append(
            f'<tr data-node="{e(n["id"])}"><td>{name(n)}</td>'
            f"<td>{bi(NODE_KINDS[n['kind']][2])}</td><td>{len(n['cases'])}</td>"
            f"<td>{', '.join(name(by_id[x]) for x in near if x in by_id)}</td></tr>"
        )
    head = "".join(
        f'<th scope="col">{bi(h)}</th>'
        for h in (("名称", "Name"), ("类型", "Kind"), ("案例数", "Cases"), ("相连", "Connected to"))
    )
    return (
        f'<table class="net-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def view_page(site: SiteData, view: NetView) -> Page:
    layout(view)
    facets, cases = _filters(site)
    payload = {
        "nodes": view.nodes,
        "edges": view.edges,
        "legend": view.legend,
        "facets": facets,
        "cases": cases,
        "edgeColors": {k: v[0] for k, v in EDGE_KINDS.items()},
    }
    fieldsets = "".join(
        f'<fieldset data-facet="{e(f["key"])}"><legend>{bi(Text(**f["label"]))}</legend>'
        + "".join(
            f'<label><input type="checkbox" name="{e(f["key"])}" value="{e(v["token"])}"> '
            f'{bi(Text(**v["label"]))} <span class="count"></span></label>'
            for v in f["values"]
        )
        + "</fieldset>"
        for f in facets
    )
    side = (
        '<div class="net-side">'
        '<label for="net-search">' + bi(("搜索节点", "Search the nodes")) + "</label>"
        '<input type="search" id="net-search" autocomplete="off">'
        '<p id="net-search-status" class="note" aria-live="polite"></p>'
        '<ul id="net-matches"></ul>'
        '<p id="net-count" class="count-line" aria-live="polite"></p>'
        '<details id="net-filters" open><summary>'
        + bi(("筛选案例", "Filter the cases"))
        + f'</summary><form id="net-filter-form">{fieldsets}'
        '<button type="reset">' + bi(("清除筛选", "Clear filters")) + "</button></form></details>"
        '<details id="net-legend" open><summary>'
        + bi(("图例", "Legend"))
        + '</summary><ul class="legend" id="legend-list"></ul></details>'
        "</div>"
    )
    body = (
        f'<p class="note">{bi(view.question)}</p>'
        + (f'<p class="note warn">{bi(view.note)}</p>' if view.note else "")
        + f'<div class="net-layout">{side}<div class="net-main">'
        '<div id="network" tabindex="0" role="application" aria-describedby="net-help" '
        f'aria-label="{e(view.title.zh)} · {e(view.title.en)}"></div>'
        '<p id="net-help" class="note">'
        + bi(
            (
                "点击节点打开其页面;方向键平移,+/- 缩放。下表以文字列出同样的节点与连线。",
                "Click a node to open its page; arrow keys pan, +/- zoom. The table below "
                "lists the same nodes and links as text.",
            )
        )
        + "</p></div></div>"
        + '<details class="net-table-box"><summary>'
        + bi(("以表格查看(文字替代)", "As a table (text alternative)"))
        + "</summary>"
        + _table(view)
        + "</details>"
        + f'<script type="application/json" id="net-data">{safe_json(payload)}</script>'
    )
    return Page(
        f"views/{view.slug}.html",
        view.title,
        body,
        "view",
        ("assets/vis-network.min.js", "assets/network.js"),
    )


def views_index(views: list[NetView]) -> Page:
    rows = "".join(
        f"<tr><td>{link(f'{v.slug}.html', bi(v.title))}</td><td>{bi(v.question)}</td>"
        f"<td>{len(v.nodes)}</td><td>{len(v.edges)}</td></tr>"
        for v in views
    )
    head = "".join(
        f'<th scope="col">{bi(h)}</th>'
        for h in (
            ("视图", "View"),
            ("回答的问题", "The question"),
            ("节点", "Nodes"),
            ("连线", "Edges"),
        )
    )
    body = f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    return Page("views/index.html", Text("网络视图", "Network views"), body, "views")
