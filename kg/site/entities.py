"""Mechanism, body, place and batch pages, and the overview pages that list them.

Each page links to every case it names and each case page links back, so a reader can
walk the graph both ways: mechanism ↔ case (with the quote), body ↔ case, place ↔ body
and case, batch ↔ case, broader ↔ narrower mechanism, parent ↔ child place.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from kg.site.data import KINDS, SiteData, Text
from kg.site.geo import locator
from kg.site.html import Page, bi, dl, e, link, plain, section, table
from kg.site.pages import by_case, quote
from kg.site.stats import Pair

ROOT = "../"
#: Co-occurring mechanisms listed on a mechanism page (most shared cases first): with a
#: few cases, the long tail is pairs of one shared case, and it made a third of the site.
PAIRS_SHOWN = 15


def _more(n: int) -> str:
    if n <= 0:
        return ""
    return (
        '<p class="note">'
        + bi(
            (
                f"另有 {n} 个只共现较少的机制未列出。",
                f"{n} more, sharing fewer cases, are not listed.",
            )
        )
        + "</p>"
    )


def name(site: SiteData, kind: str, ident: str, root: str = ROOT) -> str:
    return link(f"{root}{kind}/{ident}.html", bi(site.label(KINDS[kind] + ident)))


def case_link(site: SiteData, case: str, root: str = ROOT) -> str:
    title = site.cases[case].title
    return link(f"{root}case/{case}.html", f"<code>{e(case)}</code> " + bi(title))


def case_list(site: SiteData, cases: list[str], root: str = ROOT) -> str:
    if not cases:
        return ""
    return (
        '<ul class="cases">'
        + "".join(f"<li>{case_link(site, c, root)}</li>" for c in cases)
        + "</ul>"
    )


def _p(value: float) -> str:
    return f"{value:.3f}" if value >= 0.001 else f"{value:.1e}"


def mechanism_page(
    site: SiteData,
    mech: str,
    users: list[str],
    rolled_users: list[str],
    pairs: list[Pair],
    first: list[tuple[str, int]],
) -> Page:
    m = site.mechanisms[mech]
    facet = site.facets.get(m.facet) if m.facet else None
    chain = []
    up = m.broader
    while up:  # the first broader path up to a top concept
        chain.append(up[0])
        up = site.mechanisms[up[0]].broader if up[0] in site.mechanisms else []
    facts = dl(
        [
            (("编号", "Identifier"), f"<code>{e(mech)}</code>"),
            (("分面", "Facet"), bi(facet) if facet else ""),
            (("上位概念", "Broader"), " › ".join(name(site, "mechanism", b) for b in chain)),
            (
                ("下位概念", "Narrower"),
                ", ".join(name(site, "mechanism", n) for n in sorted(m.narrower)),
            ),
            (("状态", "Status"), bi(("已弃用", "deprecated")) if m.deprecated else ""),
            (
                ("替代为", "Replaced by"),
                name(site, "mechanism", m.replaced_by) if m.replaced_by else "",
            ),
            (("定义", "Definition"), bi(m.definition, "p") if m.definition else ""),
            (("适用范围", "Scope note"), bi(m.scope, "p") if m.scope else ""),
            (("别名", "Surface forms"), e("、".join(m.alt))),
            (("案例数", "Cases"), f"{len(users)} / {len(rolled_users)}"),
        ]
    )
    evs = by_case(site)
    rows = []
    for c in users:
        quotes = [
            quote(ev, ROOT)
            for ev in evs.get(c, [])
            if ev.predicate.endswith("#usesMechanism") and ev.object == KINDS["mechanism"] + mech
        ]
        rows.append([case_link(site, c), "<br>".join(quotes)])
    direct = table([("案例", "Case"), ("原文", "Quote")], rows, "uses")
    narrower_only = [c for c in rolled_users if c not in set(users)]
    pair_rows = [
        [
            name(site, "mechanism", p.other),
            str(p.shared),
            f"{p.support:.3f}",
            f"{p.lift:.2f}",
            _p(p.p),
        ]
        for p in pairs[:PAIRS_SHOWN]
    ]
    pair_table = table(
        [("共现机制", "Co-occurring mechanism"), ("共同案例", "Shared cases"),
         ("支持度", "Support"), ("提升度", "Lift"),
         ("Fisher p(单侧)", "Fisher's exact p (one-sided)")],
        pair_rows,
        "pairs",
    )  # fmt: skip
    first_rows = [
        [name(site, "batch", b), e(site.batches[b].year if b in site.batches else ""), str(n)]
        for b, n in first
    ]
    body = "\n".join(
        [
            facts,
            section(
                "采用该机制的案例(含原文)", "Cases that use it, with the quotes", direct, "cases"
            ),
            section(
                "通过下位概念采用的案例",
                "Cases that use a narrower concept",
                case_list(site, narrower_only),
                "narrower-cases",
            ),
            section(
                "共现机制",
                "Mechanisms used in the same cases",
                pair_table + _more(len(pairs) - PAIRS_SHOWN),
                "cooccurrence",
            ),
            section(
                "各批次中的出现(首次出现在第一行)",
                "By batch (first appearance first)",
                table([("批次", "Batch"), ("年份", "Year"), ("案例数", "Cases")], first_rows),
                "batches",
            ),
        ]
    )
    return Page(f"mechanism/{mech}.html", m.label, body, "mechanism")


def _mechanism_counts(site: SiteData, cases: list[str], root: str = ROOT) -> str:
    counts = Counter(m for c in cases for m in site.cases[c].mechanisms)
    if not counts:
        return ""
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return (
        '<ul class="tags">'
        + "".join(
            f'<li>{name(site, "mechanism", m, root)} <span class="count">{n}</span></li>'
            for m, n in items
        )
        + "</ul>"
    )


def body_page(site: SiteData, body: str) -> Page:
    b = site.bodies[body]
    place = site.places.get(b.place)
    facts = dl(
        [
            (("编号", "Identifier"), f"<code>{e(body)}</code>"),
            (("又名", "Also named"), e(" · ".join(b.names))),
            (("类型", "Type"), bi(site.label(b.type)) if b.type else ""),
            (("层级", "Level"), bi(site.label(b.level)) if b.level else ""),
            (
                ("辖区", "Jurisdiction"),
                " › ".join(name(site, "place", p) for p in site.place_chain(b.place)),
            ),
        ]
    )
    where = locator(site, b.place, ROOT, plain(place.label) if place else "")
    head = f'<div class="case-head">{facts}{where}</div>'
    body_html = "\n".join(
        [
            head,
            section("申报的案例", "Cases it declared", case_list(site, b.cases), "cases"),
            section(
                "这些案例采用的机制",
                "Mechanisms of these cases",
                _mechanism_counts(site, b.cases),
                "mechanisms",
            ),
        ]
    )
    return Page(f"body/{body}.html", b.label, body_html, "body")


def cases_under(site: SiteData) -> dict[str, list[str]]:
    """place -> the cases whose body sits in it or below it."""
    out: dict[str, list[str]] = defaultdict(list)
    for c in site.cases:
        if site.cases[c].body in site.bodies:
            for p in site.place_chain(site.case_place(c)):
                out[p].append(c)
    return out


def place_page(site: SiteData, place: str, under: list[str]) -> Page:
    p = site.places[place]
    bodies = sorted(b.id for b in site.bodies.values() if b.place == place)
    facts = dl(
        [
            (("编号", "Identifier"), f"<code>{e(place)}</code>"),
            (("区划代码", "Division code"), f"<code>{e(p.code)}</code>" if p.code else ""),
            (("层级", "Level"), e(p.rank)),
            (
                ("上级", "Part of"),
                " › ".join(name(site, "place", q) for q in site.place_chain(place)[1:]),
            ),
            (("区域", "Region"), bi(site.label(p.region)) if p.region else ""),
            (
                ("坐标", "Coordinates"),
                e(f"{p.lat}, {p.lon}") if p.lat is not None and p.lon is not None else "",
            ),
            (("下级", "Contains"), ", ".join(name(site, "place", q) for q in p.children)),
        ]
    )
    body = "\n".join(
        [
            f'<div class="case-head">{facts}{locator(site, place, ROOT, plain(p.label))}</div>',
            section(
                "本地的申报单位",
                "Declaring bodies here",
                '<ul class="bodies">'
                + "".join(f"<li>{name(site, 'body', b)}</li>" for b in bodies)
                + "</ul>"
                if bodies
                else "",
                "bodies",
            ),
            section(
                "本地及下辖地区的案例", "Cases here and below", case_list(site, under), "cases"
            ),
            section(
                "这些案例采用的机制",
                "Mechanisms of these cases",
                _mechanism_counts(site, under),
                "mechanisms",
            ),
        ]
    )
    return Page(f"place/{place}.html", p.label, body, "place")


def batch_page(site: SiteData, batch: str, new: list[str]) -> Page:
    b = site.batches[batch]
    cases = sorted(c for c, case in site.cases.items() if case.batch == batch)
    facts = dl(
        [
            (("编号", "Identifier"), f"<code>{e(batch)}</code>"),
            (("届次", "Ordinal"), e(b.ordinal) if b.ordinal is not None else ""),
            (("年份", "Year"), e(b.year)),
            (
                ("省份", "Province"),
                name(site, "place", b.province) if b.province in site.places else "",
            ),
            (
                ("来源", "Sources"),
                ", ".join(name(site, "source", s) for s in b.sources if s in site.sources),
            ),
        ]
    )
    new_html = (
        '<ul class="tags">'
        + "".join(f"<li>{name(site, 'mechanism', m)}</li>" for m in new)
        + "</ul>"
        if new
        else ""
    )
    body = "\n".join(
        [
            facts,
            section("入选案例", "Cases selected", case_list(site, cases), "cases"),
            section("本批次首次出现的机制", "Mechanisms first seen in this batch", new_html, "new"),
        ]
    )
    return Page(f"batch/{batch}.html", b.label, body, "batch")


# -- overview pages --


def mechanisms_index(site: SiteData, counts: dict[str, int]) -> Page:
    """Every mechanism, by facet (v2) or as the broader tree (v1), with its case count."""

    def item(m: str, depth: int) -> str:
        mech = site.mechanisms[m]
        kids = sorted(mech.narrower) if depth < 8 and not site.facets else []
        sub = f"<ul>{''.join(item(k, depth + 1) for k in kids)}</ul>" if kids else ""
        flag = (
            f' <span class="badge">{bi(("已弃用", "deprecated"))}</span>' if mech.deprecated else ""
        )
        return (
            f"<li>{link(f'mechanism/{m}.html', bi(mech.label))} "
            f'<span class="count">{counts.get(m, 0)}</span>{flag}{sub}</li>'
        )

    groups: list[tuple[Text, list[str]]] = []
    if site.facets:
        by_facet: dict[str, list[str]] = defaultdict(list)
        for m, mech in site.mechanisms.items():
            by_facet[mech.facet].append(m)
        for f, label in site.facets.items():
            groups.append(
                (label, sorted(by_facet.get(f, []), key=lambda m: (-counts.get(m, 0), m)))
            )
        if by_facet.get(""):
            groups.append((Text("其他", "Other"), sorted(by_facet[""])))
    else:
        tops = [m for m, mech in site.mechanisms.items() if not mech.broader]
        groups.append(
            (Text("机制族", "Families"), sorted(tops, key=lambda m: (-counts.get(m, 0), m)))
        )
    body = (
        '<p class="note">'
        + bi(
            (
                "数字为采用该机制或其下位概念的案例数。",
                "Numbers: cases using the concept or a narrower one.",
            )
        )
        + "</p>"
    )
    for label, ms in groups:
        tree = "".join(item(m, 0) for m in ms)
        body += f'<section><h2>{bi(label)}</h2><ul class="tree">{tree}</ul></section>'
    return Page("mechanisms.html", Text("机制词表", "Mechanisms"), body, "mechanisms")


def places_index(site: SiteData, under: dict[str, list[str]]) -> Page:
    def item(p: str, depth: int) -> str:
        place = site.places[p]
        kids = [k for k in place.children if under.get(k)] if depth < 6 else []
        bodies = [b for b in site.bodies.values() if b.place == p]
        body_html = "".join(
            f'<li class="body">{link(f"body/{b.id}.html", bi(b.label))}</li>' for b in bodies
        )
        sub = "".join(item(k, depth + 1) for k in kids)
        inner = f"<ul>{body_html}{sub}</ul>" if body_html or sub else ""
        return (
            f"<li>{link(f'place/{p}.html', bi(place.label))} "
            f'<span class="count">{len(under.get(p, []))}</span>{inner}</li>'
        )

    roots = [
        p for p, place in site.places.items() if under.get(p) and place.parent not in site.places
    ]
    body = (
        '<p class="note">'
        + bi(
            (
                "数字为该地及下辖地区的案例数;只列出有案例的地点。",
                "Numbers: cases here and below; only places with cases are listed.",
            )
        )
        + "</p>"
    )
    body += f'<ul class="tree">{"".join(item(p, 0) for p in sorted(roots))}</ul>'
    return Page(
        "places.html", Text("地点与申报单位", "Places and declaring bodies"), body, "places"
    )


def sources_index(site: SiteData) -> Page:
    rows = []
    for s in site.sources.values():
        cases = sum(1 for c in site.cases.values() if s.id in c.sources)
        rows.append(
            [link(f"source/{s.id}.html", bi(s.title)), e(s.publisher), e(s.issued), str(cases)]
        )
    batch_rows = [
        [
            link(f"batch/{b.id}.html", bi(b.label)),
            e(b.year),
            str(sum(1 for c in site.cases.values() if c.batch == b.id)),
        ]
        for b in site.batches.values()
    ]
    body = section(
        "来源文献",
        "Source documents",
        table(
            [("标题", "Title"), ("发布者", "Publisher"), ("日期", "Date"), ("案例", "Cases")], rows
        ),
    ) + section(
        "批次",
        "Batches",
        table([("批次", "Batch"), ("年份", "Year"), ("案例", "Cases")], batch_rows),
    )
    return Page("sources.html", Text("来源与批次", "Sources and batches"), body, "sources")
