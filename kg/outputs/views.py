"""The content of each interactive view: nodes, edges, legend, layout — no HTML here.

Every view is capped at `NODE_BUDGET` nodes (vis-network freezes around 1,500 with
physics on); above it the view keeps the best-connected nodes and says so on the page.
Views above `PHYSICS_LIMIT` nodes get a precomputed layout and no physics.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import networkx as nx

from kg.analysis.networks import (
    communities,
    compact_id,
    load_case_mechanisms,
    network_graph,
    ordered_graph,
    similarity_graph,
)
from kg.records.schema import UNIT_LABELS

if TYPE_CHECKING:
    from kg.analysis.networks import CaseMechanisms
    from kg.query.graph import QueryGraph

NODE_BUDGET = 1200  # 1,500 nodes came to 5.1 MB with the inlined library
EDGE_BUDGET = 10_000  # beyond it each node keeps its strongest links (see prune_edges)
PHYSICS_LIMIT = 300
EGO_BUDGET = 500  # at most this many per-case pages

KINDS = {
    "case": ("#e15759", "dot", "案例", "case"),
    "body": ("#4e79a7", "square", "申报单位", "declaring body"),
    "place": ("#59a14f", "triangle", "地点", "place"),
    "mechanism": ("#f28e2b", "diamond", "机制", "mechanism"),
    "actor": ("#b07aa1", "star", "主体", "actor"),
    "quantity": ("#9c755f", "box", "数量", "quantity"),
}
PALETTE = [
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
    "#86bcb6",
    "#d37295",
    "#fabfd2",
    "#b6992d",
    "#499894",
    "#79706e",
]
RELATIONS = {
    "declaredBy": ("申报", "declared by"),
    "jurisdiction": ("辖区", "jurisdiction"),
    "partOf": ("隶属", "part of"),
    "usesMechanism": ("采用", "uses"),
    "hasLeadingActor": ("领导", "led by"),
    "hasSupportingActor": ("支持", "supported by"),
    "hasParticipatingActor": ("参与", "with"),
    "hasEvaluatingActor": ("评价", "evaluated by"),
    "supervises": ("监督", "supervises"),
    "reportsQuantity": ("数量", "reports"),
}


@dataclass
class View:
    """One page: what it shows, and the data vis-network draws."""

    slug: str
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    nodes: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    legend: list[dict] = field(default_factory=list)
    note_zh: str = ""
    note_en: str = ""
    hierarchical: bool = False

    @property
    def physics(self) -> bool:
        return len(self.nodes) <= PHYSICS_LIMIT and not self.hierarchical


def _short(text: str, limit: int = 10) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _node(node_id: str, kind: str, zh: str, en: str, **extra) -> dict:
    """A node; cases and quantities get short labels, their full text is in the tooltip."""
    color, shape, kind_zh, kind_en = KINDS[kind]
    zh, en = zh or node_id, en or zh or node_id
    label_zh, label_en = zh, en
    if kind == "case":
        key = node_id.split(":")[-1]
        label_zh, label_en = f"{key} {_short(zh)}", f"{key} {_short(en, 24)}"
    return {
        "id": node_id,
        "group": kind,
        "label_zh": label_zh,
        "label_en": label_en,
        "title_zh": f"{kind_zh}: {zh}",
        "title_en": f"{kind_en}: {en}",
        "color": color,
        "shape": shape,
        **extra,
    }


def _kind_legend(nodes: list[dict]) -> list[dict]:
    used = {n["group"] for n in nodes}
    return [
        {"group": k, "zh": v[2], "en": v[3], "color": v[0], "shape": v[1]}
        for k, v in KINDS.items()
        if k in used
    ]


def _sized(nodes: list[dict], edges: list[dict]) -> None:
    """Node size (vis `value`) by degree unless the view set it already."""
    degree: dict[str, int] = defaultdict(int)
    for e in edges:
        degree[e["from"]] += 1
        degree[e["to"]] += 1
    for n in nodes:
        n.setdefault("value", max(1, degree[n["id"]]))


def apply_budget(view: View, budget: int = NODE_BUDGET) -> View:
    """Keep the `budget` best-connected nodes (ties by id) and say what was left out."""
    if len(view.nodes) <= budget:
        return view
    degree: dict[str, int] = defaultdict(int)
    for e in view.edges:
        degree[e["from"]] += 1
        degree[e["to"]] += 1
    ranked = sorted(view.nodes, key=lambda n: (-degree[n["id"]], n["id"]))
    keep = {n["id"] for n in ranked[:budget]}
    total = len(view.nodes)
    view.nodes = [n for n in view.nodes if n["id"] in keep]
    view.edges = [e for e in view.edges if e["from"] in keep and e["to"] in keep]
    view.note_zh = f"节点过多:仅显示连接最多的 {budget} 个节点(共 {total} 个)。"
    view.note_en = f"Too many nodes: showing the {budget} best-connected of {total}."
    return view


def prune_edges(view: View, budget: int = EDGE_BUDGET) -> View:
    """Keep each node's strongest edges (by `value`) until the view fits `budget` edges."""
    if len(view.edges) <= budget:
        return view
    per_node = max(1, budget // max(1, len(view.nodes)))
    ranked = sorted(range(len(view.edges)), key=lambda i: (-view.edges[i].get("value", 1), i))
    kept: set[int] = set()
    count: dict[str, int] = defaultdict(int)
    for i in ranked:
        e = view.edges[i]
        if count[e["from"]] < per_node or count[e["to"]] < per_node:
            kept.add(i)
            count[e["from"]] += 1
            count[e["to"]] += 1
    total = len(view.edges)
    view.edges = [e for i, e in enumerate(view.edges) if i in kept][:budget]
    view.note_zh += (
        f"连线过多:每个节点保留最强的 {per_node} 条(共 {total} 条中的 {len(view.edges)} 条)。"
    )
    view.note_en += (
        f" Too many edges: each node keeps its {per_node} strongest ({len(view.edges)} of {total})."
    )
    return view


def _layout(view: View) -> View:
    """Precompute positions for views too large for live physics."""
    if view.physics or view.hierarchical:
        return view
    graph = ordered_graph((n["id"] for n in view.nodes), ((e["from"], e["to"]) for e in view.edges))
    positions = nx.spring_layout(graph, seed=1, iterations=40)
    for n in view.nodes:
        x, y = positions[n["id"]]
        n["x"], n["y"] = round(float(x) * 1500, 1), round(float(y) * 1500, 1)
    return view


def _finish(view: View) -> View:
    view = prune_edges(apply_budget(view))
    _sized(view.nodes, view.edges)
    if not view.legend:
        view.legend = _kind_legend(view.nodes)
    return _layout(view)


def whole_graph(kg: QueryGraph, edges: list[dict] | None = None) -> View:
    graph = network_graph(kg, edges)
    nodes = [_node(n, a["kind"], a["label_zh"], a["label_en"]) for n, a in graph.nodes(data=True)]
    edges = []
    for a, b, attrs in graph.edges(data=True):
        zh, en = RELATIONS.get(attrs["relation"], (attrs["relation"], attrs["relation"]))
        edges.append({"from": a, "to": b, "title_zh": zh, "title_en": en})
    return _finish(
        View(
            "graph",
            "整体图谱",
            "The whole graph",
            "案例、申报单位、地点、机制与主体及其关系。",
            "Cases, declaring bodies, places, mechanisms and actors, and how they connect.",
            nodes,
            edges,
        )
    )


def case_mechanism(kg: QueryGraph, data: CaseMechanisms) -> View:
    graph = kg.bipartite_graph()
    nodes = [_node(n, a["kind"], a["label_zh"], a["label_en"]) for n, a in graph.nodes(data=True)]
    for n in nodes:
        if n["group"] == "mechanism":
            n["value"] = graph.nodes[n["id"]]["cases"]
            n["title_zh"] += f"\n案例数: {n['value']}"
            n["title_en"] += f"\ncases: {n['value']}"
    edges = [
        {"from": a, "to": b, "title_zh": attrs["quote"], "title_en": attrs["quote"]}
        for a, b, attrs in graph.edges(data=True)
    ]
    return _finish(
        View(
            "case-mechanism",
            "案例—机制",
            "Cases and mechanisms",
            "哪个案例采用哪种机制;悬停连线可见原文证据。",
            "Which case uses which mechanism; hover an edge for the evidence quote.",
            nodes,
            edges,
        )
    )


def _family_legend(data: CaseMechanisms, mechanisms: list[str]) -> tuple[dict, list[dict]]:
    families = sorted({data.families(m)[0] for m in mechanisms})
    color = {f: PALETTE[i % len(PALETTE)] for i, f in enumerate(families)}
    legend = [
        {
            "group": f,
            "zh": data.mechanism_attrs.get(f, {}).get("label_zh", f),
            "en": data.mechanism_attrs.get(f, {}).get("label_en", f),
            "color": color[f],
            "shape": "diamond",
        }
        for f in families
    ]
    return color, legend


def cooccurrence(kg: QueryGraph, data: CaseMechanisms) -> View:
    graph = kg.cooccurrence_graph()
    color, legend = _family_legend(data, list(graph.nodes))
    nodes = []
    for n, a in graph.nodes(data=True):
        family = data.families(n)[0]
        node = _node(n, "mechanism", a["label_zh"], a["label_en"], value=a["cases"])
        node.update(group=family, color=color[family])
        node["title_zh"] += f"\n案例数: {a['cases']}"
        node["title_en"] += f"\ncases: {a['cases']}"
        nodes.append(node)
    edges = [
        {
            "from": a,
            "to": b,
            "value": w["weight"],
            "title_zh": f"共同案例: {w['weight']}",
            "title_en": f"shared cases: {w['weight']}",
        }
        for a, b, w in graph.edges(data=True)
    ]
    return _finish(
        View(
            "cooccurrence",
            "机制共现",
            "Mechanism co-occurrence",
            "同一案例中共同出现的机制;连线粗细为共同案例数,节点大小为案例数。",
            "Mechanisms used in the same cases; edge width = shared cases, node "
            "size = cases using the mechanism.",
            nodes,
            edges,
            legend,
        )
    )


def similarity(kg: QueryGraph, data: CaseMechanisms) -> View:
    """Case similarity with Louvain colours; above the node budget, of an even sample
    (every k-th case by id), as the graph of all cases would be computed only to be cut."""
    cases = sorted(data.uses)
    sample = None
    if len(cases) > NODE_BUDGET:
        step = -(-len(cases) // NODE_BUDGET)
        sample = cases[::step]
    graph = similarity_graph(kg, data, cases=sample)
    groups = communities(graph)
    member = {c: i for i, g in enumerate(groups) for c in g}
    legend = [
        {
            "group": f"community-{i + 1}",
            "zh": f"群组 {i + 1}",
            "en": f"community {i + 1}",
            "color": PALETTE[i % len(PALETTE)],
            "shape": "dot",
        }
        for i in range(len(groups))
    ]
    nodes = []
    for n, a in graph.nodes(data=True):
        node = _node(n, "case", a["label_zh"], a["label_en"])
        i = member[n]
        node.update(group=f"community-{i + 1}", color=PALETTE[i % len(PALETTE)])
        nodes.append(node)
    edges = [
        {
            "from": a,
            "to": b,
            "value": w["shared"],
            "title_zh": f"Jaccard {w['weight']:.2f}; 共同机制: {w['mechanisms']}",
            "title_en": f"Jaccard {w['weight']:.2f}; shared: {w['mechanisms']}",
        }
        for a, b, w in graph.edges(data=True)
    ]
    view = _finish(
        View(
            "similarity",
            "案例相似度",
            "Case similarity",
            "共享机制(含上位机制族)的案例相连;颜色为 Louvain 群组。",
            "Cases linked by shared mechanisms (families included); colour = Louvain community.",
            nodes,
            edges,
            legend,
        )
    )
    if sample is not None:
        shown, total = len(sample), len(cases)
        view.note_zh = f"案例过多:每隔 {step} 个抽取 1 个,显示 {shown} 个(共 {total} 个)。" + (
            view.note_zh
        )
        view.note_en = f"Too many cases: one in every {step} ({shown} of {total}). " + view.note_en
    return view


def places(kg: QueryGraph, rows: list[dict] | None = None) -> View:
    nodes: dict[str, dict] = {}
    edges = []
    rows = kg.select("network-edges").dicts() if rows is None else rows
    rank = {compact_id(r["place"]): int(r["rank"]) for r in kg.select("places").dicts()}
    body_place = {
        compact_id(r["source"]): compact_id(r["target"])
        for r in rows
        if r["relation"] == "jurisdiction"
    }
    for r in rows:
        s, t = compact_id(r["source"]), compact_id(r["target"])
        if r["relation"] == "partOf":
            nodes.setdefault(s, _node(s, "place", r["source_zh"], r["source_en"]))
            nodes.setdefault(t, _node(t, "place", r["target_zh"], r["target_en"]))
            edges.append({"from": t, "to": s, "title_zh": "下辖", "title_en": "contains"})
        elif r["relation"] == "declaredBy" and t in body_place:
            case = nodes.setdefault(s, _node(s, "case", r["source_zh"], r["source_en"]))
            case["label_zh"] = case["label_en"] = s.split(":")[-1]  # many side by side
            edges.append(
                {
                    "from": body_place[t],
                    "to": s,
                    "title_zh": r["target_zh"] or "",
                    "title_en": r["target_en"] or "",
                }
            )
    for node in nodes.values():
        node["level"] = rank.get(node["id"], 5) - 1  # province 0 ... township 3, cases 4
    view = View(
        "places",
        "地域层级",
        "Places",
        "行政区划层级(省—地级市—县级—乡镇街道),案例挂在其申报单位的辖区上。",
        "The administrative hierarchy (province > prefecture > county > township) "
        "with each case on its declaring body's jurisdiction.",
        list(nodes.values()),
        edges,
        hierarchical=True,
    )
    return _finish(view)


def ego_views(kg: QueryGraph, rows: list[dict] | None = None) -> list[View]:
    """One view per case: body, place chain, mechanisms, actors, quantities."""
    rows = kg.select("network-edges").dicts() if rows is None else rows
    labels: dict[str, tuple[str, str, str]] = {}
    out_edges: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in rows:
        s, t = compact_id(r["source"]), compact_id(r["target"])
        labels[s] = (r["source_kind"], r["source_zh"], r["source_en"])
        labels[t] = (r["target_kind"], r["target_zh"], r["target_en"])
        out_edges[s].append((r["relation"], t))
    quantities: dict[str, list[dict]] = defaultdict(list)
    for q in kg.select("quantities").dicts():
        quantities[compact_id(q["case"])].append(q)
    cases = sorted(s for s, (kind, _, _) in labels.items() if kind == "case")
    views = []
    for case in cases[:EGO_BUDGET]:
        nodes = {case: _node(case, "case", labels[case][1], labels[case][2], value=6)}
        edges = []
        frontier = [case]
        while frontier:
            current = frontier.pop()
            for relation, target in out_edges[current]:
                if current != case and relation not in ("jurisdiction", "partOf"):
                    continue
                if target not in nodes:
                    kind, zh, en = labels[target]
                    nodes[target] = _node(target, kind, zh, en)
                    frontier.append(target)
                zh, en = RELATIONS.get(relation, (relation, relation))
                edges.append(
                    {
                        "from": current,
                        "to": target,
                        "label_zh": zh,
                        "label_en": en,
                        "title_zh": zh,
                        "title_en": en,
                    }
                )
        for i, q in enumerate(quantities.get(case, []), 1):
            qid = f"{case}/quantity/{i}"
            value = f"{q['value']:,}" if isinstance(q["value"], int | float) else q["value"]
            zh_unit, en_unit = UNIT_LABELS.get(q["unit"], (q["unit"], q["unit"]))
            node = _node(qid, "quantity", f"{value}{zh_unit}", f"{value} {en_unit}")
            node["title_zh"] = f"{value} {q['unit']}: {q['what_zh']}\n{q['quote']}"
            node["title_en"] = f"{value} {q['unit']}: {q['what_en'] or q['what_zh']}\n{q['quote']}"
            nodes[qid] = node
            edges.append({"from": case, "to": qid, "title_zh": q["quote"], "title_en": q["quote"]})
        slug = "case-" + case.split(":")[-1]
        views.append(
            _finish(
                View(
                    slug,
                    labels[case][1],
                    labels[case][2] or labels[case][1],
                    f"案例 {case.split(':')[-1]} 的申报单位、地点、机制、主体与数量。",
                    f"Case {case.split(':')[-1]}: its body, places, mechanisms, "
                    "actors and quantities.",
                    list(nodes.values()),
                    edges,
                )
            )
        )
    return views


def all_views(kg: QueryGraph) -> tuple[list[View], list[View], int]:
    """The overview views, the per-case views, and how many cases had no page (budget)."""
    data = load_case_mechanisms(kg)
    edges = kg.select("network-edges").dicts()  # read once: three views use it
    main = [
        whole_graph(kg, edges),
        case_mechanism(kg, data),
        cooccurrence(kg, data),
        similarity(kg, data),
        places(kg, edges),
    ]
    egos = ego_views(kg, edges)
    return main, egos, max(0, len(data.uses) - len(egos))
