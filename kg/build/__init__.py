"""Build: checked inputs -> an RDF dataset with one named graph per source, its
deterministic serialisations, and the output folder that switches as one.
"""
