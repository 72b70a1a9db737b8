"""Content negotiation: the format to answer in, from `format=` and the Accept header."""

from __future__ import annotations

from collections.abc import Iterable

from kg.core.formats import RDF, RESULTS, Format, find
from kg.serve.replies import Refusal

#: The formats the endpoint serves, default first.
RESULT_FORMATS = tuple(f for f in RESULTS if f.served)
GRAPH_FORMATS = tuple(f for f in RDF if f.served)


def _accept_entries(accept: str) -> list[tuple[str, float]]:
    """(media type, q) from an Accept header, best first; q=0 entries are dropped."""
    entries = []
    for i, part in enumerate(accept.split(",")):
        bits = [b.strip() for b in part.split(";")]
        kind = bits[0].lower()
        if not kind:
            continue
        q = 1.0
        for bit in bits[1:]:
            key, _, value = bit.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            entries.append((kind, q, i))
    entries.sort(key=lambda e: (-e[1], e[2]))
    return [(k, q) for k, q, _ in entries]


def negotiate(accept: str, formats: Iterable[str], offered: tuple[Format, ...]) -> Format:
    """The format to answer in: the first known `format=` value, else the best Accept
    entry, else the default (the first offered). Unknown `format=` names are ignored, as
    SPARQL clients send several spellings at once; an Accept header that names only
    formats not offered here (N-Quads or TriG for a graph, say) and no wildcard is
    refused with 406 rather than answered in a format the client did not ask for."""
    for value in formats:
        found = find(offered, value)
        if found:
            return found
    entries = _accept_entries(accept or "*/*")
    if accept.strip() and not any(_matches(kind, offered) for kind, _ in entries):
        raise Refusal(
            406,
            f"cannot answer in {accept.strip()[:200]!r}",
            hint="accept one of " + ", ".join(f.media_type for f in offered),
        )
    for kind, _ in entries:
        found = find(offered, kind)
        if found:
            return found
        if kind == "*/*":
            return offered[0]
        if kind.endswith("/*"):
            major = kind[:-1]
            for f in offered:
                if f.media_type.startswith(major):
                    return f
    return offered[0]


def _matches(kind: str, offered: tuple[Format, ...]) -> bool:
    if kind == "*/*" or find(offered, kind):
        return True
    return kind.endswith("/*") and any(f.media_type.startswith(kind[:-1]) for f in offered)


def prefers_text(accept: str) -> bool:
    """Whether an error should be text/plain rather than JSON for this Accept header."""
    for kind, _ in _accept_entries(accept or ""):
        if kind == "text/plain":
            return True
        if "json" in kind or kind in ("*/*", "application/*"):
            return False
    return False
