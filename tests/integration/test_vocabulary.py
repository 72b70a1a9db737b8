"""The SKOS vocabularies and the ontology are data with docs: labels, definitions, quotes.

The mechanism vocabulary (version 2) is faceted, its hierarchy says "is a kind of" only,
and every concept carries its justification: a quote of the seed, a law or a practice.
"""

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from kg.core.namespaces import MECH, RKG, SCHEME

FACETS = ("instrument", "target", "consequence", "channel", "station", "organisation", "governance")


def _langs(graph, subject, predicate) -> list[str]:
    return sorted(o.language for o in graph.objects(subject, predicate))


def _live(vocab) -> set:
    return {
        c
        for c in vocab.subjects(RDF.type, RKG.Mechanism)
        if (c, OWL.deprecated, Literal(True)) not in vocab
    }


def _ancestors(vocab, concept) -> set:
    return set(vocab.transitive_objects(concept, SKOS.broader)) - {concept}


def test_every_live_concept_is_in_one_facet_with_labels_and_justification(seed):
    vocab = seed.inputs.vocabulary
    live = _live(vocab)
    assert 100 <= len(live) <= 115
    members = {f: set(vocab.objects(SCHEME[f"facet-{f}"], SKOS.member)) for f in FACETS}
    assert all((SCHEME[f"facet-{f}"], RDF.type, SKOS.Collection) in vocab for f in FACETS)
    for concept in live:
        assert sum(concept in m for m in members.values()) == 1, concept
        assert _langs(vocab, concept, SKOS.prefLabel) == ["en", "zh"], concept
        assert set(_langs(vocab, concept, SKOS.definition)) == {"en", "zh"}, concept
        justified = (
            any(vocab.objects(concept, RKG.sourceQuote))
            or any(vocab.objects(concept, DCTERMS.source))
            or any(vocab.objects(concept, SKOS.scopeNote))
        )
        assert justified, concept
    assert all(len(m) >= 8 for m in members.values())


def test_statutory_instruments_cite_the_law(seed):
    vocab = seed.inputs.vocabulary
    for slug, law in [
        ("special-work-report", "监督法"),
        ("law-enforcement-inspection", "监督法"),
        ("inquiry", "监督法"),
        ("interpellation", "监督法"),
        ("special-question-investigation", "监督法"),
        ("normative-document-filing-review", "监督法"),
        ("legislative-liaison-point", "立法法"),
        ("intersessional-deputy-activities", "代表法"),
    ]:
        sources = [str(o) for o in vocab.objects(MECH[slug], DCTERMS.source)]
        assert any(law in s for s in sources), slug
        assert any(vocab.objects(MECH[slug], SKOS.note)), slug


def test_broader_means_is_a_kind_of(seed):
    vocab = seed.inputs.vocabulary
    for child, parent in [
        ("liaison-station-central", "liaison-station"),
        ("liaison-station-industry", "liaison-station"),
        ("liaison-station-maritime", "liaison-station-mobile"),
        ("topical-inquiry", "inquiry"),
        ("summons", "interview-summons"),
        ("satisfaction-evaluation-by-deputies", "satisfaction-evaluation"),
        ("constituency-based-contact", "deputy-voter-contact"),
    ]:
        assert MECH[parent] in _ancestors(vocab, MECH[child]), child
    # the v1 links that made wrong findings are gone
    for child, parent in [
        ("suggestion-assignment", "deputy-suggestion-handling"),
        ("suggestion-closed-loop", "deputy-suggestion-handling"),
        ("law-enforcement-inspection", "inspection-visit"),
        ("deputy-performance-file", "deputy-voter-contact"),
        ("inquiry", "interview-summons"),
        ("results-in-performance-assessment", "work-appraisal"),
        ("village-comprehensive-appraisal", "work-appraisal"),
        ("liaison-station-star-rating", "liaison-station"),
        ("officials-at-liaison-station", "liaison-station"),
        ("liaison-station-hub-network", "liaison-station"),
    ]:
        assert MECH[parent] not in _ancestors(vocab, MECH[child]), child


def test_problem_phrases_and_generic_words_are_not_surface_forms(seed):
    vocab = seed.inputs.vocabulary
    forms = {
        str(o)
        for c in _live(vocab)
        for p in (SKOS.prefLabel, SKOS.altLabel)
        for o in vocab.objects(c, p)
        if o.language == "zh"
    }
    for word in (
        "被满意",
        "重答复轻落实",
        "满意度",
        "闭环",
        "联系群众",
        "绩效考核",
        "提前介入",
        "现场公布",
        "联合召开",
        "法治主题公园",
    ):
        assert word not in forms, word


def test_a_deprecated_concept_names_its_replacement(seed):
    vocab = seed.inputs.vocabulary
    old = MECH["satisfaction-scoring-100-point"]
    assert (old, OWL.deprecated, Literal(True)) in vocab
    assert vocab.value(old, DCTERMS.isReplacedBy) == MECH["suggestion-staged-evaluation"]
    cases = {m.id for c in seed.inputs.cases for m in c.mechanisms}
    assert "satisfaction-scoring-100-point" not in cases
    assert "suggestion-staged-evaluation" in cases


def test_surface_forms_found_in_the_seed_are_alt_labels(seed):
    vocab = seed.inputs.vocabulary
    text = next(iter(seed.inputs.sources.values())).text
    for slug, form in [
        ("summons", "约见"),
        ("admonitory-talk", "约谈"),
        ("unannounced-visit", "暗访"),
        ("one-vote-veto", "一票否决"),
        ("government-liaison-meeting", "沟通对接会"),
        ("suggestion-re-handling", "重新办理"),
        ("commendation", "通报表彰"),
    ]:
        labels = {str(o) for o in vocab.objects(MECH[slug], SKOS.altLabel)}
        labels |= {str(o) for o in vocab.objects(MECH[slug], SKOS.prefLabel)}
        assert form in labels and form in text


def test_source_quotes_are_verbatim(seed):
    text = next(iter(seed.inputs.sources.values())).text
    quotes = [
        str(o)
        for g in (seed.inputs.vocabulary, seed.inputs.ontology)
        for o in g.objects(None, RKG.sourceQuote)
    ]
    assert len(quotes) > 60
    assert all(q in text for q in quotes)


def test_ontology_terms_are_bilingual_and_documented(seed):
    onto = seed.inputs.ontology
    ns = str(RKG)
    terms = {
        s
        for t in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
        for s in onto.subjects(RDF.type, t)
        if str(s).startswith(ns)
    }
    assert len(terms) > 40
    for term in terms:
        assert set(_langs(onto, term, RDFS.label)) == {"en", "zh"}, term
        assert set(_langs(onto, term, RDFS.comment)) == {"en", "zh"}, term
    header = URIRef(ns.rstrip("#"))
    assert (header, RDF.type, OWL.Ontology) in onto
    assert onto.value(header, OWL.versionInfo) is not None


def test_matches_to_eurovoc_are_those_the_docs_list(seed):
    """Each mapping points to a EuroVoc descriptor IRI, none claims an exact match, the
    statutory instruments have one, and docs/vocabulary-mapping.md lists exactly these."""
    import re
    from pathlib import Path

    vocab = seed.inputs.vocabulary
    relations = {SKOS.closeMatch, SKOS.broadMatch, SKOS.relatedMatch, SKOS.narrowMatch}
    found = set()
    for s, p, o in vocab:
        if p in relations | {SKOS.exactMatch}:
            assert p != SKOS.exactMatch, s
            assert re.fullmatch(r"http://eurovoc\.europa\.eu/\d+", str(o)), o
            assert s in _live(vocab), s
            found.add((str(s).rsplit("/", 1)[1], p.fragment, str(o).rsplit("/", 1)[1]))
    slugs = {c for c, _, _ in found}
    assert {"inquiry", "interpellation", "special-question-investigation"} <= slugs
    assert {"budget-review", "final-accounts-review", "normative-document-filing-review"} <= slugs
    docs = Path(__file__).parents[2] / "docs" / "vocabulary-mapping.md"
    table = re.findall(
        r"^\| ([a-z-]+) \| skos:(\w+) \| \[(\d+)\]\(http://eurovoc\.europa\.eu/\3\) \|",
        docs.read_text(encoding="utf-8"),
        re.M,
    )
    assert set(table) == found and len(table) == len(found)
