"""The network views of the site: what each view shows (nodes, edges, legend, tooltips).

Three views, each answering a question the old whole-graph view could not:
- families: which mechanism families recur, and in which cases (families are nodes sized
  by their number of cases; an edge holds the case's quotes for that family);
- graph: who declared what where (case → body → place chain) and which families each
  case uses, with one colour per edge type, all in the legend;
- cooccurrence: which mechanisms travel together (shared cases, support, lift, Fisher p).

Every node links to its page (a click opens it); case nodes carry the facets the page
filters on (section, level, region, year). Labels and tooltips are data, not HTML:
network.js writes them with textContent. `kg.site.netpage` makes the pages, with the same
nodes and edges as an HTML table: the keyboard and screen-reader way through a view.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace

from kg.core.namespaces import RKG
from kg.site.data import KINDS, SiteData, Text
from kg.site.pages import by_case
from kg.site.stats import Pair

NODE_KINDS = {
    "case": ("#d1495b", "dot", Text("案例", "case")),
    "body": ("#3c6e9f", "square", Text("申报单位", "declaring body")),
    "place": ("#4f9a48", "triangle", Text("地点", "place")),
    "family": ("#e07b00", "diamond", Text("机制族", "mechanism family")),
    "mechanism": ("#e07b00", "diamond", Text("机制", "mechanism")),
}
EDGE_KINDS = {
    "declaredBy": ("#3c6e9f", Text("由…申报", "declared by")),
    "jurisdiction": ("#4f9a48", Text("辖区", "jurisdiction")),
    "partOf": ("#9bbf85", Text("隶属", "part of")),
    "uses": ("#e07b00", Text("采用(机制族)", "uses (family)")),
    "cooccurs": ("#8a6d5a", Text("共同出现于案例", "used in the same cases")),
}
PALETTE = (
    "#e07b00",
    "#3c6e9f",
    "#8c2d8c",
    "#2a9d8f",
    "#7b5ea7",
    "#b5892b",
    "#4f9a48",
    "#c2577f",
    "#5c6b73",
    "#8a6d5a",
    "#1b7f9e",
    "#a34a28",
)
FILTERS = ("category", "level", "region", "year")
QUOTES_PER_EDGE = 3
#: The co-occurrence view shows what recurs: mechanisms of at least this many cases and
#: pairs sharing at least this many (all pairs are on the mechanism pages).
MIN_SHARED = 2


@dataclass
class NetView:
    slug: str
    title: Text
    question: Text  # what the view answers, shown under the title
    nodes: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    legend: list[dict] = field(default_factory=list)
    note: Text = field(default_factory=Text)  # what was left out, if anything


#: A view draws at most this many cases (an even sample by id beyond it): at 1,000 cases
#: the families view alone came to 8.4 MB, and no canvas shows that many legibly.
VIEW_CASES = 300


def view_sample(site: SiteData) -> tuple[SiteData, Text]:
    """The site data the views draw: every case, or every k-th when there are more than
    `VIEW_CASES`; and a note saying so (empty when nothing was left out)."""
    ids = list(site.cases)
    if len(ids) <= VIEW_CASES:
        return site, Text()
    step = -(-len(ids) // VIEW_CASES)
    kept = ids[::step]
    note = Text(
        f"案例过多:每 {step} 个取 1 个,显示 {len(kept)} 个(共 {len(ids)} 个);完整列表见案例页。",
        f"Too many cases: one in every {step} is drawn ({len(kept)} of {len(ids)}); "
        "the case list has them all.",
    )
    return replace(site, cases={c: site.cases[c] for c in kept}), note


def pair(text: Text) -> dict:
    return {"zh": text.zh or text.en, "en": text.en or text.zh}


def _short(text: Text, zh: int = 12, en: int = 28) -> dict:
    a, b = text.zh or text.en, text.en or text.zh
    return {
        "zh": a if len(a) <= zh else a[:zh] + "…",
        "en": b if len(b) <= en else b[:en].rstrip() + "…",
    }


def _line(zh: str, en: str = "", kind: str = "") -> dict:
    """One tooltip line; "en" only when it differs (network.js falls back to "zh")."""
    out = {"zh": zh}
    if en and en != zh:
        out["en"] = en
    if kind:
        out["kind"] = kind
    return out


def _node(
    ident: str, kind: str, label: dict, href: str, tip: list[dict], cases: list[str], **extra
) -> dict:
    color, shape, _ = NODE_KINDS[kind]
    words = [ident, label["zh"], label["en"], tip[0]["zh"], tip[0].get("en", "")]
    search = " ".join(dict.fromkeys(w for w in words if w)).lower()
    return {
        "id": ident,
        "kind": kind,
        "label": label,
        "href": href,
        "tip": tip,
        "cases": cases,
        "search": search,
        "color": color,
        "shape": shape,
        **extra,
    }


def _case_node(site: SiteData, c: str) -> dict:
    case = site.cases[c]
    body = site.bodies.get(case.body)
    tip = [_line(case.title.zh, case.title.en, "title"), _line(f"编号 {c}", f"id {c}")]
    if body:
        tip.append(
            _line(f"申报单位:{body.label.zh}", f"Declared by: {body.label.en or body.label.zh}")
        )
    tip.append(_line(f"机制 {len(case.mechanisms)} 个", f"{len(case.mechanisms)} mechanisms"))
    return _node(f"case:{c}", "case", _short(case.title), f"../case/{c}.html", tip, [c], value=3)


def _family_colors(families: list[str]) -> dict[str, str]:
    return {f: PALETTE[i % len(PALETTE)] for i, f in enumerate(families)}


def _uses_by_family(site: SiteData) -> dict[tuple[str, str], list[str]]:
    """(case, family) -> the case's mechanisms in that family."""
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for c, case in site.cases.items():
        for m in case.mechanisms:
            for f in site.families(m):
                out[(c, f)].append(m)
    return out


def _quotes(site: SiteData) -> dict[tuple[str, str], list]:
    """(case, mechanism) -> its evidence statements."""
    out: dict[tuple[str, str], list] = defaultdict(list)
    for c, evs in by_case(site).items():
        for ev in evs:
            if ev.predicate == str(RKG.usesMechanism):
                out[(c, ev.object.removeprefix(KINDS["mechanism"]))].append(ev)
    return out


def _uses_edge(site: SiteData, c: str, f: str, ms: list[str], quotes: dict) -> dict:
    label = site.mechanisms[f].label if f in site.mechanisms else Text(f, f)
    short = _short(site.cases[c].title, 16, 40)
    tip = [_line(f"{short['zh']} → {label.zh}", f"{short['en']} → {label.en or label.zh}", "title")]
    shown = 0
    for m in sorted(ms):
        ml = site.mechanisms[m].label if m in site.mechanisms else Text(m, m)
        tip.append(_line(f"机制:{ml.zh}", f"Mechanism: {ml.en or ml.zh}"))
        for ev in quotes.get((c, m), [])[:1]:
            if shown < QUOTES_PER_EDGE:
                tip.append(_line(ev.quote, ev.quote, "quote"))
                shown += 1
    sources = sorted({ev.source for m in ms for ev in quotes.get((c, m), [])})
    for s in sources:
        title = _short(site.sources[s].title if s in site.sources else Text(s, s), 30, 60)
        tip.append(_line(f"来源:{title['zh']}", f"Source: {title['en']}", "source"))
    return {"from": f"case:{c}", "to": f"family:{f}", "type": "uses", "tip": tip, "value": len(ms)}


def _family_nodes(site: SiteData, by_family: dict, colors: dict[str, str]) -> dict[str, dict]:
    cases: dict[str, list[str]] = defaultdict(list)
    members: dict[str, set[str]] = defaultdict(set)
    for (c, f), ms in sorted(by_family.items()):
        cases[f].append(c)
        members[f].update(ms)
    out = {}
    for f in sorted(cases, key=lambda f: (-len(cases[f]), f)):
        mech = site.mechanisms.get(f)
        label = mech.label if mech else Text(f, f)
        tip = [
            _line(label.zh, label.en, "title"),
            _line(f"{len(cases[f])} 个案例采用", f"used by {len(cases[f])} cases"),
            _line(f"其中机制 {len(members[f])} 个", f"{len(members[f])} mechanisms in it"),
        ]
        if mech and mech.definition:
            tip.append(_line(mech.definition.zh, mech.definition.en))
        out[f] = _node(
            f"family:{f}",
            "family",
            pair(label),
            f"../mechanism/{f}.html",
            tip,
            cases[f],
            value=len(cases[f]),
            color=colors[f],
        )
    return out


def _recurring(site: SiteData) -> tuple[dict[tuple[str, str], list[str]], int]:
    """(case, family) -> mechanisms, for the families of MIN_SHARED cases or more; and
    how many families were left out (those of a single case)."""
    everything = _uses_by_family(site)
    count: dict[str, int] = defaultdict(int)
    for _, f in everything:
        count[f] += 1
    kept = {key: ms for key, ms in everything.items() if count[key[1]] >= MIN_SHARED}
    return kept, sum(1 for n in count.values() if n < MIN_SHARED)


def families_view(site: SiteData) -> NetView:
    by_family, alone = _recurring(site)
    families = sorted({f for _, f in by_family}, key=lambda f: f)
    colors = _family_colors(families)
    quotes = _quotes(site)
    fam_nodes = _family_nodes(site, by_family, colors)
    nodes = [_case_node(site, c) for c in site.cases] + list(fam_nodes.values())
    edges = [_uses_edge(site, c, f, ms, quotes) for (c, f), ms in sorted(by_family.items())]
    legend = [{"color": NODE_KINDS["case"][0], "label": pair(NODE_KINDS["case"][2])}]
    legend += [
        {"color": colors[f], "label": fam_nodes[f]["label"], "shape": "diamond"} for f in fam_nodes
    ]
    legend.append(
        {"color": EDGE_KINDS["uses"][0], "label": pair(EDGE_KINDS["uses"][1]), "edge": True}
    )
    return NetView(
        "families",
        Text("案例与机制族", "Cases and mechanism families"),
        Text(
            "哪些机制族反复出现、出现在哪些案例中?机制族的大小为采用它的案例数;悬停连线可见原文。"
            f"只用于一个案例的 {alone} 个机制族不在图中(见各案例页和机制页)。",
            "Which mechanism families recur, and in which cases? A family's size is its "
            "number of cases; hover an edge for the quotes. The "
            f"{alone} families of a single case are left out (see the case and mechanism pages).",
        ),
        nodes,
        edges,
        legend,
    )


def graph_view(site: SiteData) -> NetView:
    by_family, alone = _recurring(site)
    quotes = _quotes(site)
    families = sorted({f for _, f in by_family})
    fam_nodes = _family_nodes(site, by_family, {f: NODE_KINDS["family"][0] for f in families})
    nodes = [_case_node(site, c) for c in site.cases]
    edges: list[dict] = []
    seen: set[str] = set()
    under: dict[str, list[str]] = defaultdict(list)
    for c, case in site.cases.items():
        body = site.bodies.get(case.body)
        if body is None:
            continue
        under[f"body:{body.id}"].append(c)
        for p in site.place_chain(body.place):
            under[f"place:{p}"].append(c)
    for b, body in site.bodies.items():
        if f"body:{b}" not in under:
            continue
        tip = [
            _line(body.label.zh, body.label.en, "title"),
            _line(f"申报案例 {len(body.cases)} 个", f"{len(body.cases)} cases declared"),
        ]
        nodes.append(
            _node(
                f"body:{b}",
                "body",
                _short(body.label, 10, 24),
                f"../body/{b}.html",
                tip,
                under[f"body:{b}"],
                value=2,
            )
        )
        for c in (c for c in body.cases if c in site.cases):
            edges.append(
                {
                    "from": f"case:{c}",
                    "to": f"body:{b}",
                    "type": "declaredBy",
                    "tip": [_line("申报", "declared by", "title")],
                }
            )
        chain = site.place_chain(body.place)
        if chain:
            edges.append(
                {
                    "from": f"body:{b}",
                    "to": f"place:{chain[0]}",
                    "type": "jurisdiction",
                    "tip": [_line("辖区", "jurisdiction", "title")],
                }
            )
        for child, parent in zip(chain, chain[1:], strict=False):
            key = f"{child}>{parent}"
            if key not in seen:
                seen.add(key)
                edges.append(
                    {
                        "from": f"place:{child}",
                        "to": f"place:{parent}",
                        "type": "partOf",
                        "tip": [_line("隶属", "part of", "title")],
                    }
                )
    for p in sorted(k.removeprefix("place:") for k in under if k.startswith("place:")):
        place = site.places[p]
        cases = sorted(set(under[f"place:{p}"]))
        tip = [
            _line(place.label.zh, place.label.en, "title"),
            _line(f"本地及下辖案例 {len(cases)} 个", f"{len(cases)} cases here and below"),
        ]
        nodes.append(
            _node(
                f"place:{p}", "place", pair(place.label), f"../place/{p}.html", tip, cases, value=2
            )
        )
    nodes += list(fam_nodes.values())
    edges += [_uses_edge(site, c, f, ms, quotes) for (c, f), ms in sorted(by_family.items())]
    legend = [
        {"color": NODE_KINDS[k][0], "label": pair(NODE_KINDS[k][2]), "shape": NODE_KINDS[k][1]}
        for k in ("case", "body", "place", "family")
    ]
    legend += [
        {"color": EDGE_KINDS[k][0], "label": pair(EDGE_KINDS[k][1]), "edge": True}
        for k in ("declaredBy", "jurisdiction", "partOf", "uses")
    ]
    return NetView(
        "graph",
        Text("整体图谱", "The whole graph"),
        Text(
            "谁在哪里申报了什么、用了哪些机制族?案例—申报单位—辖区—上级地点,以及案例采用的机制族"
            f"(只用于一个案例的 {alone} 个机制族见各案例页)。",
            "Who declared what, where, using which mechanism families? Case → body → "
            "jurisdiction → larger places, and each case's families (the "
            f"{alone} families of a single case are on the case pages).",
        ),
        nodes,
        edges,
        legend,
    )


def cooccurrence_view(site: SiteData, pairs: dict[str, list[Pair]]) -> NetView:
    users: dict[str, list[str]] = defaultdict(list)
    for c, case in site.cases.items():
        for m in case.mechanisms:
            users[m].append(c)
    recurring = {m for m, cs in users.items() if len(cs) >= MIN_SHARED}
    users = {m: cs for m, cs in users.items() if m in recurring}
    families = sorted({site.families(m)[0] for m in users})
    colors = _family_colors(families)
    nodes = []
    for m in sorted(users, key=lambda m: (-len(users[m]), m)):
        mech = site.mechanisms.get(m)
        label = mech.label if mech else Text(m, m)
        fam = site.families(m)[0]
        fl = site.mechanisms[fam].label if fam in site.mechanisms else Text(fam, fam)
        tip = [
            _line(label.zh, label.en, "title"),
            _line(f"机制族:{fl.zh}", f"Family: {fl.en or fl.zh}"),
            _line(f"{len(users[m])} 个案例采用", f"used by {len(users[m])} cases"),
        ]
        nodes.append(
            _node(
                f"mechanism:{m}",
                "mechanism",
                pair(label),
                f"../mechanism/{m}.html",
                tip,
                users[m],
                value=len(users[m]),
                color=colors[fam],
            )
        )
    edges = []
    for m, ps in sorted(pairs.items()):
        for p in ps:
            if m >= p.other or p.shared < MIN_SHARED or m not in users or p.other not in users:
                continue
            a = site.mechanisms[m].label if m in site.mechanisms else Text(m, m)
            b = site.mechanisms[p.other].label if p.other in site.mechanisms else Text(p.other)
            shared = sorted(set(users[m]) & set(users[p.other]))
            titles = [site.cases[c].title for c in shared]
            tip = [
                _line(f"{a.zh} + {b.zh}", f"{a.en or a.zh} + {b.en or b.zh}", "title"),
                _line(
                    f"共同案例 {p.shared} 个;支持度 {p.support:.2f};提升度 {p.lift:.2f};"
                    f"Fisher p = {p.p:.3g}",
                    f"{p.shared} shared cases; support {p.support:.2f}; lift {p.lift:.2f}; "
                    f"Fisher p = {p.p:.3g}",
                ),
            ]
            tip += [_line(s["zh"], s["en"]) for s in (_short(t, 16, 40) for t in titles[:3])]
            if len(titles) > 3:
                tip.append(_line(f"……共 {len(titles)} 个", f"... {len(titles)} in all"))
            edges.append(
                {
                    "from": f"mechanism:{m}",
                    "to": f"mechanism:{p.other}",
                    "type": "cooccurs",
                    "value": p.shared,
                    "tip": tip,
                    "cases": shared,
                }
            )
    legend = [
        {
            "color": colors[f],
            "label": pair(site.mechanisms[f].label if f in site.mechanisms else Text(f, f)),
            "shape": "diamond",
        }
        for f in families
    ]
    legend.append(
        {"color": EDGE_KINDS["cooccurs"][0], "label": pair(EDGE_KINDS["cooccurs"][1]), "edge": True}
    )
    return NetView(
        "cooccurrence",
        Text("机制共现", "Mechanism co-occurrence"),
        Text(
            "哪些机制在多个案例中一起出现?只显示至少两个案例采用的机制和至少两个案例共有的组合;"
            "颜色为机制族,连线粗细为共同案例数,悬停可见支持度、提升度与 Fisher 检验。",
            "Which mechanisms recur together? Only mechanisms of two or more cases and pairs "
            "shared by two or more are drawn; colour = family, edge width = shared cases; "
            "hover for support, lift and Fisher's exact p.",
        ),
        nodes,
        edges,
        legend,
    )
