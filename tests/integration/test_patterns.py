"""Patterns and networkx projections, checked against independent computations."""

from __future__ import annotations

from itertools import combinations

import networkx as nx
import pytest

from kg import KnowledgeGraph
from kg.analysis.networks import load_case_mechanisms


@pytest.fixture(scope="module")
def kg(seed_kg) -> KnowledgeGraph:
    return seed_kg


@pytest.fixture(scope="module")
def report(kg):
    """The seed's report with the default settings, computed once for the tests that read it."""
    return kg.patterns()


@pytest.fixture(scope="module")
def record_tags(seed) -> dict[str, set[str]]:
    """Case -> mechanism ids, straight from the YAML records (not through SPARQL)."""
    return {f"case:{c.id}": {f"mech:{m.id}" for m in c.mechanisms} for c in seed.inputs.cases}


def test_edge_list_matches_the_records(kg, record_tags):
    data = load_case_mechanisms(kg)
    assert {c: set(ms) for c, ms in data.uses.items()} == record_tags


def test_recurring_mechanisms_include_the_three_families(report):
    counts = {r["mechanism"]: r["count"] for r in report.recurring}
    assert counts["mech:liaison-station"] >= 4
    assert counts["mech:satisfaction-evaluation"] >= 4
    assert counts["mech:interview-summons"] >= 2
    assert all(r["count"] >= 2 for r in report.recurring)
    assert {"case:gd-b3-05", "case:gd-b3-06", "case:gd-b3-07"} <= set(
        next(r["cases"] for r in report.recurring if r["mechanism"] == "mech:liaison-station")
    )


def test_itemset_measures_match_a_direct_count(kg, report):
    data = load_case_mechanisms(kg)
    sets = [data.expanded(c) for c in data.uses]
    n = len(sets)
    for row in report.itemsets:
        items = set(row["items"])
        both = sum(1 for s in sets if items <= s)
        assert row["count"] == both and row["support"] == round(both / n, 4)
        if len(items) == 2:
            a, b = row["items"]
            ca = sum(1 for s in sets if a in s)
            cb = sum(1 for s in sets if b in s)
            assert row["lift"] == round(both * n / (ca * cb), 4)
            assert row["confidence_ab"] == round(both / ca, 4)


def test_no_itemset_pairs_a_concept_with_its_family(kg, report):
    data = load_case_mechanisms(kg)
    for row in report.itemsets:
        for a, b in combinations(row["items"], 2):
            assert a not in data.ancestors(b) and b not in data.ancestors(a)


def test_communities_partition_the_cases_deterministically(kg):
    first = kg.patterns(seed=7).communities
    again = kg.patterns(seed=7).communities
    assert first == again
    members = [c for row in first for c in row["cases"]]
    assert sorted(members) == sorted(load_case_mechanisms(kg).uses)


def test_contrast_by_level_counts_township_cases(kg, seed, report):
    townships = {c.id for c in seed.inputs.cases if c.body.type == "township-congress"}
    assert townships == {"gd-b3-02", "gd-b3-07", "gd-b3-10"}
    row = next(r for r in report.by_level if r["family"] == "mech:liaison-station")
    data = load_case_mechanisms(kg)
    expected = sum(1 for c in townships if "mech:liaison-station" in data.expanded(f"case:{c}"))
    assert row["township"] == expected
    assert row["township_share"] == round(expected / 3, 3)


def test_projections_write_to_graphml(kg, tmp_path):
    for graph in (kg.bipartite_graph(), kg.cooccurrence_graph(), kg.similarity_graph()):
        assert graph.number_of_nodes() > 0
        for node, attrs in graph.nodes(data=True):
            assert isinstance(node, str) and ":" in node
            assert all(isinstance(v, str | int | float) for v in attrs.values())
            assert attrs["label_zh"]
        path = tmp_path / f"{graph.name}.graphml"
        nx.write_graphml(graph, path)
        back = nx.read_graphml(path)
        assert set(back.nodes) == set(graph.nodes)
        assert back.number_of_edges() == graph.number_of_edges()


def test_bipartite_edges_carry_quotes(kg, seed):
    text = next(iter(seed.inputs.sources.values())).text
    graph = kg.bipartite_graph()
    assert nx.is_bipartite(graph)
    for _, _, attrs in graph.edges(data=True):
        assert attrs["quote"]
        assert all(q in text for q in attrs["quote"].split(" / "))


def test_cooccurrence_weights_count_shared_cases(kg, record_tags):
    graph = kg.cooccurrence_graph()
    for a, b, attrs in graph.edges(data=True):
        assert attrs["weight"] == sum(1 for ms in record_tags.values() if {a, b} <= ms)


def test_query_returns_a_dataframe(kg):
    import pandas as pd  # declared in the test extra: a missing pandas fails here

    frame = kg.select("case-mechanisms").to_dataframe()
    assert isinstance(frame, pd.DataFrame) and len(frame) > 50


def _random_corpus(kg: KnowledgeGraph, n: int, seed: int):
    """The seed's vocabulary and hierarchy with `n` random cases tagged Zipf-like."""
    import random

    from kg.analysis.networks import CaseMechanisms

    real = load_case_mechanisms(kg)
    mechs = sorted(real.mechanism_attrs)
    rng = random.Random(seed)
    weights = [1 / (i + 1) for i in range(len(mechs))]
    uses = {
        f"case:r{i:05d}": frozenset(rng.choices(mechs, weights, k=rng.randint(1, 7)))
        for i in range(n)
    }
    attrs = {c: {"label_zh": c, "label_en": "", "level": "", "category": ""} for c in uses}
    return CaseMechanisms(uses, attrs, real.mechanism_attrs, real.broader)


@pytest.mark.parametrize("seed_", [1, 2, 3])
def test_vectorised_itemsets_match_counting_tuples(kg, seed_):
    """frequent_itemsets counts with numpy; this counts every combination in Python."""
    from collections import Counter

    from kg.analysis.patterns import frequent_itemsets

    data = _random_corpus(kg, 400, seed_)
    sets = [data.expanded(c) for c in data.uses]
    single = Counter(m for s in sets for m in s)
    frequent = {m for m, k in single.items() if k >= 3}
    expected: Counter = Counter()
    for s in sets:
        for size in (2, 3):
            for combo in combinations(sorted(s & frequent), size):
                if not any(
                    a in data.ancestors(b) or b in data.ancestors(a)
                    for a, b in combinations(combo, 2)
                ):
                    expected[combo] += 1
    got = {tuple(r["items"]): r["count"] for r in frequent_itemsets(data, min_count=3)}
    assert got == {c: k for c, k in expected.items() if k >= 3}
    assert any(len(c) == 3 for c in got)


def test_large_corpora_get_communities_from_mechanism_modules(kg, monkeypatch):
    import kg.analysis.patterns as patterns
    from kg.analysis.networks import module_communities

    data = _random_corpus(kg, 3000, 7)
    groups, modules = module_communities(data)
    assert sorted(c for g in groups for c in g) == sorted(data.uses)  # a partition
    assert module_communities(data) == (groups, modules)  # deterministic
    for group, module in zip(groups, modules, strict=True):
        for case in group[:50]:  # each case sits with the module holding most of its tags
            best = max(len(data.uses[case] & set(m)) for m in modules)
            assert len(data.uses[case] & set(module)) == best
    rows = patterns.case_communities(kg, data)
    assert {r["method"] for r in rows} == {"mechanism-modules"}
    assert [r["cases"] for r in rows] == groups
    small = _random_corpus(kg, 60, 7)
    assert {r["method"] for r in patterns.case_communities(kg, small)} == {
        "louvain-case-similarity"
    }


def test_similarity_view_samples_cases_above_the_node_budget(kg, monkeypatch):
    import kg.outputs.views as views

    data = load_case_mechanisms(kg)
    monkeypatch.setattr(views, "NODE_BUDGET", 4)
    view = views.similarity(kg, data)
    cases = sorted(data.uses)
    assert sorted(n["id"] for n in view.nodes) == cases[::3]
    assert "one in every 3 (4 of 10)" in view.note_en
    assert "共 10 个" in view.note_zh


@pytest.mark.parametrize("seed_", [4, 5])
def test_matrix_counts_match_counting_cases(kg, seed_):
    """Recurring mechanisms, co-occurrence and contrasts come from a case-by-mechanism
    matrix; here each is counted case by case in Python instead."""
    from collections import Counter

    from kg.analysis.networks import _cooccurrence
    from kg.analysis.patterns import contrast, recurring_mechanisms

    data = _random_corpus(kg, 500, seed_)
    for i, case in enumerate(data.case_attrs):  # two groups to contrast
        data.case_attrs[case]["level"] = "odd" if i % 2 else "even"
    members: dict[str, list[str]] = {}
    for case in sorted(data.uses):
        for m in data.expanded(case):
            members.setdefault(m, []).append(case)
    got = {r["mechanism"]: r["cases"] for r in recurring_mechanisms(data, 2)}
    assert got == {m: cs for m, cs in members.items() if len(cs) >= 2}
    for expanded in (False, True):
        pairs: Counter = Counter()
        for case in data.uses:
            tags = sorted(data.expanded(case) if expanded else data.uses[case])
            for a, b in combinations(tags, 2):
                if not (a in data.ancestors(b) or b in data.ancestors(a)):
                    pairs[(a, b)] += 1
        graph = _cooccurrence(data, expanded=expanded)
        assert {tuple(sorted(e)): w for *e, w in graph.edges(data="weight")} == dict(pairs)
    for row in contrast(data, "level"):
        for group in ("odd", "even"):
            cases = [c for c, a in data.case_attrs.items() if a["level"] == group]
            assert row[group] == sum(row["family"] in data.expanded(c) for c in cases)
