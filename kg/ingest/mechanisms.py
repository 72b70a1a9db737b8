"""Finding the vocabulary's mechanisms in text: labels, patterns, contexts, facets.

Exact labels alone fit the wording of the notice they were taken from. Here a concept
is also found

- by its `rkg:pattern`s: literal parts with gaps and alternatives (向…党(委|工委)…(汇报|报告),
  听取……报告), compiled to regular expressions (`compile_pattern`): `…` is a short gap
  inside one clause, `……` a longer one inside one sentence that may cross commas, and
  `a & b` a frame whose parts may come in either order (居民…打分, 打分…居民);
- through page noise: where a mirror page leaves Latin letters among the characters
  (人大代表lianluo站, 街dao工委) or a headline spaces them out (听 取 和 审 议), a label or
  a pattern's literal parts match with pinyin for a character or letters between (`tolerant`);
- through regional wording: a Traditional page's Taiwan terms are read as mainland ones
  (軟體 → 软件, 資訊 → 信息);
- once per facet: a hit inside the words of a longer label hit of the same facet is
  dropped (联络站 inside 行业联络站; a label such as 约见、约谈 names the pair), and so is
  a hit inside a longer hit of its own concept; a pattern's hit does not swallow other
  concepts (集中发问 inside 向…负责人…发问 is still a topical inquiry; words inside a
  gap never count). Facets do not compete (民生实事票决项目 is a target and an
  instrument).

Page furniture inside a line (首页>监督工作>执法检查, 上一篇:…, 来源:…, 【打印本页】) is
masked first. A hit is dropped when its sentence names no congress actor (人大, 常委会,
代表, 联络站, ...) and begins with another body as its subject (市场监管局开展联合执法检查,
公司实行绩效挂钩): that body's own practice, not the congress's. It is also dropped
when an `rkg:exclusion` of its concept overlaps it (视察 in 总书记视察; an exclusion with
`…` or `|` is a pattern: (纪委|监委)…约谈), when the clause negates it (未建立…联络站,
还没有开展过专题询问), when it lies in a problem the case addresses (针对…“被满意”的问题) or
in a context of `kg.ingest.contexts` (学习考察…暗访机制经验); a negated hit takes every hit
inside it along (询问 inside a negated 专题询问). A hit is also dropped when a concept that
`rkg:supersedes` its concept is found in the same sentence (the report heard is on state
assets: state-asset-supervision, not a generic special work report), when a narrower
concept is found in the same span, and when a narrower concept found anywhere in the case
has a label containing it (联络站 beside 行业联络站). Deprecated concepts are never found.
Two-character labels must not cut through a word (询问 in 咨询问题): jieba segments it.

A learned layer (`kg.ingest.learned`), when given, adds per sentence the concepts its
models score at `ADD` or more that the rules found nowhere in the case, except where the
sentence says a practice is absent, planned or studied elsewhere, or another body's; an
added concept replaces (`Match.replaced_by`) a rule hit of its broader or superseded
concept in the sentence. It marks a rule hit it scores under `DOUBT` as doubted
(`Match.doubt`; not where page noise breaks the hit's words). `concepts_in` counts
neither; ingest keeps both as claims.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from itertools import permutations
from typing import TYPE_CHECKING

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, SKOS

from kg.core.namespaces import MECH, RKG, SCHEME
from kg.ingest import words
from kg.ingest.contexts import (
    CONGRESS,
    ELSEWHERE,
    FOREIGN_SUBJECT,
    NEGATION,
    PROBLEMS,
    SENTENCE_END,
    UNREAL,
)
from kg.ingest.text import match_form, regional, to_simplified, unfurnished

if TYPE_CHECKING:
    from kg.ingest.learned import LearnedModel

GAP = r"[^,;。!?:\n]{0,8}?"  # `…` of a pattern: up to 8 characters inside one clause
LONG_GAP = r"[^;。!?\n]{0,30}?"  # `……`: up to 30 characters inside one sentence
NOISE = r"[A-Za-z ]{0,12}"  # Latin letters a mirror page may leave among the characters
# NOISE out of IGNORECASE, which also folds İ ı ſ K onto [A-Za-z]: the same matches in a
# text without those four, compiled three times faster (0.6 s of an ingest)
_CASED_NOISE, _FOLDED_ONTO_LATIN = r"(?-i:[A-Za-z ]{0,12})", frozenset("\u0130\u0131\u017f\u212a")
NOISE_REACH = 60  # how far from its noise a tolerant hit's characters may lie
# Pinyin or letters among the characters, or characters spaced out (听 取 和 审 议, as a
# page's headline may be): the noise that the tolerant matching reads through.
_NOISE_AMONG_CJK = re.compile(
    r"[\u4e00-\u9fff] ?[A-Za-z]|[A-Za-z] ?[\u4e00-\u9fff]|[\u4e00-\u9fff] [\u4e00-\u9fff]"
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
    supersedes: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Match:
    """A concept found at [start, end) of the text, and the rule that found it."""

    start: int
    end: int
    concept: str
    rule: str
    label: str = ""  # the label matched (empty for a pattern)
    gaps: tuple[tuple[int, int], ...] = ()  # the text a pattern's gaps skipped
    doubt: float | None = None  # a rule hit the learned layer scores under `DOUBT`
    replaced_by: str = ""  # a rule hit whose narrower or superseding concept it added

    @property
    def counted(self) -> bool:
        """Found, for `concepts_in`, `kg tag` and the scores; ingest keeps every rule hit."""
        return self.doubt is None and not self.replaced_by

    @property
    def learned(self) -> bool:
        """Found by the learned layer: it spans a sentence and names no words."""
        return self.rule.startswith("learned:")

    def contains(self, other: Match) -> bool:
        """`other` lies inside this hit and not wholly inside one of its gaps."""
        return (
            self.start <= other.start
            and other.end <= self.end
            and not any(a <= other.start and other.end <= b for a, b in self.gaps)
        )

    def overlaps(self, other: Match) -> bool:
        return self.start < other.end and other.start < self.end


@cache  # the finder, the lint and the exclusions compile the same 500 patterns (0.3 s)
def compile_pattern(pattern: str, noise: str = "") -> re.Pattern:
    """A regular expression for the `rkg:pattern` syntax (see data/vocab/mechanisms.ttl):
    `…` a gap in the clause, `……` a longer gap in the sentence (both captured), `(a|b)`
    alternatives, `[set]` one or more of a set, and `a & b` parts found in either order
    within one sentence (a frame: 居民…打分 & 打分…居民). With `noise` (NOISE or its cased
    form), literal characters also match as pinyin, with that noise between them."""
    text = match_form(pattern)
    parts = [_pieces(part.strip(), noise) for part in text.split("&")]
    join = noise.join if noise else "".join
    if len(parts) == 1:
        body = join(parts[0])
    else:
        body = "|".join(
            join(
                [
                    piece
                    for i, part in enumerate(order)
                    for piece in ([*part] if i == 0 else [f"({LONG_GAP})", *part])
                ]
            )
            for order in permutations(parts)
        )
    return re.compile(body, re.IGNORECASE) if noise else re.compile(body)


def _pieces(text: str, noise: str) -> list[str]:
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "…":
            long = text.startswith("……", i)
            out.append(f"({LONG_GAP if long else GAP})")
            i += 2 if long else 1
        elif ch == "(":
            end = text.index(")", i)
            parts = text[i + 1 : end].split("|")
            out.append("(?:" + "|".join(_part(p, noise) for p in parts) + ")")
            i = end + 1
        elif ch == "[":
            end = text.index("]", i)
            out.append(f"[{text[i + 1 : end]}]+")
            i = end + 1
        else:
            out.append(_literal_regex(ch, bool(noise)))
            i += 1
    return out


def _part(part: str, noise: str) -> str:
    if part.startswith("[") and part.endswith("]"):
        return f"[{part[1:-1]}]+"
    return noise.join(_literal_regex(ch, True) for ch in part) if noise else re.escape(part)


def _literal_regex(ch: str, noisy: bool) -> str:
    if noisy and "\u4e00" <= ch <= "\u9fff":
        return f"(?:{re.escape(ch)}|{_pinyin(ch)})"
    return re.escape(ch)


@cache
def _pinyin(char: str) -> str:
    from pypinyin import lazy_pinyin

    return lazy_pinyin(char)[0]


@cache
def tolerant(label: str, noise: str = NOISE) -> re.Pattern:
    """`label` allowing pinyin for any character and Latin letters between characters."""
    return re.compile(noise.join(_literal_regex(ch, True) for ch in label), re.IGNORECASE)


def _literal(graph: Graph, subject, predicate, lang: str | None) -> list[str]:
    return sorted(
        str(o)
        for o in graph.objects(subject, predicate)
        if isinstance(o, Literal) and (lang is None or o.language == lang)
    )


def _slugs(graph: Graph, subject, predicate) -> set[str]:
    return {str(o)[len(MECH) :] for o in graph.objects(subject, predicate) if o in MECH}


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
        parents[cid] = _slugs(graph, subject, SKOS.broader)
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
                supersedes=frozenset(_slugs(graph, subject, RKG.supersedes)),
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
        out.append(
            Concept(
                c.id, c.facet, c.labels, c.patterns, c.exclusions, frozenset(seen), c.supersedes
            )
        )
    return out


class MechanismFinder:
    """Every mechanism of the vocabulary that a span of text names (see the module doc)."""

    def __init__(self, concepts: Iterable[Concept], learned: LearnedModel | None = None):
        self.concepts = {c.id: c for c in concepts}
        self.learned = learned  # adds what the rules miss in free wording (kg.ingest.learned)
        self.by_label: dict[str, list[tuple[str, bool]]] = {}  # facets may share a form
        for c in self.concepts.values():
            for label, pref in c.labels.items():
                self.by_label.setdefault(label, []).append((c.id, pref))
        self.lengths: dict[str, list[int]] = {}
        for label in self.by_label:
            self.lengths.setdefault(label[0], []).append(len(label))
        for first in self.lengths:
            self.lengths[first] = sorted(set(self.lengths[first]), reverse=True)
        self.patterns = [
            (c.id, p, compile_pattern(p)) for c in self.concepts.values() for p in c.patterns
        ]
        self._tolerant: list[tuple[str, str, frozenset[str]]] | None = None
        self._noisy_patterns: list[tuple[str, str, frozenset[str]]] | None = None

    @classmethod
    def from_graph(cls, graph: Graph, learned: LearnedModel | None = None) -> MechanismFinder:
        return cls(load_concepts(graph), learned)

    # -- candidate hits --
    def _labels(self, text: str, lo: int, hi: int) -> list[Match]:
        out = []
        for i in range(lo, hi):
            for n in self.lengths.get(text[i], ()):
                label = text[i : i + n] if i + n <= hi else ""
                for cid, pref in self.by_label.get(label, ()):
                    kind = "prefLabel" if pref else "altLabel"
                    out.append(Match(i, i + n, cid, f"{kind}-match:{label}", label))
        return out

    def _noisy(self, text: str, lo: int, hi: int) -> list[Match]:
        # Compiling every tolerant form costs about a second; only the forms whose every
        # required character is in the span, as itself or as its pinyin, can match.
        if self._tolerant is None:
            self._tolerant = [
                (cid, label, frozenset(label.replace(" ", "")))
                for label, found in self.by_label.items()
                for cid, _ in found
                if len(label) >= 3
            ]
            self._noisy_patterns = [
                (c.id, p, _required(p)) for c in self.concepts.values() for p in c.patterns
            ]
        # A tolerant hit reads through noise, so it lies near some: its characters are
        # within NOISE_REACH of a noise point.
        near = "\n".join(
            text[max(lo, m.start() - NOISE_REACH) : min(hi, m.end() + NOISE_REACH)]
            for m in _NOISE_AMONG_CJK.finditer(text, lo, hi)
        )
        lowered = near.lower()
        present = cache(lambda ch: _present(ch, near, lowered))
        noise = _CASED_NOISE if _FOLDED_ONTO_LATIN.isdisjoint(text[lo:hi]) else NOISE
        out = []
        for cid, label, required in self._tolerant:
            if not all(map(present, required)):
                continue
            for m in tolerant(label, noise).finditer(text, lo, hi):
                if m.group(0) != label:  # exact hits are found above
                    out.append(Match(m.start(), m.end(), cid, f"noisy-match:{label}", label))
        for cid, pattern, required in self._noisy_patterns or ():
            if not all(map(present, required)):
                continue
            for m in compile_pattern(pattern, noise).finditer(text, lo, hi):
                if _NOISE_AMONG_CJK.search(m.group(0)):  # exact hits are found above
                    out.append(_pattern_match(m, cid, f"noisy-pattern:{pattern}"))
        return out

    def _patterns(self, text: str, lo: int, hi: int) -> list[Match]:
        return [
            _pattern_match(m, cid, f"pattern:{pattern}")
            for cid, pattern, regex in self.patterns
            for m in regex.finditer(text, lo, hi)
        ]

    # -- filters --
    def _excluded(self, text: str, match: Match, lo: int, hi: int) -> bool:
        for phrase in self.concepts[match.concept].exclusions:
            if _is_pattern(phrase):
                regex = compile_pattern(phrase)
                window = (max(lo, match.start - 40), min(hi, match.end + 40))
                if any(
                    m.start() < match.end and match.start < m.end()
                    for m in regex.finditer(text, *window)
                ):
                    return True
                continue
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
        return NEGATION.search(before) is not None

    @staticmethod
    def _foreign_sentences(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
        """The sentences of [lo, hi) about another body's own practice (FOREIGN_SUBJECT)."""
        out, start = [], lo
        for end in [*(m.start() for m in SENTENCE_END.finditer(text, lo, hi)), hi]:
            sentence = text[start:end]
            if CONGRESS.search(sentence) is None and FOREIGN_SUBJECT.match(sentence.lstrip(" >|")):
                out.append((start, end))
            start = end + 1
        return out

    @staticmethod
    def _inside(contexts: list[tuple[int, int]], match: Match) -> bool:
        return any(a <= match.start and match.end <= b for a, b in contexts)

    @staticmethod
    def _cuts_a_word(text: str, match: Match, lo: int, hi: int) -> bool:
        """A two-character label that straddles words (询问 in 咨询/问题)."""
        if match.end - match.start != 2 or not match.label:
            return False
        a = max(lo, match.start - 6)
        b = min(hi, match.end + 6)
        edges, pos = set(), a
        for word in words.cut(text[a:b]):
            edges.add(pos)
            pos += len(word)
        edges.add(pos)
        return match.start not in edges or match.end not in edges

    def _longest_per_facet(self, matches: list[Match]) -> list[Match]:
        chosen: list[Match] = []
        for m in sorted(matches, key=lambda m: (m.start - m.end, m.start, m.concept)):
            facet = self.concepts[m.concept].facet
            inside = any(
                c.contains(m)
                and (c.end - c.start > m.end - m.start or c.concept == m.concept)
                and self.concepts[c.concept].facet == facet
                and (bool(c.label) or c.concept == m.concept)
                for c in chosen
            )
            if not inside:
                chosen.append(m)
        return chosen

    def _outranked(self, text: str, match: Match, others: list[Match]) -> bool:
        """Dropped for a narrower concept in the same span, or for a hit in the same
        sentence of a concept that supersedes it."""
        for other in others:
            concept = self.concepts[other.concept]
            if match.concept in concept.ancestors or (
                match.concept in concept.supersedes and _same_sentence(text, match, other)
            ):
                return True
        return False

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

    def _span(self, text: str, lo: int, hi: int) -> list[Match]:
        candidates = self._labels(text, lo, hi) + self._patterns(text, lo, hi)
        if _NOISE_AMONG_CJK.search(text, lo, hi):
            candidates += self._noisy(text, lo, hi)
        contexts = [m.span() for r in (*PROBLEMS, *ELSEWHERE) for m in r.finditer(text, lo, hi)]
        negated = [m for m in candidates if self._negated(text, m, lo)]
        foreign = self._foreign_sentences(text, lo, hi) if candidates or self.learned else []
        # what a negated hit holds goes with it (询问 in 未开展专题询问); an excluded hit
        # only goes itself (an exclusion speaks of its own concept)
        kept = [
            m
            for m in candidates
            if not any(d.contains(m) for d in negated)
            and not self._excluded(text, m, lo, hi)
            and not self._inside(contexts, m)
            and not self._cuts_a_word(text, m, lo, hi)
            and not self._inside(foreign, m)
        ]
        best = self._longest_per_facet(kept)
        found = [m for m in best if not self._outranked(text, m, best)]
        return self._learned(text, lo, hi, found, foreign)

    def _learned(
        self, text: str, lo: int, hi: int, found: list[Match], foreign: list[tuple[int, int]]
    ) -> list[Match]:
        """`found` with the learned layer's opinion, sentence by sentence: a rule hit whose
        concept it scores under `DOUBT` is marked doubted, and concepts it scores at `ADD`
        or above are added where the rules found neither them nor a narrower concept. It
        adds nothing to a sentence about another body's practice, a negated one or one
        studied elsewhere or only planned."""
        if self.learned is None:
            return found
        from kg.ingest.learned import ADD, DOUBT

        out, start = list(found), lo
        for end in [*(m.start() for m in SENTENCE_END.finditer(text, lo, hi)), hi]:
            a, b = start, end
            start = end + 1
            while a < b and text[a].isspace():
                a += 1
            if b - a < 4 or any(x <= a and b <= y for x, y in foreign):
                continue
            sentence = text[a:b]
            scores = self.learned.scores(text[a : min(b + 1, hi)])  # as trained: with its 。
            here = [i for i, m in enumerate(out) if not m.learned and m.start < b and a < m.end]
            for i in here:
                m, score = out[i], scores.get(out[i].concept)
                noisy = _NOISE_AMONG_CJK.search(text, m.start, m.end)  # n-grams miss its words
                if not noisy and m.doubt is None and score is not None and score < DOUBT:
                    out[i] = replace(out[i], doubt=score)
            if UNREAL.search(sentence) or any(r.search(sentence) for r in ELSEWHERE):
                continue
            covered = {out[i].concept for i in here if out[i].doubt is None}
            covered |= {x for c in covered for x in self.concepts[c].ancestors}
            covered |= {x for c in list(covered) for x in self.concepts[c].supersedes}
            added = [c for c, p in sorted(scores.items()) if p >= ADD and c in self.concepts]
            added = [c for c in added if c not in covered]
            beaten = {x for c in added for x in self._outranks(c)}
            for concept in added:
                if concept in beaten:  # the most specific of what it adds
                    continue
                out.append(Match(a, b, concept, f"learned:{scores[concept]:.2f}"))
                # a generic or superseded rule hit is replaced (站点 → 行业联络站), as for rules
                gone = self._outranks(concept)
                for i in here:
                    if out[i].counted and out[i].concept in gone:
                        out[i] = replace(out[i], replaced_by=concept)
        return out

    def _outranks(self, concept: str) -> frozenset[str]:
        """The concepts a hit of `concept` leaves out: its broader and superseded ones."""
        return self.concepts[concept].ancestors | self.concepts[concept].supersedes

    # -- the whole --
    def find(self, text: str, spans: list[tuple[int, int]]) -> list[list[Match]]:
        """The mechanisms of each span of `text` (the match form of a notice), in order.

        Spans belong to one case: a generic hit in one span is dropped when a narrower
        concept was found in any span of the case.
        """
        text = unfurnished(regional(text))
        per_span = [self._span(text, lo, hi) for lo, hi in spans]
        every = [m for matches in per_span for m in matches]
        # the learned layer adds what the rules found nowhere in the case, once
        ruled = {m.concept for m in every if not m.learned and m.doubt is None}
        ruled |= {a for c in ruled for a in self.concepts[c].ancestors}
        counted = [m for m in every if m.counted]
        out = []
        for matches in per_span:
            kept = []
            for m in matches:
                if m.learned and m.concept in ruled:
                    continue
                if m.learned:
                    ruled.add(m.concept)
                if not self._subsumed(m, counted):
                    kept.append(m)
            out.append(sorted(kept, key=lambda m: (m.start, m.end, m.concept)))
        return out

    @staticmethod
    def reading(text: str) -> str:
        """A text as `find` reads it: Simplified, matching form, mainland terms, no page
        furniture (what the learned layer is trained on)."""
        return unfurnished(regional(match_form(to_simplified(text))))

    def concepts_in(self, text: str) -> set[str]:
        """The concepts found anywhere in a short text (one sentence, a title), less the
        rule hits the learned layer doubts or replaced."""
        normal = match_form(text)
        return {m.concept for m in self.find(normal, [(0, len(normal))])[0] if m.counted}


def _same_sentence(text: str, a: Match, b: Match) -> bool:
    """Two hits that overlap or lie in one sentence (nothing that ends one between them)."""
    if a.overlaps(b):
        return True
    lo, hi = min(a.end, b.end), max(a.start, b.start)
    return SENTENCE_END.search(text, lo, hi) is None


def _is_pattern(exclusion: str) -> bool:
    """An exclusion with a gap or alternatives is a pattern; any other is a literal."""
    return "…" in exclusion or "|" in exclusion or "&" in exclusion


def _required(pattern: str) -> frozenset[str]:
    """The characters every match of a label or pattern holds (outside its alternatives
    and sets, its gaps and its `&`), which the tolerant match may spell in pinyin."""
    out, depth = set(), 0
    for ch in match_form(pattern):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0 and ch not in "…&" and not ch.isspace():
            out.add(ch)
    return frozenset(out)


def _present(ch: str, text: str, lowered: str) -> bool:
    """`ch` is in `text`, as itself or (a Chinese character) as its pinyin, in any case."""
    if ch in text:
        return True
    if "\u4e00" <= ch <= "\u9fff":
        return _pinyin(ch) in lowered
    return ch.lower() in lowered


def _pattern_match(m: re.Match, concept: str, rule: str) -> Match:
    gaps = tuple(m.span(g) for g in range(1, (m.re.groups or 0) + 1) if m.start(g) != -1)
    return Match(m.start(), m.end(), concept, rule, gaps=gaps)
