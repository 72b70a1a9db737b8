"""Checking SPARQL before it runs: syntax with positions, read-only, no network, parameters.

Every query from a user or the library passes `prepare()`, which refuses updates,
SERVICE clauses and FROM/FROM NAMED graphs that are not in the local dataset, so no
query can write, fetch from the web or read a file unless the caller allowed it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kg.core.errors import KgError, Problem, option
from kg.core.namespaces import PREFIXES, sparql_prologue
from kg.store.sparqltext import canonical, units

if TYPE_CHECKING:  # rdflib's SPARQL parser costs ~0.25 s to import: only when checking
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.plugins.sparql.sparql import Query
    from rdflib.term import Node

_PROLOGUE = sparql_prologue()
_PROLOGUE_LINES = _PROLOGUE.count("\n")
_POSITION = re.compile(r"\(at char (\d+)\), \(line:(\d+), col:(\d+)\)")
HINT = (
    "check brackets, dots and quotes; these prefixes are predeclared: "
    + ", ".join(f"{p}:" for p in list(PREFIXES)[:8])
    + ", ..."
)


@dataclass(frozen=True)
class PreparedQuery:
    """A checked query: its full text (prologue and parameters in place) and its form."""

    text: str
    form: str  # SELECT | ASK | CONSTRUCT | DESCRIBE
    algebra: Query | None = None  # rdflib's translation, so the store need not parse again
    has_dataset: bool = False  # FROM / FROM NAMED given: the query picks its own graphs


def _syntax_error(exc: Exception, where: str) -> KgError:
    message = str(exc)
    match = _POSITION.search(message)
    line = col = None
    if match:
        line, col = int(match.group(2)) - _PROLOGUE_LINES, int(match.group(3))
        message = message[: match.start()].strip()
    position = f"line {line}, column {col}: " if line else ""
    return KgError(
        Problem(where, f"SPARQL syntax error: {position}{message}", line=line, hint=HINT)
    )


def _walk(node: object) -> Iterable[CompValue]:
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, CompValue):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


_TOKENS = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
    r"|<[^<>\"{}|^`\\\x00-\x20]*>|#[^\n]*|[?$](?P<var>[A-Za-z_][A-Za-z0-9_]*)"
)


def substitute(text: str, bindings: Mapping[str, Node]) -> str:
    """Replace each parameter variable by its term, outside strings, IRIs and comments.

    This is SEP-0007 substitution done on the text, so every store (rdflib, Oxigraph, a
    remote endpoint) sees the same query; terms are written with proper escaping.
    """
    if not bindings:
        return text

    def replace(match: re.Match) -> str:
        name = match.group("var")
        return bindings[name].n3() if name in bindings else match.group(0)

    return _TOKENS.sub(replace, text)


class _TranslationError(Exception):
    """rdflib parsed the text but could not translate it (an unknown prefix, ...)."""


@functools.lru_cache(maxsize=128)
def _algebra(full: str):
    """rdflib's parse and translation of a query text, kept for the texts seen last:
    parsing takes 40-300 ms and the library's queries are asked again and again (a
    release, the site, a notebook). The algebra is only read when a query runs."""
    from pyparsing import ParserElement
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        parsed = parseQuery(full)
    finally:
        # Once packrat is on (matplotlib's mathtext turns it on for the whole process),
        # pyparsing caches exceptions whose tracebacks hold the caller's frames, and with
        # them the graph and its store (an Oxigraph folder stays locked): drop them.
        ParserElement.reset_cache()
    try:
        return translateQuery(parsed)
    except Exception as exc:
        raise _TranslationError() from exc


def prepare(
    text: str,
    *,
    where: str = "query",
    local_graphs: Iterable[str] = (),
    allow_service: bool = False,
    bindings: Mapping[str, Node] | None = None,
) -> PreparedQuery:
    """Substitute parameters, parse and check; a `KgError` names the position of a problem.

    The text is first made canonical (`kg.store.sparqltext`): what rdflib checks here is,
    character for character, what every store is then given to run.
    """
    full = _PROLOGUE + substitute(canonical(text, where=where), bindings or {})
    try:
        query = _algebra(full)
    except _TranslationError as exc:
        if isinstance(exc.__cause__, RecursionError):
            raise KgError(Problem(where, "query is nested too deeply to evaluate")) from None
        raise KgError(Problem(where, f"SPARQL error: {exc.__cause__}", hint=HINT)) from None
    except RecursionError:
        raise KgError(
            Problem(where, "query is nested too deeply to parse", hint="flatten nested groups")
        ) from None
    except Exception as exc:
        if is_update(full):
            raise KgError(
                Problem(
                    where,
                    "updates (INSERT, DELETE, LOAD, CLEAR, ...) are refused: "
                    "the graph is read-only here",
                    hint="edit data/ and run `kg build` to change the graph",
                )
            ) from None
        raise _syntax_error(exc, where) from None
    local = set(local_graphs)
    has_dataset = False
    for node in _walk(query.algebra):
        if node.name == "ServiceGraphPattern" and not allow_service:
            raise KgError(
                Problem(
                    where,
                    f"SERVICE <{node.get('term')}> is refused: queries do not reach the network",
                    hint=f"pass {option('allow_service', True)} to allow federated queries",
                )
            )
        if node.name == "DatasetClause":
            has_dataset = True
            # CompValue.get returns the key itself for a missing key: use dict.get
            graph = dict.get(node, "default") or dict.get(node, "named")
            if str(graph) not in local:
                raise KgError(
                    Problem(
                        where,
                        f"FROM <{graph}> is refused: only the local named graphs can be used",
                        hint="use GRAPH <...> with one of: " + ", ".join(sorted(local)[:6]),
                    )
                )
    form = query.algebra.name.removesuffix("Query").upper()
    return PreparedQuery(full, form, query, has_dataset)


def prepare_trusted(
    text: str, *, where: str = "query", bindings: Mapping[str, Node] | None = None
) -> PreparedQuery:
    """A query of our own (the named library, internal look-ups) made ready for an engine
    that parses it itself (Oxigraph, an endpoint), without rdflib's parser.

    Parsing with rdflib costs 0.1-0.3 s a query plus ~0.25 s to import the parser, the
    whole budget of a seed query. What `prepare` would refuse cannot be in these texts:
    they are files of the package, checked by `prepare` in the tests (no update, no
    SERVICE, no FROM), and parameters are substituted as escaped terms exactly as there.
    """
    full = _PROLOGUE + substitute(canonical(text, where=where), bindings or {})
    return PreparedQuery(full, query_form(full, where=where))


_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def query_form(text: str, *, where: str = "query") -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first such keyword outside strings, IRIs
    and comments (the prologue holds none)."""
    for unit in units(text, where=where):
        if unit.kind == "code" and unit.text.upper() in _FORMS:
            return unit.text.upper()
    raise KgError(Problem(where, "not a SELECT, ASK, CONSTRUCT or DESCRIBE query"))


def is_update(text: str) -> bool:
    """Whether `text` parses as a SPARQL Update (with the project prefixes declared)."""
    from pyparsing import ParserElement
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        parseUpdate(text if text.startswith(_PROLOGUE) else _PROLOGUE + text)
    except Exception:
        return False
    finally:
        ParserElement.reset_cache()
    return True
