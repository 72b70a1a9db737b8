"""networkx projections of the graph, built from SPARQL edge lists.

Nodes are short string ids (`case:gd-b3-01`, `mech:liaison-station`) with string and
number attributes only, so every graph writes cleanly to GraphML and GEXF. Projections
are counted from the case–mechanism edge list directly (MEASUREMENTS.md: much faster
than networkx's bipartite projection).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import combinations
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from kg.analysis.cases import CaseMechanisms, compact_id, load_case_mechanisms

if TYPE_CHECKING:
    from kg.query.graph import QueryGraph


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
