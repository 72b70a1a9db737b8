"""The text checked is the text that runs: no comment, line break or escape can hide a
SERVICE from rdflib's check and show it to Oxigraph.

Before: a `#` comment ended by a lone carriage return hid `SERVICE <http://...>` from
the check (rdflib ends comments at \\n only), and `kg query --store oxigraph` then sent
a request to the host. Now `prepare` checks the canonical text (`kg.store.sparqltext`)
and every store runs exactly `PreparedQuery.text`. These tests run that text in an
unsandboxed pyoxigraph store beside a local canary: any connection is a failure.
"""

from __future__ import annotations

import contextlib

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.core.errors import KgError
from kg.store.sparql import prepare
from kg.store.sparqltext import canonical

from ..conftest import Canary
from .test_properties import examples

# Everything the SPARQL grammar (or one of the two parsers) may read as a line end or as
# whitespace, and escapes that spell them.
BREAKS = ["\n", "\r", "\r\n", "\n\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"]
ESCAPES = ["\\u000a", "\\u000d", "\\U0000000A", "\\U0000000D", "\\u000D\\u000A", "\\u0023"]
NOISE = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


def _service(port: int) -> str:
    return f"SERVICE <http://127.0.0.1:{port}/sparql> {{ ?a ?b ?c }}"


def _runs_without_a_connection(text: str, canary: Canary) -> None:
    """Either the check refuses `text`, or what it passes makes no connection."""
    before = canary.hits
    try:
        prepared = prepare(text, local_graphs=())
    except KgError:
        return
    with contextlib.suppress(SyntaxError, OSError, RuntimeError, ValueError):
        list(ox.Store().query(prepared.text) or [])
    assert canary.hits == before, f"the checked query reached the network: {text!r}"


@pytest.mark.parametrize("end", BREAKS + ESCAPES)
def test_a_comment_cannot_hide_service(canary, end):
    text = f"SELECT * WHERE {{ BIND(1 AS ?x) # hidden{end} {_service(canary.port)}\n}}"
    _runs_without_a_connection(text, canary)


def test_the_lone_carriage_return_of_the_report(canary):
    text = f"SELECT * WHERE {{ BIND(1 AS ?x) #\r{_service(canary.port)}\n}}"
    with pytest.raises(KgError, match="SERVICE"):
        prepare(text, local_graphs=())
    assert canary.hits == 0


@settings(examples(60), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    before=NOISE,
    end=st.sampled_from(BREAKS + ESCAPES + [" ", "\t"]),
    inside=st.sampled_from(["comment", "string", "long-string", "iri", "plain"]),
    after=NOISE,
)
def test_no_variant_reaches_the_network(canary, before, end, inside, after):
    """Comments, strings and IRIs around a SERVICE, ended by every kind of break."""
    service = _service(canary.port)
    wrapped = {
        "comment": f"#{before}{end}{service}",
        "string": f'BIND("{before}{end}" AS ?y) {service}',
        "long-string": f'BIND("""{before}{end}{service}""" AS ?y)',
        "iri": f"BIND(<http://e/{before}{end}> AS ?y) {service}",
        "plain": f"{service}{end}#{after}",
    }[inside]
    text = f"SELECT * WHERE {{ BIND(1 AS ?x) {wrapped}\n}}"  # the \n closes any comment
    _runs_without_a_connection(text, canary)


@examples(60)
@given(st.text(max_size=80))
def test_canonical_text_has_one_kind_of_line_break_and_no_comment(text):
    """What the stores run holds no carriage return outside strings, no escape of a code
    point, and blank where a comment was: both parsers read the same units."""
    try:
        out = canonical(text)
    except KgError:
        return
    assert "\\u" not in out.lower() or '"' in out or "'" in out
    assert out.count("\n") == text.count("\n") + text.count("\r") - text.count("\r\n")
    assert "\r" not in out.replace("\\r", "")
