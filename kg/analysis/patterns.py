"""The cross-case pattern report: recurring mechanisms, frequent sets, clusters, contrasts.

Everything is computed from two edge lists (case–mechanism and the mechanism
hierarchy), so the report costs two queries however large the graph.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
from rdflib import Literal

from kg.analysis.networks import (
    CaseMechanisms,
    communities,
    cooccurrence_graph,
    load_case_mechanisms,
    module_communities,
    similarity_graph,
)
from kg.query.writers import format_table
from kg.store.rows import Table

if TYPE_CHECKING:
    from kg.query.graph import QueryGraph

LEVELS = {"rkg:CountyLevel": "county", "rkg:TownshipLevel": "township"}
REGIONS = {
    "region:pearl-river-delta": "pearl-river-delta",
    "region:east": "east",
    "region:west": "west",
    "region:north": "north",
    "": "no-region",
}


@dataclass
class Patterns:
    """The report; `to_dict()` is its JSON form, `to_markdown()` and `to_text()` for people."""

    cases: int
    recurring: list[dict] = field(default_factory=list)
    itemsets: list[dict] = field(default_factory=list)
    communities: list[dict] = field(default_factory=list)
    bridges: list[dict] = field(default_factory=list)
    by_level: list[dict] = field(default_factory=list)
    by_category: list[dict] = field(default_factory=list)
    by_region: list[dict] = field(default_factory=list)
    supervised: list[dict] = field(default_factory=list)
    station_types: list[dict] = field(default_factory=list)
    first_appearance: list[dict] = field(default_factory=list)
    selection_reasons: list[dict] = field(default_factory=list)
    party_role: list[dict] = field(default_factory=list)
    by_party_role: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    def to_markdown(self) -> str:
        return _render(self, markdown=True)

    def to_text(self) -> str:
        return _render(self, markdown=False)


def _label(data: CaseMechanisms, mech: str) -> tuple[str, str]:
    attrs = data.mechanism_attrs.get(mech, {})
    return attrs.get("label_zh", mech), attrs.get("label_en", "")


def recurring_mechanisms(data: CaseMechanisms, min_cases: int = 2) -> list[dict]:
    """Mechanisms (families rolled up) used by at least `min_cases` cases, with the cases."""
    table = data.incidence(expanded=True)
    rows = []
    for mech, count in table.counts().items():
        if count >= min_cases:
            zh, en = _label(data, mech)
            rows.append(
                {
                    "mechanism": mech,
                    "label_zh": zh,
                    "label_en": en,
                    "family": data.families(mech)[0],
                    "is_family": not data.broader.get(mech),
                    "count": count,
                    "cases": table.members(mech),
                }
            )
    return sorted(rows, key=lambda r: (-r["count"], r["mechanism"]))


def frequent_itemsets(data: CaseMechanisms, min_count: int = 2, max_size: int = 3) -> list[dict]:
    """Mechanism sets shared by ≥ `min_count` cases, with support, confidence and lift.

    Families count as items; a set never holds a concept together with its ancestor.
    Confidence and lift are given for pairs (A→B and B→A).
    """
    n = len(data.uses)
    table = data.incidence(expanded=True)
    single = table.counts()
    frequent = [j for j, m in enumerate(table.items) if single.get(m, 0) >= min_count]
    items = [table.items[j] for j in frequent]
    matrix = table.matrix[:, frequent]
    rows = []
    for size in range(2, max_size + 1):
        for combo, k in _set_counts(data, matrix, items, size, min_count).items():
            row = {
                "items": list(combo),
                "labels_zh": [_label(data, m)[0] for m in combo],
                "count": k,
                "support": round(k / n, 4),
            }
            if size == 2:
                a, b = combo
                row["confidence_ab"] = round(k / single[a], 4)
                row["confidence_ba"] = round(k / single[b], 4)
                row["lift"] = round(k * n / (single[a] * single[b]), 4)
            rows.append(row)
    return sorted(rows, key=lambda r: (-r["count"], -r.get("lift", 0), len(r["items"]), r["items"]))


def _set_counts(
    data: CaseMechanisms, matrix: np.ndarray, items: list[str], size: int, min_count: int
) -> dict[tuple[str, ...], int]:
    """The `size`-sets of `items` (the columns of the 0/1 case matrix) that at least
    `min_count` cases hold, without a concept and its ancestor in one set.

    Apriori over matrix products: the cases holding a prefix set are a row subset, and
    its pair counts are one product; a prefix held by fewer than `min_count` cases has
    no frequent superset, so it is not followed.
    """
    out: dict[tuple[str, ...], int] = {}
    min_count = max(min_count, 1)  # a set no case holds is not a pattern

    def extend(prefix: tuple[int, ...], rows: np.ndarray) -> None:
        start = prefix[-1] + 1 if prefix else 0
        if len(prefix) == size - 2:
            tail = rows[:, start:]
            pairs = np.triu(tail.T @ tail, k=1)
            for a, b in zip(*np.nonzero(pairs >= min_count), strict=True):
                combo = tuple(items[i] for i in (*prefix, start + a, start + b))
                if not any(
                    x in data.ancestors(y) or y in data.ancestors(x)
                    for x, y in combinations(combo, 2)
                ):
                    out[combo] = int(pairs[a, b])
            return
        for i in range(start, len(items)):
            holding = rows[rows[:, i] > 0]
            if len(holding) >= min_count:
                extend((*prefix, i), holding)

    extend((), matrix)
    return out


SIMILARITY_COMMUNITY_LIMIT = 2000  # above it: mechanism modules (networks.module_communities)


def case_communities(kg: QueryGraph, data: CaseMechanisms, seed: int = 42) -> list[dict]:
    """Communities of alike cases: Louvain on the case-similarity graph up to
    `SIMILARITY_COMMUNITY_LIMIT` cases; above it, cases join the mechanism module (Louvain
    on the co-occurrence network) that holds most of their mechanisms, since the
    similarity graph grows with the square of the corpus (~10 s at 10k, minutes at 100k).
    Each row says which `method` made it."""
    if len(data.uses) <= SIMILARITY_COMMUNITY_LIMIT:
        groups = communities(similarity_graph(kg, data), seed=seed)
        method = "louvain-case-similarity"
    else:
        groups, _ = module_communities(data, seed=seed)
        method = "mechanism-modules"
    rows = []
    for i, members in enumerate(groups, 1):
        shared = data.incidence(expanded=True).counts(members)
        common = [
            m
            for m, k in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))
            if k >= max(2, (len(members) + 1) // 2)
        ][:6]
        rows.append(
            {
                "community": i,
                "cases": members,
                "titles_zh": [data.case_attrs[c]["label_zh"] for c in members],
                "shared_mechanisms": common,
                "method": method,
            }
        )
    return rows


def bridging_mechanisms(kg: QueryGraph, data: CaseMechanisms, top: int = 10) -> list[dict]:
    """Betweenness in the co-occurrence network of direct tags (on the projection: cheap)."""
    graph = cooccurrence_graph(kg, data)
    scores = nx.betweenness_centrality(graph, normalized=True)
    ranked = sorted(
        ((round(v, 4), m) for m, v in scores.items() if v > 0), key=lambda x: (-x[0], x[1])
    )[:top]
    return [
        {
            "mechanism": m,
            "label_zh": _label(data, m)[0],
            "betweenness": v,
            "degree": graph.degree(m),
        }
        for v, m in ranked
    ]


def contrast(
    data: CaseMechanisms, attribute: str, names: dict[str, str] | None = None
) -> list[dict]:
    """Family-level use per group of cases (level, category, region): counts and shares."""
    groups: dict[str, list[str]] = {}
    for case, attrs in sorted(data.case_attrs.items()):
        key = attrs.get(attribute, "")
        groups.setdefault((names or {}).get(key, key), []).append(case)
    return contrast_groups(data, groups)


def contrast_groups(data: CaseMechanisms, groups: dict[str, list[str]]) -> list[dict]:
    """Family-level use in each group of cases: `group` cases and `group_share`."""
    used = {m for ms in data.uses.values() for m in ms}
    families = sorted({f for m in used for f in data.families(m)})
    table = data.incidence(expanded=True)
    counts = {group: table.counts(cases) for group, cases in groups.items()}
    rows = []
    for fam in families:
        row = {"family": fam, "label_zh": _label(data, fam)[0], "label_en": _label(data, fam)[1]}
        for group, cases in sorted(groups.items()):
            k = counts[group].get(fam, 0)
            row[group] = k
            row[f"{group}_share"] = round(k / len(cases), 3)
        rows.append(row)
    return rows


def find_patterns(kg: QueryGraph, *, min_cases: int = 2, seed: int = 42) -> Patterns:
    from kg.analysis import sections

    data = load_case_mechanisms(kg)
    party, party_groups = sections.party_role(kg, data)
    return Patterns(
        cases=len(data.uses),
        recurring=recurring_mechanisms(data, min_cases),
        itemsets=frequent_itemsets(data, min_cases),
        communities=case_communities(kg, data, seed),
        bridges=bridging_mechanisms(kg, data),
        by_level=contrast(data, "level", LEVELS),
        by_category=contrast(data, "category"),
        by_region=contrast(data, "region", REGIONS),
        supervised=sections.supervised(kg),
        station_types=sections.station_types(kg),
        first_appearance=sections.first_appearances(kg),
        selection_reasons=sections.selection_reasons(kg),
        party_role=party,
        by_party_role=contrast_groups(data, party_groups),
    )


# -- rendering --


def _table(headers: list[str], rows: list[list[object]], markdown: bool) -> list[str]:
    table = Table(headers, [tuple(Literal(str(v)) for v in row) for row in rows])
    return format_table(table, "md" if markdown else "table").rstrip("\n").splitlines()


def _ids(cases: list[str], shown: int = 12) -> str:
    """Short case ids for a table cell; long lists end with how many more (JSON has all)."""
    text = " ".join(c.split(":")[-1] for c in cases[:shown])
    return text + (f" … (+{len(cases) - shown})" if len(cases) > shown else "")


def _render(p: Patterns, markdown: bool) -> str:
    h = "## " if markdown else ""
    out = [f"{'# ' if markdown else ''}Cross-case patterns ({p.cases} cases)", ""]
    out += [f"{h}Recurring mechanisms (in ≥ 2 cases)", ""]
    out += _table(
        ["mechanism", "label", "cases", "which"],
        [
            [
                r["mechanism"],
                r["label_zh"],
                r["count"],
                _ids(r["cases"]),
            ]
            for r in p.recurring
        ],
        markdown,
    )
    out += ["", f"{h}Frequent mechanism sets (support, confidence, lift)", ""]
    out += _table(
        ["items", "cases", "support", "conf a→b", "conf b→a", "lift"],
        [
            [
                " + ".join(r["items"]),
                r["count"],
                r["support"],
                r.get("confidence_ab", ""),
                r.get("confidence_ba", ""),
                r.get("lift", ""),
            ]
            for r in p.itemsets[:40]
        ],
        markdown,
    )
    if len(p.itemsets) > 40:
        out.append(f"({len(p.itemsets) - 40} more sets in --format json)")
    method = (p.communities[0]["method"] if p.communities else "") == "mechanism-modules"
    how = "cases joined to Louvain mechanism modules" if method else "Louvain on Jaccard similarity"
    out += ["", f"{h}Communities of similar cases ({how})", ""]
    out += _table(
        ["community", "cases", "shared mechanisms"],
        [
            [
                r["community"],
                _ids(r["cases"]),
                " ".join(r["shared_mechanisms"]),
            ]
            for r in p.communities
        ],
        markdown,
    )
    out += ["", f"{h}Bridging mechanisms (betweenness in the co-occurrence network)", ""]
    out += _table(
        ["mechanism", "label", "betweenness", "degree"],
        [[r["mechanism"], r["label_zh"], r["betweenness"], r["degree"]] for r in p.bridges],
        markdown,
    )
    contrasts = (
        ("level", p.by_level),
        ("category (section)", p.by_category),
        ("region", p.by_region),
        (
            "party role (cases with a passage on the party committee's role, and without)",
            p.by_party_role,
        ),
    )
    for title, rows in contrasts:
        groups = [
            k
            for k in (rows[0] if rows else {})
            if k not in ("family", "label_zh", "label_en") and not k.endswith("_share")
        ]
        out += ["", f"{h}Mechanism families by {title} (cases, share of the group)", ""]
        out += _table(
            ["family", "label"] + groups,
            [
                [r["family"], r["label_zh"]] + [f"{r[g]} ({r[g + '_share']:.0%})" for g in groups]
                for r in rows
            ],
            markdown,
        )
    out += _questions(p, markdown)
    return "\n".join(out) + "\n"


def _cut(text: str, size: int = 40) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _questions(p: Patterns, markdown: bool) -> list[str]:
    """The sections that answer one research question each (`kg.analysis.sections`)."""
    h = "## " if markdown else ""
    out = ["", f"{h}Who is supervised (the supervises role; first quote)", ""]
    out += _table(
        ["target", "label", "cases", "which", "quote"],
        [
            [
                r["target"],
                r["label_zh"],
                r["count"],
                _ids(r["cases"]),
                _cut(r["quotes"][0]["quote"]) if r["quotes"] else "",
            ]
            for r in p.supervised
        ],
        markdown,
    )
    out += ["", f"{h}Liaison-station typology (kinds by facet of the vocabulary)", ""]
    out += _table(
        ["kind", "label", "facet", "cases", "which", "where"],
        [
            [
                r["kind"],
                r["label_zh"],
                r["facet"] or "-",
                len(r["cases"]),
                _ids(r["cases"]),
                " ".join(r["places"][:4]),
            ]
            for r in p.station_types
        ],
        markdown,
    )
    out += ["", f"{h}First appearance of each mechanism (by batch; families rolled up)", ""]
    out += _table(
        ["mechanism", "label", "first batch", "year", "first cases", "cases", "batches"],
        [
            [
                r["mechanism"],
                r["label_zh"],
                r["first_batch"],
                r["first_year"],
                _ids(r["first_cases"], 6),
                r["cases"],
                r["batches"],
            ]
            for r in p.first_appearance[:40]
        ],
        markdown,
    )
    if len(p.first_appearance) > 40:
        out.append(f"({len(p.first_appearance) - 40} more in --format json)")
    out += ["", f"{h}The party committee's role (passages once each)", ""]
    out += _table(
        ["case", "passages", "roles and mechanisms", "first passage"],
        [
            [r["case"], len(r["passages"]), " ".join(r["roles"]), _cut(r["passages"][0])]
            for r in p.party_role
        ],
        markdown,
    )
    out += ["", f"{h}Selection reasons (入选理由)", ""]
    out += _table(
        ["year", "case", "reason"],
        [[r["year"], r["case"], r["reason_zh"]] for r in p.selection_reasons],
        markdown,
    )
    return out
