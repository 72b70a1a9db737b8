"""Shared basics every stage may use: errors, namespaces, strict reading and atomic
writing of files, located YAML fields, strict RDF reading, process isolation.
"""
