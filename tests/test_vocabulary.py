"""The SKOS vocabularies and the ontology are data with docs: labels, definitions, quotes."""

from rdflib import URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kg.core.namespaces import MECH, RKG


def _langs(graph, subject, predicate) -> list[str]:
    return sorted(o.language for o in graph.objects(subject, predicate))


def test_mechanism_scheme_is_large_and_hierarchical(seed):
    vocab = seed.inputs.vocabulary
    mechanisms = set(vocab.subjects(RDF.type, RKG.Mechanism))
    assert len(mechanisms) >= 30
    for concept in mechanisms:
        assert _langs(vocab, concept, SKOS.prefLabel) == ["en", "zh"], concept
        assert set(_langs(vocab, concept, SKOS.definition)) == {"en", "zh"}, concept
    for leaf in ("central", "area", "village", "industry", "maritime", "star-rating"):
        assert (MECH[f"liaison-station-{leaf}"], SKOS.broader, MECH["liaison-station"]) in vocab
    for leaf in ("scoring-100-point", "evaluation-by-deputies", "evaluation-by-citizens"):
        iri = MECH[f"satisfaction-{leaf}"]
        assert (iri, SKOS.broader, MECH["satisfaction-evaluation"]) in vocab
    for leaf in ("summons", "admonitory-talk", "inquiry"):
        assert (MECH[leaf], SKOS.broader, MECH["interview-summons"]) in vocab


def test_surface_forms_found_in_the_seed_are_alt_labels(seed):
    vocab = seed.inputs.vocabulary
    text = next(iter(seed.inputs.sources.values())).text
    for slug, form in [
        ("summons", "约见"),
        ("admonitory-talk", "约谈"),
        ("unannounced-visit", "暗访"),
        ("one-vote-veto", "一票否决"),
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
