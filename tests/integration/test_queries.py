"""The named query library (kg/queries/*.rq), checked against the notice and the case records.

Expected values are derived independently: from the YAML case records and the mechanism
vocabulary (data/), from the source text, or from the plain edge list of `case-mechanisms`,
so that a wrong query cannot agree with itself.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from rdflib import Graph, Literal
from rdflib.namespace import OWL, SKOS

from kg import KnowledgeGraph
from kg.core.namespaces import MECH
from kg.query.library import named_queries

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "data" / "sources" / "gd-npc-innovation-cases-batch3-2020.txt"

#: the level of government of each body type of the records (see docs/design-ids.md)
BODY_LEVELS = {
    "county-standing-committee": "CountyLevel",
    "township-congress": "TownshipLevel",
    "street-working-committee": "TownshipLevel",
}


@pytest.fixture(scope="module")
def kg(seed_kg) -> KnowledgeGraph:
    return seed_kg


@pytest.fixture(scope="module")
def source_text() -> str:
    return SOURCE.read_bytes().decode("utf-8")


@pytest.fixture(scope="module")
def records() -> list[dict]:
    paths = sorted((ROOT / "data" / "cases").glob("*.yaml"))
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in paths]


@pytest.fixture(scope="module")
def ancestors() -> dict[str, set[str]]:
    """Mechanism slug -> itself and every broader concept (skos:broader*), from the vocabulary."""
    vocab = Graph().parse(ROOT / "data" / "vocab" / "mechanisms.ttl", format="turtle")
    broader = defaultdict(set)
    concepts = set()
    for narrower, _, wider in vocab.triples((None, SKOS.broader, None)):
        broader[_slug(narrower)].add(_slug(wider))
    for concept in vocab.subjects(SKOS.inScheme, None):
        if (concept, OWL.deprecated, Literal(True)) not in vocab:  # not listed by the queries
            concepts.add(_slug(concept))
    out = {}
    for concept in concepts:
        seen, todo = {concept}, [concept]
        while todo:
            for wider in broader[todo.pop()] - seen:
                seen.add(wider)
                todo.append(wider)
        out[concept] = seen
    return out


@pytest.fixture(scope="module")
def case_tags(kg) -> dict[str, set[str]]:
    """Case id -> directly tagged mechanism slugs, from the `case-mechanisms` edge list."""
    tags = defaultdict(set)
    for row in kg.select("case-mechanisms").dicts():
        tags[_slug(row["case"])].add(_slug(row["mechanism"]))
    return dict(tags)


def _slug(term) -> str:
    text = str(term)
    return text.rsplit("#", 1)[1] if "#" in text else text.rsplit("/", 1)[1]


def _rows(kg: KnowledgeGraph, name: str, **params) -> list[dict]:
    return kg.select(name, **params).dicts()


# -- the library as a whole --


def test_the_library_has_the_expected_queries():
    expected = {
        "actors",
        "bodies",
        "case-mechanisms",
        "cases-by-place",
        "cases-with-mechanism",
        "evidence",
        "mechanism-cooccurrence",
        "mechanism-frequency",
        "mechanism-hierarchy",
        "mechanisms-by-category",
        "mechanisms-by-level",
        "party-role",
        "platforms",
        "problems",
        "quantities",
        "similar-cases",
        "timeline",
    }
    assert expected <= set(named_queries())


# -- mechanisms: frequency, hierarchy, levels, categories --


def test_mechanism_frequency_counts_recurring_mechanisms(kg):
    cases = {_slug(r["mechanism"]): r["cases"] for r in _rows(kg, "mechanism-frequency")}
    assert cases["liaison-station"] >= 4
    assert cases["satisfaction-evaluation"] >= 4
    assert cases["interview-summons"] >= 2


def test_mechanism_frequency_equals_the_records(kg, records, ancestors):
    expected = Counter()
    for record in records:
        rolled_up = set().union(*(ancestors[m["id"]] for m in record["mechanisms"]))
        expected.update(rolled_up)
    rows = _rows(kg, "mechanism-frequency")
    got = {_slug(r["mechanism"]): r["cases"] for r in rows}
    assert {m: n for m, n in got.items() if n} == dict(expected)
    assert set(got) == set(ancestors)  # unused concepts are listed with 0
    counts = [r["cases"] for r in rows]
    assert counts == sorted(counts, reverse=True)


def test_mechanism_frequency_families(kg, ancestors):
    tops = {m for m, up in ancestors.items() if up == {m}}
    for row in _rows(kg, "mechanism-frequency"):
        mechanism = _slug(row["mechanism"])
        assert _slug(row["family"]) == min(
            (t for t in ancestors[mechanism] if t in tops), key=lambda t: str(MECH[t])
        )
        assert row["label_zh"] and row["label_en"]
    family = {_slug(r["mechanism"]): _slug(r["family"]) for r in _rows(kg, "mechanism-frequency")}
    assert family["topical-inquiry"] == "inquiry"
    assert family["liaison-station-maritime"] == "liaison-station"


def _rolled_up_counts(records, ancestors, key) -> Counter:
    expected = Counter()
    for record in records:
        rolled_up = set().union(*(ancestors[m["id"]] for m in record["mechanisms"]))
        expected.update((m, key(record)) for m in rolled_up)
    return expected


def test_mechanisms_by_level_equal_the_records(kg, records, ancestors):
    expected = _rolled_up_counts(records, ancestors, lambda r: BODY_LEVELS[r["body"]["type"]])
    rows = _rows(kg, "mechanisms-by-level")
    assert {(_slug(r["mechanism"]), _slug(r["level"])): r["cases"] for r in rows} == dict(expected)


def test_liaison_stations_in_township_congresses(kg, records, ancestors):
    townships = {r["id"] for r in records if r["body"]["type"] == "township-congress"}
    assert townships == {"gd-b3-02", "gd-b3-07", "gd-b3-10"}
    with_station = {
        r["id"]
        for r in records
        if r["id"] in townships
        and any("liaison-station" in ancestors[m["id"]] for m in r["mechanisms"])
    }
    rows = _rows(kg, "mechanisms-by-level")
    (row,) = [
        r
        for r in rows
        if _slug(r["mechanism"]) == "liaison-station" and _slug(r["level"]) == "TownshipLevel"
    ]
    assert row["cases"] == len(with_station) == 3


def test_mechanisms_by_category_equal_the_records(kg, records, ancestors):
    expected = _rolled_up_counts(records, ancestors, lambda r: r["category"])
    rows = _rows(kg, "mechanisms-by-category")
    got = {(_slug(r["mechanism"]), _slug(r["category"])): r["cases"] for r in rows}
    assert got == dict(expected)


# -- cases and evidence --


def test_cases_with_liaison_stations(kg, source_text, ancestors):
    rows = _rows(kg, "cases-with-mechanism", mechanism="liaison-station")
    cases = {_slug(r["case"]) for r in rows}
    assert {"gd-b3-05", "gd-b3-06", "gd-b3-07"} <= cases
    for row in rows:
        assert "liaison-station" in ancestors[_slug(row["tagged"])]
        assert row["quote"] and row["quote"] in source_text
        assert row["title_zh"] and row["label_zh"]
    pairs = [(_slug(r["case"]), _slug(r["tagged"])) for r in rows]
    assert len(pairs) == len(set(pairs))  # one quote per case and tagged concept


def test_cases_with_mechanism_equal_the_records(kg, records, ancestors):
    for mechanism in ("liaison-station", "satisfaction-evaluation", "summons", "party-leadership"):
        expected = {
            (r["id"], m["id"])
            for r in records
            for m in r["mechanisms"]
            if mechanism in ancestors[m["id"]]
        }
        rows = _rows(kg, "cases-with-mechanism", mechanism=mechanism)
        assert {(_slug(r["case"]), _slug(r["tagged"])) for r in rows} == expected


def test_evidence_quotes_sit_at_their_offsets(kg, source_text, records):
    rows = _rows(kg, "evidence")
    for row in rows:
        assert source_text[row["start"] : row["end"]] == row["quote"]
    assert len(rows) == sum(len(r["mechanisms"]) for r in records)


@pytest.mark.parametrize(
    ("place", "expected"),
    [
        ("广州市", {"gd-b3-04"}),
        ("河源市", {"gd-b3-02"}),
        ("东源县", {"gd-b3-02"}),
        ("灯塔镇", {"gd-b3-02"}),
        ("440781", {"gd-b3-09"}),
        ("东莞市", {"gd-b3-10"}),
        ("Dongguan", {"gd-b3-10"}),
        ("440000", {f"gd-b3-{n:02d}" for n in range(1, 11)}),
    ],
)
def test_cases_by_place_roll_up_the_hierarchy(kg, place, expected):
    rows = _rows(kg, "cases-by-place", place=place)
    assert {_slug(r["case"]) for r in rows} == expected
    assert len(rows) == len(expected)


def test_cases_by_place_refuses_a_place_that_is_not_there(kg):
    from kg.query.params import ParamError

    with pytest.raises(ParamError, match="matches nothing"):
        _rows(kg, "cases-by-place", place="nowhere")


def test_cases_by_place_names_the_matched_area(kg):
    (row,) = _rows(kg, "cases-by-place", place="广州市")
    assert row["area_zh"] == "广州市"
    assert row["jurisdiction_zh"] == "天河区"
    assert "天河区" in row["body_zh"]


# -- similarity and co-occurrence --


def test_similar_cases_rank_by_jaccard(kg, case_tags, ancestors):
    """Sets hold each tag and its broader families, as in the similarity network."""
    expanded = {c: set().union(*(ancestors[m] for m in tags)) for c, tags in case_tags.items()}
    rows = _rows(kg, "similar-cases", case="gd-b3-05")
    assert rows
    mine = expanded["gd-b3-05"]
    jaccards = [Fraction(str(r["jaccard"])) for r in rows]
    assert jaccards == sorted(jaccards, reverse=True)
    expected = {other: theirs & mine for other, theirs in expanded.items() if other != "gd-b3-05"}
    expected = {other: shared for other, shared in expected.items() if shared}
    assert {_slug(r["similar"]) for r in rows} == set(expected)
    network = kg.similarity_graph()
    for row in rows:
        other = _slug(row["similar"])
        shared = expected[other]
        assert row["shared"] == len(shared)
        union = len(mine) + len(expanded[other]) - len(shared)
        assert float(row["jaccard"]) == pytest.approx(len(shared) / union, abs=5e-5)
        assert float(row["jaccard"]) == pytest.approx(
            network.edges["case:gd-b3-05", f"case:{other}"]["weight"], abs=5e-5
        )
        assert row["shared_mechanisms"].split() == sorted(shared)


def test_similar_cases_of_a_case_with_few_links(kg):
    """A case sharing little still gets only real rows (no empty-group artefacts)."""
    rows = _rows(kg, "similar-cases", case="gd-b3-07")
    assert rows and all(r["similar"] and r["shared"] >= 1 for r in rows)


def test_cooccurrence_lift_equals_an_independent_count(kg, case_tags, ancestors):
    n = len(case_tags)
    assert n == 10
    cases_of = Counter(m for tags in case_tags.values() for m in tags)
    shared = Counter()
    for tags in case_tags.values():
        shared.update(itertools.combinations(sorted(tags, key=lambda m: str(MECH[m])), 2))
    # a concept is never paired with its own broader or narrower concept
    kin = {(a, b) for a, b in shared if a in ancestors[b] or b in ancestors[a]}
    assert kin  # v2 records tag e.g. a station type beside a generic station
    shared = Counter({pair: k for pair, k in shared.items() if pair not in kin})
    rows = _rows(kg, "mechanism-cooccurrence", min_shared="1")
    got = {(_slug(r["mechanism_a"]), _slug(r["mechanism_b"])): r for r in rows}
    assert set(got) == set(shared)
    for (a, b), row in got.items():
        assert row["shared"] == shared[a, b]
        assert float(row["support"]) == pytest.approx(shared[a, b] / n, abs=5e-5)
        lift = shared[a, b] * n / (cases_of[a] * cases_of[b])
        assert float(row["lift"]) == pytest.approx(lift, abs=5e-5)
        assert row["label_a"] and row["label_b"]


def test_cooccurrence_keeps_pairs_above_the_threshold(kg):
    everything = _rows(kg, "mechanism-cooccurrence", min_shared="1")
    default = _rows(kg, "mechanism-cooccurrence")
    assert default == [r for r in everything if r["shared"] >= 2]
    assert default


# -- actors, party, bodies, quantities --


def test_actor_roles_equal_the_records(kg, records):
    properties = {
        "leads": "hasLeadingActor",
        "supports": "hasSupportingActor",
        "participates": "hasParticipatingActor",
        "evaluates": "hasEvaluatingActor",
        "supervised": "supervises",
    }
    pairs = {(r["id"], a["id"], properties[a["role"]]) for r in records for a in r["actors"]}
    expected = Counter((actor, role) for _, actor, role in pairs)
    rows = _rows(kg, "actors")
    assert {(_slug(r["actor"]), r["role"]): r["cases"] for r in rows} == dict(expected)


def test_party_role_quotes(kg, source_text):
    rows = _rows(kg, "party-role")
    by_case = defaultdict(list)
    for row in rows:
        assert row["quote"] in source_text
        by_case[_slug(row["case"])].append(row["quote"])
    assert any("镇党委研究出台" in q for q in by_case["gd-b3-02"])
    assert any("以市委名义" in q for q in by_case["gd-b3-03"])
    roles = {w for r in rows for w in (r["actor_roles"] or "").split()}
    assert {"leads", "supports"} <= roles
    mechanisms = {w for r in rows for w in (r["mechanisms"] or "").split()}
    assert "forwarded-in-party-committee-name" in mechanisms
    passages = [(r["case"], r["start"], r["quote"]) for r in rows]
    assert len(passages) == len(set(passages))  # each passage once


def test_bodies(kg):
    rows = _rows(kg, "bodies")
    levels = Counter(_slug(r["level"]) for r in rows)
    assert levels == {"CountyLevel": 7, "TownshipLevel": 3}
    assert sum(r["cases"] for r in rows) == 10
    (dalang,) = [r for r in rows if r["place_zh"] == "大朗镇"]
    assert dalang["prefecture_zh"] == "东莞市"
    assert dalang["county_zh"] is None
    assert dalang["township_zh"] == "大朗镇"
    assert dalang["code"] is None  # towns have no GB/T 2260 code
    (dengta,) = [r for r in rows if r["place_zh"] == "灯塔镇"]
    assert (dengta["prefecture_zh"], dengta["county_zh"]) == ("河源市", "东源县")
    (taishan,) = [r for r in rows if r["place_zh"] == "台山市"]
    assert (taishan["prefecture_zh"], taishan["county_zh"], taishan["code"]) == (
        "江门市",
        "台山市",
        "440781",
    )


def test_quantities(kg, source_text, records):
    rows = _rows(kg, "quantities")
    assert len(rows) == sum(len(r.get("quantities") or []) for r in records)
    values = {r["value"] for r in rows if _slug(r["case"]) == "gd-b3-04"}
    assert {279, 69} <= values
    for row in rows:
        assert row["quote"] in source_text
        assert row["unit"] and row["what_zh"]


def test_problems_and_platforms_quote_the_source(kg, source_text, records):
    problems = _rows(kg, "problems")
    assert len(problems) == sum(len(r.get("problems") or []) for r in records)
    for row in problems:
        assert row["quote"] in source_text
        assert row["problem_zh"] and row["problem_en"]
    platforms = _rows(kg, "platforms")
    assert len(platforms) == sum(len(r.get("platforms") or []) for r in records)
    assert {r["platform_zh"] for r in platforms} >= {"连线群众", "大朗人大"}


def test_timeline(kg, records):
    rows = _rows(kg, "timeline")
    # gYear values come back as strings
    assert {(str(r["batch_year"]), r["ordinal"]) for r in rows} == {("2020", 3)}
    start = {_slug(r["case"]): r["start_year"] and str(r["start_year"]) for r in rows}
    for record in records:
        year = (record.get("start_year") or {}).get("year")
        assert start[record["id"]] == (None if year is None else str(year))


def test_library_queries_are_prepared_once_per_parameters(seed_kg):
    kg = KnowledgeGraph(seed_kg.store)  # a fresh facade: nothing prepared yet
    first = kg.select("cases-with-mechanism", mechanism="liaison-station")
    other = kg.select("cases-with-mechanism", mechanism="unannounced-visit")
    assert first.rows and other.rows and first.rows != other.rows
    assert kg.select("cases-with-mechanism", mechanism="liaison-station").rows == first.rows
    assert len(kg._prepared) == 2  # one parse per parameter value, reused
