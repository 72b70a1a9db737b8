"""Queries over a store: the named query library, the query facade, result
writers and graph statistics.
"""
