"""Inputs as read from data/: source texts with their metadata, the SKOS
vocabularies, and the places of the administrative hierarchy.
"""
