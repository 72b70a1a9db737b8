"""Parameters that name things the way researchers do: by id, IRI, or zh/en label.

`mechanism=代表联络站`, `place=广州`, `place=珠三角`, `case=gd-b3-05` all name one thing.
A value is tried in this order, and the first step that finds anything decides:

1. a full IRI or a prefixed name (`mech:liaison-station`): it must be in the graph;
2. an id, the local name under one of the parameter's namespaces (`gd-b3-05`);
3. a name: `skos:prefLabel`, `rdfs:label`, `dcterms:title`, a division code or a
   notation, exactly (English ignoring case); then an alias (`skos:altLabel`) exactly;
4. the start of an id or a name, if it starts only one thing's (`广州` -> 广州市).

When nothing or several things match, a one-line `ParamError` lists the close matches:
before this, an unknown id or a short name ran and silently found no rows.

The names of a namespace are read with one query and kept, so a long session (or the
endpoint, which reads them before it forks) asks once; ids are checked with ASK first,
so a well-formed id on a large graph costs one lookup, not a table.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Protocol

from rdflib import URIRef

from kg.core.errors import Problem, option
from kg.core.namespaces import PREFIXES, compact_iri
from kg.query.params import ParamError, check_iri, prefixed_iri, unknown_prefix


class QueryGraph(Protocol):
    """What a resolver asks of a graph (`kg.query.graph.QueryGraph`, which imports this
    module: naming it here would make an import cycle)."""

    def query(self, sparql: str, **options: Any) -> Any: ...

    def query_own(self, sparql: str, *, where: str = "query") -> Any: ...


_NAMES = """
SELECT ?item ?rank ?name WHERE {
  VALUES (?property ?rank) {
    (rdfs:label 0) (skos:prefLabel 0) (dcterms:title 0)
    (rkg:divisionCode 1) (skos:notation 1) (skos:altLabel 2)
  }
  ?item ?property ?name .
  FILTER(isIRI(?item) && STRSTARTS(STR(?item), "%s"))
}
"""
_SHOWN = 5


@dataclass(frozen=True)
class Name:
    """One name of one thing: its text, and its rank (0 a label or title, 1 a code or
    notation, 2 an alias)."""

    item: str
    text: str
    rank: int

    @property
    def alias(self) -> bool:
        return self.rank == 2


class Resolver:
    """Resolves parameter values against one graph; the names read are kept."""

    def __init__(self, graph: QueryGraph):
        self.graph = graph
        self._names: dict[str, list[Name]] = {}
        self._resolved: dict[tuple[str, tuple[str, ...]], URIRef] = {}

    def preload(self, namespaces: list[str]) -> None:
        """Read the names of these namespaces now (the endpoint does, before it forks)."""
        for ns in namespaces:
            self.names(ns)

    def names(self, namespace: str) -> list[Name]:
        found = self._names.get(namespace)
        if found is None:
            rows = self.graph.query_own(_NAMES % namespace, where="names").rows
            found = sorted(
                {Name(str(item), str(name), int(rank)) for item, rank, name in rows},
                key=lambda n: (n.item, n.rank, not _has_cjk(n.text), n.text),
            )
            self._names[namespace] = found
        return found

    def _exists(self, iri: str, namespaces: list[str]) -> bool:
        for ns in namespaces:
            if iri.startswith(ns) and ns in self._names:
                return any(n.item == iri for n in self._names[ns])
        return bool(self.graph.query(f"ASK {{ <{iri}> ?p ?o }}", timeout=None, where="params"))

    def resolve(self, name: str, value: str, prefixes: list[str]) -> URIRef:
        """The one IRI that `value` names under `prefixes` (e.g. ["place:", "region:"])."""
        key = (value, tuple(prefixes))
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = self._resolve(name, value, prefixes)
            if len(self._resolved) > 4096:  # e.g. similar-cases for every case of a big graph
                self._resolved.clear()
        return found

    def _resolve(self, name: str, value: str, prefixes: list[str]) -> URIRef:
        namespaces = [PREFIXES.get(p.rstrip(":"), p) for p in prefixes]
        value = value.strip()
        if not value:
            raise _error(name, value, "is empty", [])
        iri = value if value.startswith(("http://", "https://", "urn:")) else prefixed_iri(value)
        if iri is None and (problem := unknown_prefix(name, value)):
            raise problem
        if iri is not None:
            check_iri(name, iri)
            if self._exists(iri, namespaces):
                return URIRef(iri)
            local = iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
            raise _error(name, value, "is not in the graph", self._close(local, namespaces))
        for ns in namespaces:  # an id
            if not any(c in value for c in ' <>"{}|^`\\') and self._exists(ns + value, [ns]):
                return URIRef(ns + value)
        names = [n for ns in namespaces for n in self.names(ns)]
        for step in (_exact(value, alias=False), _exact(value, alias=True), _starts(value)):
            hits = sorted({n.item for n in names if step(n)})
            if len(hits) == 1:
                return URIRef(hits[0])
            if len(hits) > 1:
                shown = _describe(hits, names)
                what = f"matches {len(hits)} things: {shown}; give one of their ids"
                raise _error(name, value, what, [])
        raise _error(name, value, "matches nothing", self._close(value, namespaces))

    def _close(self, value: str, namespaces: list[str]) -> list[str]:
        """Up to five things whose id or name is like `value` or contains it."""
        names = [n for ns in namespaces for n in self.names(ns)]
        keys: dict[str, str] = {}
        for n in names:
            keys.setdefault(compact_iri(n.item).split(":", 1)[-1], n.item)
            keys.setdefault(n.text.casefold(), n.item)
        folded = value.casefold()
        close = difflib.get_close_matches(folded, list(keys), n=_SHOWN, cutoff=0.6)
        found = [keys[k] for k in close]
        found += sorted({item for k, item in keys.items() if folded and folded in k})
        unique = list(dict.fromkeys(found))[:_SHOWN]
        return [_describe([item], names) for item in unique]


def _exact(value: str, *, alias: bool):
    folded = value.casefold()
    return lambda n: n.alias == alias and (n.text == value or n.text.casefold() == folded)


def _starts(value: str):
    folded = value.casefold()

    def test(n: Name) -> bool:
        local = compact_iri(n.item).split(":", 1)[-1]
        return n.text.casefold().startswith(folded) or local.startswith(folded)

    return test


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def _describe(items: list[str], names: list[Name]) -> str:
    """`place:440100 (广州市)` for each item: its id and its first name, shortened."""
    out = []
    for item in items[:_SHOWN]:
        label = next((n.text for n in names if n.item == item and n.rank == 0), "")
        label = label if len(label) <= 24 else label[:23] + "…"
        out.append(compact_iri(item) + (f" ({label})" if label else ""))
    return ", ".join(out) + (f", … (+{len(items) - _SHOWN})" if len(items) > _SHOWN else "")


def _error(name: str, value: str, what: str, close: list[str]) -> ParamError:
    tail = f"; close matches: {', '.join(close)}" if close else ""
    return ParamError(Problem(option("params"), f"{name}={value!r} {what}{tail}"))
