"""networkx projections of the graph, built from SPARQL edge lists.

Nodes are short string ids (`case:gd-b3-01`, `mech:liaison-station`) with string and
number attributes only, so every graph writes cleanly to GraphML and GEXF. Projections
are counted from the case–mechanism edge list directly (MEASUREMENTS.md: much faster
than networkx's bipartite projection).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from itertools import combinations
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from kg.core.namespaces import compact_iri

if TYPE_CHECKING:
    from kg.query.graph import QueryGraph


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
    def _expanded(self) -> dict[str, frozenset[str]]:
        wide: dict[frozenset[str], frozenset[str]] = {}  # cases repeat sets of tags
        for ms in self.uses.values():
            if ms not in wide:
                wide[ms] = ms.union(*(self.ancestors(m) for m in ms))
        return {case: wide[ms] for case, ms in self.uses.items()}

    def incidence(self, *, expanded: bool) -> Incidence:
        """Cases x mechanisms as a 0/1 matrix: with `expanded`, broader concepts count."""
        return self._incidence_expanded if expanded else self._incidence_direct

    @cached_property
    def _incidence_direct(self) -> Incidence:
        cases = sorted(self.uses)  # rows in id order, whatever order `uses` came in
        sets = [self.uses[c] for c in cases]
        items = sorted({m for ms in sets for m in ms})
        column = {m: j for j, m in enumerate(items)}
        rows = np.repeat(np.arange(len(sets)), [len(ms) for ms in sets])
        matrix = np.zeros((len(sets), len(items)), dtype=_dtype(len(sets)))
        matrix[rows, [column[m] for ms in sets for m in ms]] = 1.0
        return Incidence(cases, items, matrix)

    @cached_property
    def _incidence_expanded(self) -> Incidence:
        """The direct matrix times the 0/1 closure (tag -> itself and its ancestors)."""
        direct = self._incidence_direct
        items = sorted(set(direct.items).union(*(self.ancestors(m) for m in direct.items)))
        column = {m: j for j, m in enumerate(items)}
        closure = np.zeros((len(direct.items), len(items)), dtype=direct.matrix.dtype)
        for j, mech in enumerate(direct.items):
            closure[j, [column[m] for m in {mech, *self.ancestors(mech)}]] = 1.0
        matrix = np.minimum(direct.matrix @ closure, 1.0)
        return Incidence(direct.cases, items, matrix)

    def ancestors(self, mechanism: str) -> frozenset[str]:
        return self._ancestors.get(mechanism, frozenset())

    def families(self, mechanism: str) -> list[str]:
        """The top concepts above `mechanism` (itself if it is one), sorted."""
        tops = [m for m in {mechanism} | self.ancestors(mechanism) if not self.broader.get(m)]
        return sorted(tops)

    def expanded(self, case: str) -> frozenset[str]:
        """The case's mechanisms together with all their broader concepts."""
        return self._expanded[case]


def _dtype(rows: int) -> type:
    """float32 halves the memory and time of the products; it counts exactly to 2**24."""
    return np.float32 if rows < 2**24 else np.float64


@dataclass(frozen=True)
class Incidence:
    """A 0/1 float matrix of cases (rows, in id order) by mechanisms (columns, sorted).

    Counting over a corpus is then a column sum or a matrix product, done by numpy:
    at 100k cases, Python loops over the cases took seconds for each count.
    """

    cases: list[str]
    items: list[str]
    matrix: np.ndarray  # float32: sums and products of 0/1 are exact below 2**24 cases

    def rows_of(self, cases: list[str]) -> np.ndarray:
        """The sub-matrix of `cases` (each must be a row)."""
        position = self._position
        return self.matrix[[position[c] for c in cases]]

    @cached_property
    def _position(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.cases)}

    def counts(self, cases: list[str] | None = None) -> dict[str, int]:
        """Cases (of `cases`, or all) per mechanism, zeros left out."""
        sums = (self.matrix if cases is None else self.rows_of(cases)).sum(axis=0)
        return {m: int(k) for m, k in zip(self.items, sums.tolist(), strict=True) if k}

    def members(self, item: str) -> list[str]:
        """The cases that hold `item`, in id order."""
        hits = np.flatnonzero(self.matrix[:, self.items.index(item)])
        return [self.cases[i] for i in hits.tolist()]


def load_case_mechanisms(kg: QueryGraph) -> CaseMechanisms:
    uses: dict[str, set[str]] = defaultdict(set)
    cases: dict[str, dict[str, str]] = {}
    mechanisms: dict[str, dict[str, str]] = {}
    # Two lean queries read as plain strings, not one wide row of terms per tag: at 100k
    # cases the tags are ~425k rows, and every column and every term object costs time.
    attributes = kg.values("case-attributes").rows
    tags = kg.values("case-tags").rows
    iris = {iri for row in attributes for iri in (row[0], row[3], row[4], row[5]) if iri}
    iris.update(iri for row in tags for iri in row)
    ids = {iri: compact_id(iri) for iri in iris}  # each IRI once
    for case_iri, zh, en, level, category, region, year in attributes:
        case = ids[case_iri]
        cases[case] = {
            "kind": "case",
            "label_zh": zh or case,
            "label_en": en or "",
            "level": ids[level],
            "category": ids[category],
            "region": ids[region] if region else "",
            "year": year or "",
        }
    for case_iri, mech in tags:
        case = ids[case_iri]
        if case in cases:  # a case needs its level and category to be grouped
            uses[case].add(ids[mech])
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
    return compact_iri(str(value)) if value is not None else ""


def _label(attrs: dict[str, str]) -> dict[str, str]:
    return {**attrs, "label": attrs["label_zh"]}


def ordered_graph(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> nx.Graph:
    """A graph whose nodes and edges are inserted in sorted order. A spring layout depends
    on that order, and rows come in the order of the engine or of a set: sorting first
    makes the same graph give the same picture on every run."""
    graph = nx.Graph()
    graph.add_nodes_from(sorted(nodes))
    graph.add_edges_from(sorted(tuple(sorted(pair)) for pair in edges))
    return graph


def case_mechanism_graph(kg: QueryGraph, data: CaseMechanisms | None = None) -> nx.Graph:
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
    kg: QueryGraph, data: CaseMechanisms | None = None, *, expanded: bool = False
) -> nx.Graph:
    """Mechanisms linked by the number of cases that use both (edge `weight`).

    With `expanded`, families count too. A concept is never paired with its own ancestor:
    expanded, that pair co-occurs by construction; direct, it says the tagger named both.
    """
    return _cooccurrence(data or load_case_mechanisms(kg), expanded=expanded)


def _cooccurrence(data: CaseMechanisms, *, expanded: bool) -> nx.Graph:
    table = data.incidence(expanded=expanded)
    shared = (table.matrix.T @ table.matrix).astype(np.int64)  # pair counts at once
    items = table.items
    graph = nx.Graph(name="mechanism-cooccurrence")
    for j, mech in enumerate(items):
        attrs = data.mechanism_attrs.get(
            mech, {"kind": "mechanism", "label_zh": mech, "label_en": ""}
        )
        graph.add_node(mech, cases=int(shared[j, j]), **_label(attrs))
    for a, b in zip(*np.triu_indices(len(items), k=1), strict=True):
        weight = int(shared[a, b])
        if not weight:
            continue
        ma, mb = items[a], items[b]
        if ma in data.ancestors(mb) or mb in data.ancestors(ma):
            continue
        graph.add_edge(ma, mb, weight=weight)
    return graph


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


ALL_PAIRS_LIMIT = 300  # above this many cases, each case keeps its `top_k` most similar


def similarity_graph(
    kg: QueryGraph,
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
    table = data.incidence(expanded=False)
    module_of = {m: i for i, members in enumerate(modules) for m in members}
    assign = np.zeros((len(table.items), max(len(modules), 1)))
    for j, mech in enumerate(table.items):
        if mech in module_of:
            assign[j, module_of[mech]] = 1.0
    votes = table.matrix @ assign  # cases x modules
    # modules come largest first, so argmax's first maximum is the larger module on a tie
    best = votes.argmax(axis=1)
    voted = votes.max(axis=1) > 0
    groups: dict[int, list[str]] = defaultdict(list)
    for i, (module, has_vote) in enumerate(zip(best.tolist(), voted.tolist(), strict=True)):
        if has_vote:
            groups[module].append(table.cases[i])
    order = sorted(groups, key=lambda i: (-len(groups[i]), groups[i]))
    return [groups[i] for i in order], [modules[i] for i in order]


def network_graph(kg: QueryGraph, rows: list[dict] | None = None) -> nx.MultiDiGraph:
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
