"""Checks of the mechanism vocabulary that a bad edit would break, with file and line.

SHACL sees triples, not the file a curator edits; these checks name the line of the
concept in data/vocab/*.ttl: a cycle in skos:broader, a live concept without exactly
one zh and one en prefLabel or without a facet, a surface form (label) shared by two
live concepts of the same facet (the tagger could not choose between them; across
facets both are found on purpose), a pattern that does not compile, and a deprecated
concept without a live replacement. A record that uses a deprecated concept is refused
when it is read (`kg.records.load`).
"""

from __future__ import annotations

import re
from pathlib import Path

import networkx as nx
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, SKOS

from kg.core.errors import Problem
from kg.core.namespaces import MECH, RKG, SCHEME
from kg.ingest.mechanisms import compile_pattern
from kg.ingest.text import match_form


class Locator:
    """The file and line where a concept is written, found by its prefixed name."""

    def __init__(self, folder: Path):
        self.lines: dict[str, tuple[str, int]] = {}
        for path in sorted(folder.glob("*.ttl")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                match = re.match(r"mech:([A-Za-z0-9_-]+)\s*$", line)
                if match:
                    self.lines.setdefault(match.group(1), (str(path), number))

    def problem(self, slug: str, message: str, hint: str = "") -> Problem:
        file, line = self.lines.get(slug, ("data/vocab/mechanisms.ttl", None))
        return Problem(file, message, field=f"mech:{slug}", line=line, hint=hint)


# (民)? 人大? (x)* (x)+ (x){2}: the pattern syntax has no quantifier (a literal `+`, as in
# 1+N, follows no group)
_REGEX_QUANTIFIER = re.compile(r"[?*]|\)\+|\{\d")


def _slug(term: object) -> str:
    return str(term).removeprefix(str(MECH))


def check_vocabulary(graph: Graph, folder: Path) -> list[Problem]:
    """Every problem of the mechanism concepts in `graph` (read from `folder`)."""
    where = Locator(folder)
    problems: list[Problem] = []
    concepts = sorted(
        c
        for c in graph.subjects(RDF.type, SKOS.Concept)
        if isinstance(c, URIRef) and str(c).startswith(str(MECH))
    )
    deprecated = {c for c in concepts if (c, OWL.deprecated, Literal(True)) in graph}
    live = [c for c in concepts if c not in deprecated]
    facet_of: dict[URIRef, list[str]] = {}
    for collection in graph.subjects(RDF.type, SKOS.Collection):
        name = str(collection).removeprefix(str(SCHEME))
        for member in graph.objects(collection, SKOS.member):
            facet_of.setdefault(member, []).append(name)
    forms: dict[tuple[str, str], URIRef] = {}
    for concept in live:
        slug = _slug(concept)
        for lang in ("zh", "en"):
            labels = [
                o
                for o in graph.objects(concept, SKOS.prefLabel)
                if getattr(o, "language", "") == lang
            ]
            if len(labels) != 1:
                problems.append(
                    where.problem(
                        slug,
                        f"has {len(labels)} skos:prefLabel@{lang}; a concept needs exactly one",
                        hint=f'write one skos:prefLabel "..."@{lang}',
                    )
                )
        facets = facet_of.get(concept, [])
        if len(facets) != 1:
            problems.append(
                where.problem(
                    slug,
                    f"is a member of {len(facets)} facets ({', '.join(facets) or 'none'}); "
                    "a live concept belongs to exactly one",
                    hint="list it under skos:member of one scheme:facet-* collection",
                )
            )
        facet = facets[0] if facets else ""
        labels = [
            o
            for p in (SKOS.prefLabel, SKOS.altLabel)
            for o in graph.objects(concept, p)
            if getattr(o, "language", "") == "zh"
        ]
        for label in sorted(labels):
            key = (facet, match_form(str(label)))
            other = forms.setdefault(key, concept)
            if other != concept:
                problems.append(
                    where.problem(
                        slug,
                        f"shares the surface form {str(label)!r} with mech:{_slug(other)} in "
                        f"the {facet or 'same'} facet: the tagger cannot choose between them",
                        hint="keep the form on the one concept it names, or make one of them "
                        "a pattern with more context",
                    )
                )
        for pattern in graph.objects(concept, RKG.pattern):
            try:
                compile_pattern(str(pattern))
            except (ValueError, re.error) as exc:
                problems.append(
                    where.problem(slug, f"rkg:pattern {str(pattern)!r} does not compile: {exc}")
                )
        for kind, name in ((RKG.pattern, "rkg:pattern"), (RKG.exclusion, "rkg:exclusion")):
            for pattern in graph.objects(concept, kind):
                if _REGEX_QUANTIFIER.search(match_form(str(pattern))):  # （民）？ too
                    problems.append(
                        where.problem(
                            slug,
                            f"{name} {str(pattern)!r} uses a regular-expression "
                            "quantifier, which the pattern syntax reads as a literal character",
                            hint="write an optional part as an alternative with an empty "
                            "branch: (民|) rather than (民)?",
                        )
                    )
    for concept in sorted(deprecated):
        new = next(iter(graph.objects(concept, DCTERMS.isReplacedBy)), None)
        if new is None or new in deprecated or (new, RDF.type, SKOS.Concept) not in graph:
            problems.append(
                where.problem(
                    _slug(concept),
                    "is deprecated without a live replacement",
                    hint="give dcterms:isReplacedBy a live concept",
                )
            )
    broader = nx.DiGraph(
        (c, b) for c in concepts for b in graph.objects(c, SKOS.broader) if b in concepts
    )
    for cycle in nx.simple_cycles(broader):
        names = " -> ".join(f"mech:{_slug(c)}" for c in [*cycle, cycle[0]])
        problems.append(
            where.problem(
                _slug(cycle[0]),
                f"skos:broader goes round in a circle: {names}",
                hint="broader means 'is a kind of': remove one link of the circle",
            )
        )
    return problems
