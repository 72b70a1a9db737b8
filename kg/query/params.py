"""Query parameters given as strings (`name=value`), turned into RDF terms."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from kg.core.errors import KgError, Problem, option
from kg.core.fields import suggest

if TYPE_CHECKING:  # rdflib costs ~0.15 s to import: the command line imports this module
    from rdflib import URIRef
    from rdflib.term import Node

_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
#: `x:y` where x could be meant as a prefix (no spaces, an ASCII name)
_PREFIXED = re.compile(r"(?P<prefix>[A-Za-z][A-Za-z0-9_-]*):(?P<local>\S*)")


class ParamError(KgError):
    """A parameter value that names nothing (or several things): a usage error.

    The command line exits 2 for it, as for a bad flag: a query that would have run
    and silently found nothing is a mistake of the call, not an empty answer.
    """


def prefixed_iri(value: str) -> str | None:
    """The IRI of a prefixed name with a project prefix (`mech:x`), else None."""
    from kg.core.namespaces import PREFIXES

    match = _PREFIXED.fullmatch(value)
    if match and match["prefix"] in PREFIXES:
        return PREFIXES[match["prefix"]] + match["local"]
    return None


def unknown_prefix(name: str, value: str) -> ParamError | None:
    """An error for `mehc:liaison-station` (a prefix we do not know), else None."""
    from kg.core.namespaces import PREFIXES

    match = _PREFIXED.fullmatch(value)
    if not match or match["prefix"] in PREFIXES or value.startswith(("http:", "https:", "urn:")):
        return None
    hint = suggest(match["prefix"], PREFIXES)
    return ParamError(
        Problem(
            option("params"),
            f"{name}={value!r}: unknown prefix {match['prefix']}:"
            + (f" ({hint})" if hint else f"; the prefixes are {', '.join(PREFIXES)}"),
        )
    )


def check_iri(name: str, iri: str) -> URIRef:
    from rdflib import URIRef

    if _IRI_FORBIDDEN.search(iri):
        raise ParamError(
            Problem(
                option("params"),
                f"{name}: {iri!r} is not a valid IRI",
                name,
                hint="IRIs cannot contain spaces, quotes or angle brackets",
            )
        )
    return URIRef(iri)


def term_from_param(name: str, value: str, kind: str = "auto", prefix: str = "") -> Node:
    """Turn a parameter given as a string into an RDF term, without looking at the graph.

    `kind` is `iri` (a full IRI, a prefixed name, or a bare id under `prefix`), `integer`,
    `literal` (a plain string) or `auto` (IRI if it looks like one, else a plain string).
    Labels are resolved by `kg.query.resolve`, which needs the graph.
    """
    from rdflib import Literal

    from kg.core.namespaces import PREFIXES

    where = option("params")
    if kind == "integer":
        if not re.fullmatch(r"[-+]?\d+", value):
            raise ParamError(Problem(where, f"{name}={value!r} must be a whole number", name))
        return Literal(int(value))
    if kind == "literal":
        return Literal(value)
    iri = None
    if value.startswith(("http://", "https://", "urn:")):
        iri = value
    elif prefixed_iri(value):
        iri = prefixed_iri(value)
    elif kind == "iri" and prefix:
        first = prefix.split("|")[0]
        iri = (PREFIXES.get(first.rstrip(":")) or first) + value
    if iri is None:
        if kind == "iri":
            raise ParamError(
                Problem(
                    where,
                    f"{name}={value!r} is not an IRI",
                    name,
                    hint="give a full IRI, a prefixed name such as mech:x, or an id",
                )
            )
        return Literal(value)
    return check_iri(name, iri)


def check_timeout(timeout: float | None) -> float | None:
    """A deadline in seconds as given by a caller: None or 0 for none, else finite > 0."""
    if timeout is None or timeout == 0:
        return None
    if not (isinstance(timeout, int | float) and 0 < timeout < 1e9):
        raise KgError(
            Problem(
                option("timeout"),
                f"{timeout!r} is not a number of seconds",
                hint="give a positive number of seconds, or 0 for no limit",
            )
        )
    return float(timeout)
