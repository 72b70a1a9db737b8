"""Finding the vocabulary's mechanisms in text: labels, patterns, contexts, facets.

Exact labels alone fit the wording of the notice they were taken from. Here a concept
is also found

- by its `rkg:pattern`s: literal parts with gaps inside one clause and alternatives
  (向…党(委|工委)…(汇报|报告)), compiled to regular expressions (`compile_pattern`);
- through page noise: where a mirror page leaves Latin letters among the characters
  (人大代表lianluo站, 街dao工委), a label also matches with pinyin in place of a
  character and with letters between characters (`tolerant`);
- once per facet: a hit inside a longer hit of the same facet is dropped (联络站 inside
  行业联络站), while facets do not compete (民生实事票决项目 is a target and an instrument).

A hit is dropped when an `rkg:exclusion` of its concept overlaps it (视察 in 总书记视察),
when the clause negates it (未建立…联络站), when it lies in a problem the case addresses
(针对…“被满意”的问题), and when a narrower concept found in the case has a label
containing it (联络站 beside 行业联络站). Deprecated concepts are never found. Two-character
labels must not cut through a word (询问 in 咨询问题): jieba segments the clause.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, SKOS

from kg.core.namespaces import MECH, RKG, SCHEME
from kg.ingest.text import match_form

GAP = r"[^,;。!?:\n]{0,8}?"  # `…` of a pattern: up to 8 characters inside one clause
NOISE = r"[A-Za-z ]{0,12}"  # Latin letters a mirror page may leave among the characters
_LATIN_AMONG_CJK = re.compile(r"[\u4e00-\u9fff] ?[A-Za-z]|[A-Za-z] ?[\u4e00-\u9fff]")
_NEGATION = re.compile(r"(?:未|没有|尚未|从未|缺乏|缺少|不再)[^,;。!?:\n]{0,4}$")
_PROBLEMS = (
    re.compile(r"针对[^。;]{0,40}?的(?:情况|问题|难题|现象)"),
    re.compile(r"(?:解决|防止|避免|杜绝|克服)[^。;,]{0,24}?(?:问题|现象|倾向)"),
)


@dataclass(frozen=True)
class Concept:
    """One live mechanism with what finds it."""

    id: str
    facet: str
    labels: dict[str, bool]  # match form -> is the prefLabel
    patterns: tuple[str, ...] = ()
    exclusions: tuple[str, ...] = ()
    ancestors: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Match:
    """A concept found at [start, end) of the text, and the rule that found it."""

    start: int
    end: int
    concept: str
    rule: str
    label: str = ""  # the label matched (empty for a pattern)


def compile_pattern(pattern: str) -> re.Pattern:
    """A regular expression for the `rkg:pattern` syntax (see data/vocab/mechanisms.ttl):
    `…` a gap in the clause, `(a|b)` alternatives, `[set]` one or more of a set."""
    out, i = [], 0
    text = match_form(pattern)
    while i < len(text):
        ch = text[i]
        if ch == "…":
            out.append(GAP)
            i += 1
        elif ch == "(":
            end = text.index(")", i)
            parts = text[i + 1 : end].split("|")
            out.append("(?:" + "|".join(_part(p) for p in parts) + ")")
            i = end + 1
        elif ch == "[":
            end = text.index("]", i)
            out.append(f"[{text[i + 1 : end]}]+")
            i = end + 1
        else:
            out.append(re.escape(ch))
            i += 1
    return re.compile("".join(out))


def _part(part: str) -> str:
    if part.startswith("[") and part.endswith("]"):
        return f"[{part[1:-1]}]+"
    return re.escape(part)


@cache
def _pinyin(char: str) -> str:
    from pypinyin import lazy_pinyin

    return lazy_pinyin(char)[0]


def tolerant(label: str) -> re.Pattern:
    """`label` allowing pinyin for any character and Latin letters between characters."""
    parts = []
    for ch in label:
        if "\u4e00" <= ch <= "\u9fff":
            parts.append(f"(?:{re.escape(ch)}|{_pinyin(ch)})")
        else:
            parts.append(re.escape(ch))
    return re.compile(NOISE.join(parts), re.IGNORECASE)


def _literal(graph: Graph, subject, predicate, lang: str | None) -> list[str]:
    return sorted(
        str(o)
        for o in graph.objects(subject, predicate)
        if isinstance(o, Literal) and (lang is None or o.language == lang)
    )


def load_concepts(graph: Graph) -> list[Concept]:
    """The live mechanisms of the vocabulary graph, with facet, labels and patterns."""
    facets = {}
    for collection in graph.subjects(RDF.type, SKOS.Collection):
        name = str(collection).removeprefix(str(SCHEME)).removeprefix("facet-")
        for member in graph.objects(collection, SKOS.member):
            facets[member] = name
    parents: dict[str, set[str]] = {}
    concepts = []
    for subject in sorted(graph.subjects(RDF.type, SKOS.Concept)):
        if not (isinstance(subject, URIRef) and str(subject).startswith(str(MECH))):
            continue
        if (subject, OWL.deprecated, Literal(True)) in graph:
            continue
        cid = str(subject)[len(MECH) :]
        parents[cid] = {
            str(b)[len(MECH) :]
            for b in graph.objects(subject, SKOS.broader)
            if str(b).startswith(str(MECH))
        }
        labels = {match_form(x): True for x in _literal(graph, subject, SKOS.prefLabel, "zh")}
        for alt in _literal(graph, subject, SKOS.altLabel, "zh"):
            labels.setdefault(match_form(alt), False)
        concepts.append(
            Concept(
                cid,
                facets.get(subject, ""),
                labels,
                tuple(_literal(graph, subject, RKG.pattern, None)),
                tuple(match_form(x) for x in _literal(graph, subject, RKG.exclusion, None)),
            )
        )
    out = []
    for c in concepts:
        seen: set[str] = set()
        todo = list(parents.get(c.id, ()))
        while todo:
            p = todo.pop()
            if p not in seen:
                seen.add(p)
                todo += parents.get(p, ())
        out.append(Concept(c.id, c.facet, c.labels, c.patterns, c.exclusions, frozenset(seen)))
    return out


def _jieba_cut(text: str) -> list[str]:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return list(jieba.cut(text, HMM=False))


class MechanismFinder:
    """Every mechanism of the vocabulary that a span of text names (see the module doc)."""

    def __init__(self, concepts: Iterable[Concept]):
        self.concepts = {c.id: c for c in concepts}
        self.by_label: dict[str, tuple[str, bool]] = {}
        for c in self.concepts.values():
            for label, pref in c.labels.items():
                self.by_label.setdefault(label, (c.id, pref))
        self.lengths: dict[str, list[int]] = {}
        for label in self.by_label:
            self.lengths.setdefault(label[0], []).append(len(label))
        for first in self.lengths:
            self.lengths[first] = sorted(set(self.lengths[first]), reverse=True)
        self.patterns = [
            (c.id, p, compile_pattern(p)) for c in self.concepts.values() for p in c.patterns
        ]
        self._tolerant: list[tuple[str, str, bool, re.Pattern]] | None = None

    @classmethod
    def from_graph(cls, graph: Graph) -> MechanismFinder:
        return cls(load_concepts(graph))

    # -- candidate hits --
    def _labels(self, text: str, lo: int, hi: int) -> list[Match]:
        out = []
        for i in range(lo, hi):
            for n in self.lengths.get(text[i], ()):
                if i + n <= hi and (found := self.by_label.get(text[i : i + n])):
                    kind = "prefLabel" if found[1] else "altLabel"
                    label = text[i : i + n]
                    out.append(Match(i, i + n, found[0], f"{kind}-match:{label}", label))
        return out

    def _noisy(self, text: str, lo: int, hi: int) -> list[Match]:
        if self._tolerant is None:
            self._tolerant = [
                (cid, label, pref, tolerant(label))
                for label, (cid, pref) in self.by_label.items()
                if len(label) >= 3
            ]
        out = []
        for cid, label, _, regex in self._tolerant:
            for m in regex.finditer(text, lo, hi):
                if m.group(0) != label:  # exact hits are found above
                    out.append(Match(m.start(), m.end(), cid, f"noisy-match:{label}", label))
        return out

    def _patterns(self, text: str, lo: int, hi: int) -> list[Match]:
        out = []
        for cid, pattern, regex in self.patterns:
            for m in regex.finditer(text, lo, hi):
                out.append(Match(m.start(), m.end(), cid, f"pattern:{pattern}"))
        return out

    # -- filters --
    def _excluded(self, text: str, match: Match, lo: int, hi: int) -> bool:
        for phrase in self.concepts[match.concept].exclusions:
            start = max(lo, match.start - len(phrase))
            at = text.find(phrase, start, min(hi, match.end + len(phrase)))
            while at != -1 and at < match.end:
                if at + len(phrase) > match.start:
                    return True
                at = text.find(phrase, at + 1, min(hi, match.end + len(phrase)))
        return False

    @staticmethod
    def _negated(text: str, match: Match, lo: int) -> bool:
        before = text[max(lo, match.start - 8) : match.start]
        return _NEGATION.search(before) is not None

    @staticmethod
    def _in_problem(problems: list[tuple[int, int]], match: Match) -> bool:
        return any(a <= match.start and match.end <= b for a, b in problems)

    @staticmethod
    def _cuts_a_word(text: str, match: Match, lo: int, hi: int) -> bool:
        """A two-character label that straddles words (询问 in 咨询/问题)."""
        if match.end - match.start != 2 or not match.label:
            return False
        a = max(lo, match.start - 6)
        b = min(hi, match.end + 6)
        edges, pos = set(), a
        for word in _jieba_cut(text[a:b]):
            edges.add(pos)
            pos += len(word)
        edges.add(pos)
        return match.start not in edges or match.end not in edges

    def _longest_per_facet(self, matches: list[Match]) -> list[Match]:
        chosen: list[Match] = []
        for m in sorted(matches, key=lambda m: (m.start - m.end, m.start, m.concept)):
            facet = self.concepts[m.concept].facet
            inside = any(
                c.start <= m.start
                and m.end <= c.end
                and (c.end - c.start > m.end - m.start or c.concept == m.concept)
                and self.concepts[c.concept].facet == facet
                for c in chosen
            )
            if not inside:
                chosen.append(m)
        return chosen

    def _subsumed(self, match: Match, found: list[Match]) -> bool:
        """A generic hit made redundant by a narrower concept whose label contains it."""
        if not match.label:
            return False
        for other in found:
            concept = self.concepts[other.concept]
            if (
                other.concept != match.concept
                and match.concept in concept.ancestors
                and any(match.label in form for form in concept.labels)
            ):
                return True
        return False

    # -- the whole --
    def find(self, text: str, spans: list[tuple[int, int]]) -> list[list[Match]]:
        """The mechanisms of each span of `text` (the match form of a notice), in order.

        Spans belong to one case: a generic hit in one span is dropped when a narrower
        concept was found in any span of the case.
        """
        per_span = []
        for lo, hi in spans:
            candidates = self._labels(text, lo, hi) + self._patterns(text, lo, hi)
            if _LATIN_AMONG_CJK.search(text, lo, hi):
                candidates += self._noisy(text, lo, hi)
            problems = [m.span() for r in _PROBLEMS for m in r.finditer(text, lo, hi)]
            kept = [
                m
                for m in candidates
                if not self._excluded(text, m, lo, hi)
                and not self._negated(text, m, lo)
                and not self._in_problem(problems, m)
                and not self._cuts_a_word(text, m, lo, hi)
            ]
            per_span.append(self._longest_per_facet(kept))
        every = [m for matches in per_span for m in matches]
        return [
            sorted(
                (m for m in matches if not self._subsumed(m, every)),
                key=lambda m: (m.start, m.end, m.concept),
            )
            for matches in per_span
        ]

    def concepts_in(self, text: str) -> set[str]:
        """The concepts found anywhere in a short text (one sentence, a title)."""
        normal = match_form(text)
        return {m.concept for m in self.find(normal, [(0, len(normal))])[0]}
