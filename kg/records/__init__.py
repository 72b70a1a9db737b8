"""Curated case records: the record schema (owned here), reading YAML records
into typed, located objects, and writing them back.
"""
