"""The seed validates: SHACL conforms, every evidence quote verifies, QC queries are empty."""

from kg.validate.checks import shacl_findings, validate


def test_seed_validates(seed):
    report = validate(seed)
    assert report.conforms, report.text()
    assert report.checked_spans == sum(len(c.spans()) for c in seed.inputs.cases) > 200
    assert report.qc_queries >= 5


def test_shacl_leaves_the_data_graph_as_it_was(seed):
    """pySHACL validates the graph in place (no copy): it must not add or drop a triple."""
    data = seed.union()
    before = set(data)
    assert shacl_findings(seed, data) == []
    assert set(data) == before


def test_evidence_statements_match_the_source(seed):
    text = next(iter(seed.inputs.sources.values())).text
    g = seed.union()
    rows = list(
        g.query("""
        PREFIX rkg: <https://w3id.org/renda-kg/ontology#>
        SELECT ?q ?s ?e WHERE { ?ev a rkg:Evidence ; rkg:quote ?q ;
                                    rkg:startOffset ?s ; rkg:endOffset ?e }""")
    )
    assert len(rows) > 200
    for quote, start, end in rows:
        assert text[int(start) : int(end)] == str(quote)


def test_qc_queries_catch_broken_graphs(seed):
    """Damage the built graph directly; the matching QC query must report it."""
    from rdflib import Literal, URIRef

    from kg.build.dataset import GRAPH
    from kg.core.namespaces import PLACE, RDFS, RKG

    graph = seed.dataset.graph(GRAPH["source/gd-npc-innovation-cases-batch3-2020"])
    measure = URIRef("https://w3id.org/renda-kg/case/gd-b3-01/measure/2")
    places = seed.dataset.graph(GRAPH["places"])
    damage = [
        (graph, (measure, RKG.ordinal, Literal(1)), "duplicate-measure-ordinal.rq"),
        (graph, (measure, RKG.quote, Literal("多一句", lang="zh")), "span-length.rq"),
        (places, (PLACE["440000"], RKG.partOf, PLACE["440604"]), "place-cycle.rq"),
        (graph, (measure, URIRef(str(RDFS) + "subClasOf"), RKG.Measure), "typo-predicates.rq"),
    ]
    try:
        for g, triple, _ in damage:
            g.add(triple)
        report = validate(seed)
    finally:
        for g, triple, _ in damage:
            g.remove(triple)
    files = {p.file.rsplit("/", 1)[-1] for p in report.errors}
    assert {name for _, _, name in damage} <= files, report.text()
    assert not report.conforms


def test_the_shapes_allow_exactly_the_record_schema_units():
    """The SHACL shape lists the units the record schema knows (once it lacked two: a
    valid record with unit `time` then failed validation)."""
    from rdflib import Graph, Namespace
    from rdflib.collection import Collection

    from kg.records.schema import UNITS

    from ..conftest import ROOT

    sh = Namespace("http://www.w3.org/ns/shacl#")
    shapes = Graph().parse(ROOT / "ontology" / "shapes.ttl")
    unit = Namespace("https://schema.org/").unitText
    lists = [
        {str(v) for v in Collection(shapes, shapes.value(p, sh["in"]))}
        for p in shapes.subjects(sh.path, unit)
        if shapes.value(p, sh["in"]) is not None
    ]
    assert lists == [set(UNITS)]
