"""Query parameters given as strings (`name=value`), turned into RDF terms."""

from __future__ import annotations

import re

from rdflib import Literal, URIRef
from rdflib.term import Node

from kg.core.errors import KgError, Problem, option
from kg.core.namespaces import PREFIXES

_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def term_from_param(name: str, value: str, kind: str = "auto", prefix: str = "") -> Node:
    """Turn a parameter given as a string into an RDF term.

    `kind` is `iri` (a full IRI, a prefixed name, or a bare id under `prefix`), `integer`,
    `literal` (a plain string) or `auto` (IRI if it looks like one, else a plain string).
    """
    where = option("params")
    if kind == "integer":
        if not re.fullmatch(r"[-+]?\d+", value):
            raise KgError(Problem(where, f"{name}={value!r} must be a whole number", name))
        return Literal(int(value))
    if kind == "literal":
        return Literal(value)
    iri = None
    if value.startswith(("http://", "https://", "urn:")):
        iri = value
    elif ":" in value and value.split(":", 1)[0] in PREFIXES:
        p, local = value.split(":", 1)
        iri = PREFIXES[p] + local
    elif kind == "iri" and prefix:
        iri = (PREFIXES.get(prefix.rstrip(":")) or prefix) + value
    if iri is None:
        if kind == "iri":
            raise KgError(
                Problem(
                    where,
                    f"{name}={value!r} is not an IRI",
                    name,
                    hint="give a full IRI, a prefixed name such as mech:x, or an id",
                )
            )
        return Literal(value)
    if _IRI_FORBIDDEN.search(iri):
        raise KgError(
            Problem(
                where,
                f"{name}: {iri!r} is not a valid IRI",
                name,
                hint="IRIs cannot contain spaces, quotes or angle brackets",
            )
        )
    return URIRef(iri)
