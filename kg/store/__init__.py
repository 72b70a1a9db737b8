"""Stores that answer checked, read-only SPARQL: rdflib in memory, Oxigraph in
memory or in a folder, a remote endpoint; and `kg load` into persistent stores.
"""
