"""The named query library: `.rq` files in `kg/queries/`, each with a header.

A header is a block of comment lines at the top of the file:

    # title: Mechanism frequency
    # description: Cases per mechanism; families count the cases of their narrower concepts.
    # param: mechanism iri mech: - a mechanism id such as liaison-station, or an IRI
    # param: limit integer = 20 - at most this many rows
    # columns: mechanism label_zh label_en cases

A parameter is bound to the query variable of the same name before evaluation; one
without a default is required.

`NAME.rq` is standard SPARQL for every store. Where one engine evaluates it badly, the
folder named after that engine (`queries/rdflib/NAME.rq`) holds a rewrite with the same
rows (the differential tests check it), picked by `NamedQuery.text_for`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING

from kg.core.errors import KgError, Problem, option
from kg.core.fields import suggest
from kg.query.params import ParamError, term_from_param

if TYPE_CHECKING:  # the command line reads the library before it needs rdflib
    from rdflib.term import Node

#: Looks a parameter value up in the graph: (name, value, prefixes) -> IRI.
Resolve = Callable[[str, str, list[str]], "Node"]

_PARAM = re.compile(
    r"^(?P<name>[a-z_][a-z0-9_]*) (?P<kind>iri|literal|integer)"
    r"(?: (?P<prefix>[a-z]+:(?:\|[a-z]+:)*))?"
    r"(?: = (?P<default>\S+))? - (?P<doc>.+)$"
)


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    prefix: str
    default: str | None
    doc: str

    @property
    def prefixes(self) -> list[str]:
        """The namespaces an id or label is looked up in: `place:|region:` -> two."""
        return self.prefix.split("|") if self.prefix else []


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    columns: tuple[str, ...]
    text: str
    variants: dict[str, str] = field(default_factory=dict, compare=False)  # engine -> text

    def text_for(self, engine: str) -> str:
        """The text to send to a store whose engine is `engine` (rdflib, oxigraph, sparql)."""
        return self.variants.get(engine, self.text)

    def bind(self, given: dict[str, str], resolve: Resolve | None = None) -> dict[str, Node]:
        """Check `given` against the declared parameters and turn them into terms.

        `resolve(name, value, prefixes)` looks ids and labels up in a graph (see
        `kg.query.resolve`); without it an IRI parameter is only expanded, not checked.
        """
        declared = {p.name: p for p in self.params}
        extra = sorted(set(given) - set(declared))
        if extra:
            raise ParamError(
                Problem(
                    f"query {self.name}",
                    f"unknown parameter {extra[0]!r}",
                    option("params"),
                    hint=_params_hint(self),
                )
            )
        out = {}
        for p in self.params:
            value = given.get(p.name, p.default)
            if value is None:
                raise ParamError(
                    Problem(
                        f"query {self.name}",
                        f"missing parameter {p.name!r}",
                        option("params"),
                        hint=_params_hint(self),
                    )
                )
            if resolve is not None and p.kind == "iri" and p.prefixes:
                out[p.name] = resolve(p.name, value, p.prefixes)
            else:
                out[p.name] = term_from_param(p.name, value, p.kind, p.prefix)
        return out


def _params_hint(q: NamedQuery) -> str:
    if not q.params:
        return f"{q.name} takes no parameters"
    return "parameters: " + "; ".join(
        f"{option('params', p.name + '=...')} ({p.doc})" for p in q.params
    )


def parse_header(name: str, text: str) -> NamedQuery:
    fields: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line.lstrip("# ").partition(":")
        fields.setdefault(key.strip(), []).append(value.strip())
    params = []
    for raw in fields.get("param", []):
        match = _PARAM.match(raw)
        if not match:
            raise KgError(
                Problem(
                    f"{name}.rq",
                    f"bad param line {raw!r}",
                    "header",
                    hint="write `# param: NAME iri|literal|integer [PREFIX:[|PREFIX:]] "
                    "[= DEFAULT] - description`",
                )
            )
        params.append(
            Param(
                match["name"], match["kind"], match["prefix"] or "", match["default"], match["doc"]
            )
        )
    for required in ("title", "description", "columns"):
        if required not in fields:
            raise KgError(Problem(f"{name}.rq", f"header lacks `# {required}:`", "header"))
    return NamedQuery(
        name,
        fields["title"][0],
        " ".join(fields["description"]),
        tuple(params),
        tuple(fields["columns"][0].split()),
        text,
    )


def named_queries() -> dict[str, NamedQuery]:
    """Every query of the library, by name, sorted."""
    return dict(_library())


@functools.cache
def _library() -> dict[str, NamedQuery]:
    """The library read once per process: it ships with the package (a build asks for
    its queries ~50 times, and reading them each time was a tenth of a seed build)."""
    folder = resources.files("kg") / "queries"
    out = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".rq"):
            name = entry.name.removesuffix(".rq")
            out[name] = parse_header(name, entry.read_text(encoding="utf-8"))
    for engine in sorted(e for e in folder.iterdir() if e.is_dir() and e.name != "__pycache__"):
        for entry in engine.iterdir():
            name = entry.name.removesuffix(".rq")
            if name not in out:
                raise KgError(Problem(f"queries/{engine.name}/{entry.name}", "has no base query"))
            out[name].variants[engine.name] = entry.read_text(encoding="utf-8")
    return out


def named_query(name: str) -> NamedQuery:
    queries = named_queries()
    if name not in queries:
        raise KgError(
            Problem(
                option("name"),
                f"unknown query {name!r}",
                name,
                hint=suggest(name, queries) or "see `kg query --list`",
            )
        )
    return queries[name]
