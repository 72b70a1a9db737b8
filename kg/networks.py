"""networkx projections of the graph, built from SPARQL edge lists.

Nodes are short string ids (`case:gd-b3-01`, `mech:liaison-station`) with string and
number attributes only, so every graph writes cleanly to GraphML and GEXF. Projections
are counted from the case–mechanism edge list directly (MEASUREMENTS.md: much faster
than networkx's bipartite projection).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cached_property
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

    @cached_property
    def _ancestors(self) -> dict[str, frozenset[str]]:
        """Every concept's broader closure, computed once (patterns ask millions of times)."""
        out: dict[str, frozenset[str]] = {}
        for start in {*self.broader, *(m for ms in self.uses.values() for m in ms)}:
            found, stack = set(), list(self.broader.get(start, ()))
            while stack:
                parent = stack.pop()
                if parent not in found:
                    found.add(parent)
                    stack.extend(self.broader.get(parent, ()))
            out[start] = frozenset(found)
        return out

    @cached_property
    def by_profile(self) -> dict[frozenset[str], list[str]]:
        """Cases grouped by their set of direct tags, each list in case order. Analyses run
        once per distinct set, weighted by its cases: a large corpus repeats sets a lot."""
        out: dict[frozenset[str], list[str]] = {}
        for case, ms in self.uses.items():
            out.setdefault(ms, []).append(case)
        return out

    @cached_property
    def expansion(self) -> dict[frozenset[str], frozenset[str]]:
        """Each distinct set of direct tags with all the broader concepts added."""
        return {
            ms: frozenset(ms).union(*(self.ancestors(m) for m in ms)) for ms in self.by_profile
        }

    @cached_property
    def _expanded(self) -> dict[str, frozenset[str]]:
        expansion = self.expansion
        return {case: expansion[ms] for case, ms in self.uses.items()}

    def profile_counts(self, cases: list[str] | None = None, *, expanded: bool = False) -> Counter:
        """How many of `cases` (all by default) hold each distinct set of mechanisms."""
        if cases is None:
            counts = Counter({ms: len(members) for ms, members in self.by_profile.items()})
        else:
            counts = Counter(self.uses[c] for c in cases)
        if not expanded:
            return counts
        out: Counter = Counter()
        for ms, k in counts.items():
            out[self.expansion[ms]] += k
        return out

    def ancestors(self, mechanism: str) -> frozenset[str]:
        return self._ancestors.get(mechanism, frozenset())

    def families(self, mechanism: str) -> list[str]:
        """The top concepts above `mechanism` (itself if it is one), sorted."""
        tops = [m for m in {mechanism} | self.ancestors(mechanism) if not self.broader.get(m)]
        return sorted(tops)

    def expanded(self, case: str) -> frozenset[str]:
        """The case's mechanisms together with all their broader concepts."""
        return self._expanded[case]


def load_case_mechanisms(kg: KnowledgeGraph) -> CaseMechanisms:
    uses: dict[str, set[str]] = defaultdict(set)
    cases: dict[str, dict[str, str]] = {}
    mechanisms: dict[str, dict[str, str]] = {}
    ids: dict[str, str] = {}  # one row per tag: each IRI is compacted once

    def short(iri: str) -> str:
        found = ids.get(iri)
        if found is None:
            found = ids[iri] = compact_id(iri)
        return found

    # Two lean queries read as plain strings, not one wide row of terms per tag: at 100k
    # cases the tags are ~425k rows, and every column and every term object costs time.
    for case_iri, zh, en, level, category in kg.values("case-attributes").rows:
        case = short(case_iri)
        cases[case] = {
            "kind": "case",
            "label_zh": zh or case,
            "label_en": en or "",
            "level": short(level),
            "category": short(category),
        }
    for case_iri, mech in kg.values("case-tags").rows:
        case = short(case_iri)
        if case in cases:  # a case needs its level and category to be grouped
            uses[case].add(short(mech))
    cases = {case: a for case, a in cases.items() if case in uses}  # untagged cases: none
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
    return CaseMechanisms(  # in id order, whatever order the store answered in
        {c: frozenset(uses[c]) for c in sorted(uses)},
        {c: cases[c] for c in sorted(cases)},
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
    return _cooccurrence(data or load_case_mechanisms(kg), expanded=expanded)


def _cooccurrence(data: CaseMechanisms, *, expanded: bool) -> nx.Graph:
    profiles = data.profile_counts(expanded=expanded)
    counts: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    for ms, k in profiles.items():  # each distinct set of mechanisms once, weighted
        for m in ms:
            counts[m] += k
        for a, b in combinations(sorted(ms), 2):
            if expanded and (a in data.ancestors(b) or b in data.ancestors(a)):
                continue
            pairs[(a, b)] += k
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
    cases: list[str] | None = None,
) -> nx.Graph:
    """Cases linked when they share mechanisms: `shared` count and Jaccard `weight`.

    Sets include each mechanism's broader families, so two cases with different kinds
    of liaison station are alike through the liaison-station family. Up to
    `ALL_PAIRS_LIMIT` cases every similar pair is an edge; above it the graph keeps each
    case's `top_k` most similar cases (a k-nearest-neighbour graph, computed with sparse
    matrices in chunks), since all pairs grow with the square of the corpus. `cases`
    limits the graph to those cases (a view's sample).
    """
    data = data or load_case_mechanisms(kg)
    cases = sorted(data.uses if cases is None else set(cases) & set(data.uses))
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


def module_communities(
    data: CaseMechanisms, seed: int = 42
) -> tuple[list[list[str]], list[list[str]]]:
    """Case communities for corpora too large for a case-similarity graph.

    Louvain first groups the mechanisms (direct tags) into modules of the co-occurrence
    network, a graph of a few dozen nodes whatever the corpus size; each case then joins
    the module that holds most of its mechanisms (ties: the larger module, then the
    first). Linear in the number of cases. Returns (case communities, their modules),
    largest community first.
    """
    modules = communities(_cooccurrence(data, expanded=False), seed=seed)
    module_of = {m: i for i, members in enumerate(modules) for m in members}
    groups: dict[int, list[str]] = defaultdict(list)
    for ms, cases in data.by_profile.items():  # cases with the same tags vote alike
        votes = Counter(module_of[m] for m in ms if m in module_of)
        if not votes:
            continue
        best = min(votes, key=lambda i: (-votes[i], -len(modules[i]), i))
        groups[best].extend(cases)
    for members in groups.values():
        members.sort()
    order = sorted(groups, key=lambda i: (-len(groups[i]), groups[i]))
    return [groups[i] for i in order], [modules[i] for i in order]


def network_graph(kg: KnowledgeGraph, rows: list[dict] | None = None) -> nx.MultiDiGraph:
    """The whole graph as typed nodes (case, body, place, mechanism, actor) and edges.

    Node attributes: kind, label, label_zh, label_en; edge attribute: relation (the
    property's local name) and weight 1. A multigraph, since a case can relate to the
    same actor in two roles. `rows` are the network-edges rows, if already at hand.
    """
    graph = nx.MultiDiGraph(name="renda-kg")
    for row in kg.select("network-edges").dicts() if rows is None else rows:
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
