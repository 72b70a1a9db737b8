"""Validation of a build: evidence quotes against their sources, SHACL shapes,
quality-control queries.
"""
