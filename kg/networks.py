"""networkx projections of the graph, built from SPARQL edge lists.

Nodes are short string ids (`case:gd-b3-01`, `mech:liaison-station`) with string and
number attributes only, so every graph writes cleanly to GraphML and GEXF. Projections
are counted from the case–mechanism edge list directly (MEASUREMENTS.md: much faster
than networkx's bipartite projection).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING

import networkx as nx

from kg.results import compact

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph


@dataclass(frozen=True)
class CaseMechanisms:
    """Which case uses which mechanism (direct tags), with labels and attributes."""

    uses: dict[str, frozenset[str]]  # case id -> mechanism ids
    case_attrs: dict[str, dict[str, str]]
    mechanism_attrs: dict[str, dict[str, str]]
    broader: dict[str, frozenset[str]]  # mechanism -> direct broader concepts

    def ancestors(self, mechanism: str) -> set[str]:
        out, stack = set(), list(self.broader.get(mechanism, ()))
        while stack:
            parent = stack.pop()
            if parent not in out:
                out.add(parent)
                stack.extend(self.broader.get(parent, ()))
        return out

    def families(self, mechanism: str) -> list[str]:
        """The top concepts above `mechanism` (itself if it is one), sorted."""
        tops = [m for m in {mechanism} | self.ancestors(mechanism) if not self.broader.get(m)]
        return sorted(tops)

    def expanded(self, case: str) -> frozenset[str]:
        """The case's mechanisms together with all their broader concepts."""
        out = set(self.uses[case])
        for m in self.uses[case]:
            out |= self.ancestors(m)
        return frozenset(out)


def load_case_mechanisms(kg: KnowledgeGraph) -> CaseMechanisms:
    uses: dict[str, set[str]] = defaultdict(set)
    cases: dict[str, dict[str, str]] = {}
    mechanisms: dict[str, dict[str, str]] = {}
    for row in kg.select("case-mechanisms").dicts():
        case, mech = compact_id(row["case"]), compact_id(row["mechanism"])
        uses[case].add(mech)
        cases[case] = {
            "kind": "case",
            "label_zh": row["case_zh"] or case,
            "label_en": row["case_en"] or "",
            "level": compact_id(row["level"]),
            "category": compact_id(row["category"]),
        }
    broader: dict[str, set[str]] = defaultdict(set)
    for row in kg.select("mechanism-hierarchy").dicts():
        mech = compact_id(row["mechanism"])
        mechanisms[mech] = {
            "kind": "mechanism",
            "label_zh": row["label_zh"] or mech,
            "label_en": row["label_en"] or "",
        }
        if row["broader"]:
            broader[mech].add(compact_id(row["broader"]))
    return CaseMechanisms(
        {c: frozenset(m) for c, m in uses.items()},
        cases,
        mechanisms,
        {m: frozenset(b) for m, b in broader.items()},
    )


def compact_id(value: object) -> str:
    from rdflib import URIRef

    return compact(URIRef(str(value))) if value is not None else ""


def _label(attrs: dict[str, str]) -> dict[str, str]:
    return {**attrs, "label": attrs["label_zh"]}


def case_mechanism_graph(kg: KnowledgeGraph, data: CaseMechanisms | None = None) -> nx.Graph:
    """Bipartite graph: cases (bipartite=0) and the mechanisms they use (bipartite=1)."""
    data = data or load_case_mechanisms(kg)
    quotes: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in kg.select("evidence").dicts():
        quotes[(compact_id(row["case"]), compact_id(row["mechanism"]))].append(row["quote"])
    graph = nx.Graph(name="case-mechanism")
    for case in sorted(data.uses):
        graph.add_node(case, bipartite=0, **_label(data.case_attrs[case]))
    used = sorted({m for ms in data.uses.values() for m in ms})
    for mech in used:
        attrs = data.mechanism_attrs.get(
            mech, {"kind": "mechanism", "label_zh": mech, "label_en": ""}
        )
        cases = sum(1 for ms in data.uses.values() if mech in ms)
        graph.add_node(mech, bipartite=1, cases=cases, **_label(attrs))
    for case in sorted(data.uses):
        for mech in sorted(data.uses[case]):
            graph.add_edge(
                case, mech, weight=1, quote=" / ".join(sorted(set(quotes[(case, mech)])))
            )
    return graph


def cooccurrence_graph(
    kg: KnowledgeGraph, data: CaseMechanisms | None = None, *, expanded: bool = False
) -> nx.Graph:
    """Mechanisms linked by the number of cases that use both (edge `weight`).

    With `expanded`, families count too, and a concept is never paired with its own
    ancestor (that pair would co-occur by construction).
    """
    data = data or load_case_mechanisms(kg)
    sets = {c: (data.expanded(c) if expanded else data.uses[c]) for c in data.uses}
    counts: Counter[str] = Counter(m for ms in sets.values() for m in ms)
    pairs: Counter[tuple[str, str]] = Counter()
    for ms in sets.values():
        for a, b in combinations(sorted(ms), 2):
            if expanded and (a in data.ancestors(b) or b in data.ancestors(a)):
                continue
            pairs[(a, b)] += 1
    graph = nx.Graph(name="mechanism-cooccurrence")
    for mech in sorted(counts):
        attrs = data.mechanism_attrs.get(
            mech, {"kind": "mechanism", "label_zh": mech, "label_en": ""}
        )
        graph.add_node(mech, cases=counts[mech], **_label(attrs))
    for (a, b), shared in sorted(pairs.items()):
        graph.add_edge(a, b, weight=shared)
    return graph


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


ALL_PAIRS_LIMIT = 300  # above this many cases, each case keeps its `top_k` most similar


def similarity_graph(
    kg: KnowledgeGraph,
    data: CaseMechanisms | None = None,
    *,
    min_shared: int = 1,
    top_k: int = 10,
) -> nx.Graph:
    """Cases linked when they share mechanisms: `shared` count and Jaccard `weight`.

    Sets include each mechanism's broader families, so two cases with different kinds
    of liaison station are alike through the liaison-station family. Up to
    `ALL_PAIRS_LIMIT` cases every similar pair is an edge; above it the graph keeps each
    case's `top_k` most similar cases (a k-nearest-neighbour graph, computed with sparse
    matrices in chunks), since all pairs grow with the square of the corpus.
    """
    data = data or load_case_mechanisms(kg)
    cases = sorted(data.uses)
    sets = {c: data.expanded(c) for c in cases}
    graph = nx.Graph(name="case-similarity")
    for case in cases:
        graph.add_node(case, mechanisms=len(data.uses[case]), **_label(data.case_attrs[case]))
    pairs = (
        combinations(cases, 2)
        if len(cases) <= ALL_PAIRS_LIMIT
        else _nearest_pairs(cases, sets, top_k)
    )
    for a, b in pairs:
        shared = sets[a] & sets[b]
        if len(shared) >= min_shared:
            graph.add_edge(
                a,
                b,
                shared=len(shared),
                weight=round(jaccard(sets[a], sets[b]), 6),
                mechanisms=" ".join(sorted(shared)),
            )
    return graph


def _nearest_pairs(
    cases: list[str], sets: dict[str, frozenset[str]], k: int, chunk: int = 2000
) -> list[tuple[str, str]]:
    """Each case's `k` highest-Jaccard partners, via sparse products in row chunks."""
    import numpy as np
    from scipy.sparse import csr_matrix

    columns = {m: j for j, m in enumerate(sorted({m for s in sets.values() for m in s}))}
    rows, cols = [], []
    for i, case in enumerate(cases):
        for m in sets[case]:
            rows.append(i)
            cols.append(columns[m])
    matrix = csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(cases), len(columns))
    )
    sizes = np.asarray(matrix.sum(axis=1)).ravel()
    pairs: set[tuple[str, str]] = set()
    for start in range(0, len(cases), chunk):
        shared = (matrix[start : start + chunk] @ matrix.T).toarray()
        union = sizes[start : start + chunk, None] + sizes[None, :] - shared
        score = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
        for offset, row in enumerate(score):
            i = start + offset
            row[i] = -1.0  # not oneself
            best = np.argpartition(-row, min(k, len(row) - 1))[:k]
            for j in best[np.lexsort((best, -row[best]))]:
                if row[j] > 0:
                    a, b = sorted((cases[i], cases[int(j)]))
                    pairs.add((a, b))
    return sorted(pairs)


def communities(graph: nx.Graph, seed: int = 42) -> list[list[str]]:
    """Louvain communities (seeded, so deterministic), largest first, members sorted."""
    found = nx.community.louvain_communities(graph, weight="weight", seed=seed)
    return sorted((sorted(c) for c in found), key=lambda c: (-len(c), c))


def network_graph(kg: KnowledgeGraph) -> nx.MultiDiGraph:
    """The whole graph as typed nodes (case, body, place, mechanism, actor) and edges.

    Node attributes: kind, label, label_zh, label_en; edge attribute: relation (the
    property's local name) and weight 1. A multigraph, since a case can relate to the
    same actor in two roles.
    """
    graph = nx.MultiDiGraph(name="renda-kg")
    for row in kg.select("network-edges").dicts():
        ends = []
        for end in ("source", "target"):
            node = compact_id(row[end])
            if node not in graph:
                zh = row[f"{end}_zh"] or node
                graph.add_node(
                    node,
                    kind=row[f"{end}_kind"],
                    label=zh,
                    label_zh=zh,
                    label_en=row[f"{end}_en"] or zh,
                )
            ends.append(node)
        graph.add_edge(*ends, key=row["relation"], relation=row["relation"], weight=1)
    return graph
