"""The hostile-input suite: every entry point, hostile inputs, nothing lost or leaked.

    test_records.py        YAML records and source metadata through `kg build`
    test_rdf_loaders.py    Turtle/TriG/N-Triples/N-Quads/JSON-LD/RDF-XML through
                           `kg query --graph` (both stores), `kg diff`, `kg load`
    test_strict_gate.py    kg.core.rdfio's strict gate: positions, DTDs, contexts, lexical forms
    test_ingest.py         notices through `kg ingest`
    test_sparql.py         SPARQL through `kg query` (both stores)
    test_serve_hostile.py  the same and 200 MB bodies through kg/serve.py and `kg serve`
    test_labels.py         markup, formulas and control characters in labels through
                           `kg render` (Chromium), `kg docs`, `kg figures`, `kg export`
    test_atomic.py         killed and failed runs keep the last good output
    test_properties.py     Hypothesis: round trips, ingest never crashes, stores agree
    test_network_guard.py  the session-wide guard against outbound connections

Run with `.venv/bin/python -m pytest -q tests/hostile`; KG_HYPOTHESIS_SCALE=10 makes the
property tests ten times deeper.
"""
