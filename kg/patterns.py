"""The cross-case pattern report: recurring mechanisms, frequent sets, clusters, contrasts.

Everything is computed from two edge lists (case–mechanism and the mechanism
hierarchy), so the report costs two queries however large the graph.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING

import networkx as nx
from rdflib import Literal

from kg.networks import (
    CaseMechanisms,
    communities,
    cooccurrence_graph,
    load_case_mechanisms,
    module_communities,
    similarity_graph,
)
from kg.results import Table, format_table

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph

LEVELS = {"rkg:CountyLevel": "county", "rkg:TownshipLevel": "township"}


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
    users: dict[str, list[str]] = {}
    for ms, members in data.by_profile.items():
        for mech in data.expansion[ms]:
            users.setdefault(mech, []).extend(members)
    rows = []
    for mech, cases in users.items():
        if len(cases) >= min_cases:
            cases.sort()
            zh, en = _label(data, mech)
            rows.append(
                {
                    "mechanism": mech,
                    "label_zh": zh,
                    "label_en": en,
                    "family": data.families(mech)[0],
                    "is_family": not data.broader.get(mech),
                    "count": len(cases),
                    "cases": cases,
                }
            )
    return sorted(rows, key=lambda r: (-r["count"], r["mechanism"]))


def frequent_itemsets(data: CaseMechanisms, min_count: int = 2, max_size: int = 3) -> list[dict]:
    """Mechanism sets shared by ≥ `min_count` cases, with support, confidence and lift.

    Families count as items; a set never holds a concept together with its ancestor.
    Confidence and lift are given for pairs (A→B and B→A).
    """
    n = len(data.uses)
    profiles = data.profile_counts(expanded=True)
    single: Counter[str] = Counter()
    for ms, k in profiles.items():
        for m in ms:
            single[m] += k
    frequent = sorted(m for m, k in single.items() if k >= min_count)
    rows = []
    for size in range(2, max_size + 1):
        for combo, k in _set_counts(data, profiles, frequent, size).items():
            if k < min_count:
                continue
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
    data: CaseMechanisms, profiles: Counter, items: list[str], size: int
) -> dict[tuple[str, ...], int]:
    """How many cases hold each `size`-set of `items` (no concept with its ancestor).

    Vectorised: the distinct mechanism profiles, grouped by length, index every
    combination at once and numpy counts the encoded sets (100k cases in well under
    a second, where counting tuples in Python took tens of seconds).
    """
    import numpy as np

    code = {m: i for i, m in enumerate(items)}
    width = len(items)
    by_length: dict[int, tuple[list[list[int]], list[int]]] = {}
    for ms, k in profiles.items():
        kept = sorted(code[m] for m in ms if m in code)
        if len(kept) >= size:
            rows, weights = by_length.setdefault(len(kept), ([], []))
            rows.append(kept)
            weights.append(k)
    keys, counts = [], []
    for length, (rows, weights) in by_length.items():
        picks = np.array(list(combinations(range(length), size)))
        chosen = np.array(rows, dtype=np.int64)[:, picks]  # profiles x combos x size
        encoded = np.zeros(chosen.shape[:2], dtype=np.int64)
        for j in range(size):
            encoded = encoded * width + chosen[:, :, j]
        keys.append(encoded.ravel())
        counts.append(np.repeat(np.array(weights, dtype=np.int64), len(picks)))
    if not keys:
        return {}
    unique, inverse = np.unique(np.concatenate(keys), return_inverse=True)
    totals = np.bincount(inverse, weights=np.concatenate(counts))
    out: dict[tuple[str, ...], int] = {}
    for key, total in zip(unique.tolist(), totals.tolist(), strict=True):
        combo = []
        for _ in range(size):
            key, i = divmod(key, width)
            combo.append(items[i])
        combo.reverse()
        if any(a in data.ancestors(b) or b in data.ancestors(a) for a, b in combinations(combo, 2)):
            continue
        out[tuple(combo)] = int(total)
    return out


SIMILARITY_COMMUNITY_LIMIT = 2000  # above it: mechanism modules (networks.module_communities)


def case_communities(kg: KnowledgeGraph, data: CaseMechanisms, seed: int = 42) -> list[dict]:
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
        shared: Counter[str] = Counter()
        for ms, k in data.profile_counts(members, expanded=True).items():
            for m in ms:
                shared[m] += k
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


def bridging_mechanisms(kg: KnowledgeGraph, data: CaseMechanisms, top: int = 10) -> list[dict]:
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
    """Family-level use per group of cases (level or category): counts and shares."""
    groups: dict[str, list[str]] = {}
    for case, attrs in sorted(data.case_attrs.items()):
        key = attrs[attribute]
        groups.setdefault((names or {}).get(key, key), []).append(case)
    used = {m for ms in data.uses.values() for m in ms}
    families = sorted({f for m in used for f in data.families(m)})
    wanted = set(families)
    counts: dict[str, Counter[str]] = {}
    for group, cases in groups.items():  # once per distinct set of tags in the group
        counts[group] = Counter()
        for ms, k in data.profile_counts(cases, expanded=True).items():
            for f in ms & wanted:
                counts[group][f] += k
    rows = []
    for fam in families:
        row = {"family": fam, "label_zh": _label(data, fam)[0], "label_en": _label(data, fam)[1]}
        for group, cases in sorted(groups.items()):
            k = counts[group][fam]
            row[group] = k
            row[f"{group}_share"] = round(k / len(cases), 3)
        rows.append(row)
    return rows


def find_patterns(kg: KnowledgeGraph, *, min_cases: int = 2, seed: int = 42) -> Patterns:
    data = load_case_mechanisms(kg)
    return Patterns(
        cases=len(data.uses),
        recurring=recurring_mechanisms(data, min_cases),
        itemsets=frequent_itemsets(data, min_cases),
        communities=case_communities(kg, data, seed),
        bridges=bridging_mechanisms(kg, data),
        by_level=contrast(data, "level", LEVELS),
        by_category=contrast(data, "category"),
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
    for title, rows in (("level", p.by_level), ("category", p.by_category)):
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
    return "\n".join(out) + "\n"
