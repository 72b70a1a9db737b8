"""Facts about the seed graph that a reader can check against the notice itself."""

from rdflib import Literal, URIRef

from kg.core.namespaces import PLACE, RKG, sparql_prologue


def _select(seed, query: str) -> list[tuple]:
    return [tuple(row) for row in seed.union().query(sparql_prologue() + query)]


def test_ten_cases_in_three_categories(seed):
    rows = _select(
        seed,
        """
        SELECT ?cat (COUNT(?c) AS ?n) WHERE { ?c a rkg:InnovationCase ; rkg:category ?cat }
        GROUP BY ?cat""",
    )
    counts = {str(cat).rsplit("/", 1)[1]: int(n) for cat, n in rows}
    assert counts == {"supervision": 3, "deputy-work": 6, "publicity": 1}


def test_bodies_and_levels(seed):
    rows = _select(
        seed,
        """
        SELECT ?type ?level (COUNT(DISTINCT ?b) AS ?n) WHERE {
          ?c rkg:declaredBy ?b . ?b a ?type ; rkg:level ?level }
        GROUP BY ?type ?level""",
    )
    counts = {(t.fragment, lv.fragment): int(n) for t, lv, n in rows}
    assert counts == {
        ("CountyStandingCommittee", "CountyLevel"): 7,
        ("TownshipCongress", "TownshipLevel"): 3,
    }


def _code_and_parent(seed, name: str) -> tuple[str, str]:
    rows = _select(
        seed,
        f"""
        SELECT ?code ?parentName WHERE {{
          ?p rdfs:label "{name}"@zh ; rkg:divisionCode ?code ; rkg:partOf ?parent .
          ?parent rdfs:label ?parentName FILTER(lang(?parentName) = "zh") }}""",
    )
    assert len(rows) == 1, rows
    return str(rows[0][0]), str(rows[0][1])


def test_place_codes_and_parents(seed):
    assert _code_and_parent(seed, "禅城区") == ("440604", "佛山市")
    assert _code_and_parent(seed, "东源县") == ("441625", "河源市")
    assert _code_and_parent(seed, "坪山区") == ("440310", "深圳市")
    # named without their prefecture cities in the notice:
    assert _code_and_parent(seed, "台山市") == ("440781", "江门市")
    assert _code_and_parent(seed, "廉江市") == ("440881", "湛江市")


def test_towns_hang_on_the_right_parents(seed):
    g = seed.union()
    assert (PLACE["441900-dalang"], RKG.partOf, PLACE["441900"]) in g  # 东莞: no county level
    assert (PLACE["441625-dengta"], RKG.partOf, PLACE["441625"]) in g
    assert (PLACE["440523-houzhai"], RKG.partOf, PLACE["440523"]) in g
    assert (PLACE["441900"], RKG.partOf, PLACE["440000"]) in g
    assert g.value(PLACE["441900-dalang"], RKG.divisionCode) is None


def test_case_names_its_body_and_place_chain(seed):
    rows = _select(
        seed,
        """
        SELECT ?title ?town ?county ?city WHERE {
          ?c rkg:itemNumber 2 ; dcterms:title ?title ; rkg:declaredBy/rkg:jurisdiction ?t .
          ?t rdfs:label ?town ; rkg:partOf ?co . ?co rdfs:label ?county ; rkg:partOf ?ci .
          ?ci rdfs:label ?city
          FILTER(lang(?title) = "zh" && lang(?town) = "zh" && lang(?county) = "zh"
                 && lang(?city) = "zh") }""",
    )
    assert [tuple(map(str, r)) for r in rows] == [
        ("党委领导、人大主导、部门协同的村(居)综合工作考评机制", "灯塔镇", "东源县", "河源市")
    ]


FAMILY_CASES = """
    SELECT ?case ?quote WHERE {{
      ?m skos:broader* mech:{family} .
      ?case rkg:usesMechanism ?m .
      ?ev rdf:subject ?case ; rdf:predicate rkg:usesMechanism ; rdf:object ?m ; rkg:quote ?quote
    }}"""


def _family(seed, family: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for case, quote in _select(seed, FAMILY_CASES.format(family=family)):
        out.setdefault(str(case), []).append(str(quote))
    return out


def test_recurring_mechanism_families_have_quotes_in_the_source(seed):
    text = next(iter(seed.inputs.sources.values())).text
    for family in ("liaison-station", "satisfaction-evaluation", "interview-summons"):
        cases = _family(seed, family)
        assert len(cases) >= 2, (family, cases)
        for quotes in cases.values():
            assert all(q in text for q in quotes)


def test_liaison_station_cases(seed):
    cases = {c.rsplit("/", 1)[1] for c in _family(seed, "liaison-station")}
    # 阳山 (central + area stations), 金湾 (central station), 后宅 (industry + maritime).
    assert {"gd-b3-05", "gd-b3-06", "gd-b3-07"} <= cases


def test_quantities_from_the_notice(seed):
    rows = _select(
        seed,
        """
        SELECT ?case ?value ?unit ?year WHERE {
          ?case rkg:reportsQuantity ?q . ?q schema:value ?value ; schema:unitText ?unit .
          OPTIONAL { ?q rkg:year ?year } }""",
    )
    facts = {
        (str(c).rsplit("/", 1)[1], int(v), str(u), str(y) if y else None) for c, v, u, y in rows
    }
    assert ("gd-b3-04", 279, "person", None) in facts
    assert ("gd-b3-04", 69, "person", None) in facts
    assert ("gd-b3-09", 1000000, "CNY", "2018") in facts
    assert ("gd-b3-09", 2000000, "CNY", "2019") in facts
    assert ("gd-b3-09", 2000000, "CNY", "2020") in facts
    assert ("gd-b3-09", 62, "item", None) in facts
    for value in (141, 126, 38, 29):
        assert any(c == "gd-b3-07" and v == value for c, v, _, _ in facts), value


def test_every_case_has_measures_in_order_and_a_selection_reason(seed):
    g = seed.union()
    for case in seed.inputs.cases:
        iri = URIRef(f"https://w3id.org/renda-kg/case/{case.id}")
        ordinals = sorted(int(g.value(m, RKG.ordinal)) for m in g.objects(iri, RKG.hasMeasure))
        assert ordinals == list(range(1, len(ordinals) + 1)) and len(ordinals) >= 3
        reason = g.value(iri, RKG.selectionReason)
        assert isinstance(reason, Literal) and str(reason)


def test_source_metadata(seed):
    rows = _select(
        seed,
        """
        SELECT ?date ?sha ?ordinal ?year WHERE {
          ?s a rkg:SourceDocument ; dcterms:issued ?date ; rkg:sha256 ?sha .
          ?b a rkg:Batch ; dcterms:source ?s ; rkg:ordinal ?ordinal ; rkg:year ?year }""",
    )
    assert [(str(d), int(o), str(y)) for d, _, o, y in rows] == [("2020-12-31", 3, "2020")]
