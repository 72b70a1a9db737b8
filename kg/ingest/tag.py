"""Tagging with the SKOS vocabularies: mechanisms, actors, platform types, categories.

Mechanisms are found by `kg.ingest.mechanisms` (labels, patterns, contexts, facets).
Actors, platform types and categories are found where one of their zh labels occurs in
the matching copy of the text (Simplified, half-width, one form of quotation mark),
longest match first (a hit inside a longer hit of the same vocabulary is dropped). An
actor hit inside a longer mechanism term is dropped unless it ends that term
(片区人大代表联络站 is a station, not 区人大代表; 满意度看群众 does name 群众), and so is
one inside a short quoted name (“连线群众” is a mini-program).

Each claim quotes the clause around its hit, with offsets into the original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS

from kg.core.namespaces import ACTOR, CAT, PTYPE
from kg.ingest.mechanisms import Match, MechanismFinder
from kg.ingest.text import NoticeText, match_form
from kg.ingest.units import clause_bounds

if TYPE_CHECKING:
    from kg.ingest.learned import LearnedModel

SCHEMES = {"actor": ACTOR, "platform-type": PTYPE, "category": CAT}
MAX_CLAUSE = 40  # longer clauses are cut to a window around the hit
MAX_ACTOR_CLAIMS = 3  # per actor and case: evidence enough, not every mention


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    concept: str
    label: str
    pref: bool
    via: str = ""  # how a hit was derived from another (compound-split)

    @property
    def rule(self) -> str:
        rule = f"{'prefLabel' if self.pref else 'altLabel'}-match:{self.label}"
        return f"{self.via}; {rule}" if self.via else rule


@dataclass(frozen=True)
class Tag:
    """A concept found in the text: the offsets of the clause that quotes it, and the rule.

    The assembler turns tags into the claims of a record (`kg.records.schema`).
    """

    concept: str
    start: int
    end: int
    rule: str
    role: str = ""
    name: str = ""  # platforms: the quoted name
    label: str = ""  # problems: the problem in the source's words


class LabelIndex:
    """The zh labels of one concept scheme, for longest-match substring search."""

    def __init__(self, labels: dict[str, tuple[str, bool]]):
        self.labels = labels
        self.lengths: dict[str, list[int]] = {}
        for label in labels:
            self.lengths.setdefault(label[0], []).append(len(label))
        for first, lens in self.lengths.items():
            self.lengths[first] = sorted(set(lens), reverse=True)

    def hits(self, text: str, lo: int, hi: int) -> list[Hit]:
        """Every label occurrence in text[lo:hi] (overlaps included)."""
        out = []
        labels, lengths = self.labels, self.lengths
        for i in range(lo, hi):
            for n in lengths.get(text[i], ()):
                if i + n <= hi and (found := labels.get(text[i : i + n])):
                    out.append(Hit(i, i + n, found[0], text[i : i + n], found[1]))
        return out


def longest_first(hits: list[Hit]) -> list[Hit]:
    """Longest match wins: a hit inside a longer hit is dropped (联络站 in 行业联络站).

    Hits that only overlap in part are both kept: 多部门约见约谈机制 holds both
    多部门约见约谈 (coordination) and 约见约谈机制 (summons and talks).
    """
    chosen: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start - h.end, h.start, h.concept)):
        if all(not (c.start <= hit.start and hit.end <= c.end) for c in chosen):
            chosen.append(hit)
    return sorted(chosen, key=lambda h: (h.start, h.end))


class Vocabulary:
    """The mechanism finder, and label indexes of the actor, platform-type and category
    schemes."""

    def __init__(self, graph: Graph, learned: LearnedModel | None = None):
        self.mechanisms = MechanismFinder.from_graph(graph, learned)
        self.indexes: dict[str, LabelIndex] = {}
        self.duplicates: list[str] = []
        self.ids: dict[str, frozenset[str]] = {}
        self.ancestors: dict[str, frozenset[str]] = {}  # scheme-qualified: "mechanism/x"
        self.labels_of: dict[str, frozenset[str]] = {}
        for scheme, namespace in SCHEMES.items():
            labels: dict[str, tuple[str, bool]] = {}
            ids = set()
            parents: dict[str, set[str]] = {}
            for concept in sorted(graph.subjects(RDF.type, SKOS.Concept)):
                if not (isinstance(concept, URIRef) and str(concept).startswith(namespace)):
                    continue
                cid = str(concept)[len(namespace) :]
                ids.add(cid)
                parents[cid] = {
                    str(b)[len(namespace) :]
                    for b in graph.objects(concept, SKOS.broader)
                    if str(b).startswith(namespace)
                }
                for predicate, pref in ((SKOS.prefLabel, True), (SKOS.altLabel, False)):
                    for literal in sorted(graph.objects(concept, predicate)):
                        if getattr(literal, "language", None) != "zh":
                            continue
                        key = match_form(str(literal))
                        if key in labels and labels[key][0] != cid:
                            self.duplicates.append(
                                f"{scheme} label {str(literal)!r} belongs to both "
                                f"{labels[key][0]} and {cid}"
                            )
                            continue
                        labels.setdefault(key, (cid, pref))
            self.indexes[scheme] = LabelIndex(labels)
            self.ids[scheme] = frozenset(ids)
            for cid in ids:
                seen: set[str] = set()
                todo = list(parents[cid])
                while todo:
                    parent = todo.pop()
                    if parent not in seen:
                        seen.add(parent)
                        todo += parents.get(parent, ())
                self.ancestors[f"{scheme}/{cid}"] = frozenset(seen)
            by_concept: dict[str, set[str]] = {}
            for label, (cid, _) in labels.items():
                by_concept.setdefault(cid, set()).add(label)
            for cid, forms in by_concept.items():
                self.labels_of[f"{scheme}/{cid}"] = frozenset(forms)

    def is_narrower(self, scheme: str, concept: str, than: str) -> bool:
        return than in self.ancestors.get(f"{scheme}/{concept}", frozenset())

    def category_of(self, heading: str) -> str | None:
        """The category a section heading names (一、监督工作方面 → supervision)."""
        text = match_form(heading)
        hits = longest_first(self.indexes["category"].hits(text, 0, len(text)))
        concepts = {h.concept for h in hits}
        return concepts.pop() if len(concepts) == 1 else None


# -- Roles of actors --

_GOVERNMENT = {
    "government",
    "government-departments",
    "undertaking-units",
    "street-offices",
    "finance-department",
    "performance-office",
    "township-stations",
}
_SUPERVISED = {
    "government",
    "government-departments",
    "undertaking-units",
    "street-offices",
    "universities",
    "village-committees",
}
_PEOPLE = {
    "deputies",
    "deputies-national",
    "deputies-provincial",
    "deputies-prefecture",
    "deputies-county",
    "deputies-township",
    "citizens",
    "voters",
    "fishermen",
}
_LEAD_CUES = ("领导下", "领导", "研究出台", "牵头", "主导")
_SUPPORT_CUES = ("支持", "重视", "投入", "安排专项资金", "转发", "保障")
_EVALUATE_CUES = ("评议", "测评", "打分", "评价", "点评")
_SUPERVISE_CUES = ("监督", "督促", "约谈", "约见", "问效", "评议", "督办", "通报")


def role_of(actor: str, clause: str) -> tuple[str, str]:
    """(role, rule) of an actor from cue words in its clause, else the actor's default."""

    def cue(words: tuple[str, ...]) -> str | None:
        return next((w for w in words if w in clause), None)

    if actor == "party-committee":
        if word := cue(_LEAD_CUES):
            return "leads", f"role-cue:{word}"
        return "supports", "role-default"
    if actor == "congress-leadership":
        return "leads", "role-default"
    if actor in _GOVERNMENT:
        if word := cue(_SUPPORT_CUES):
            return "supports", f"role-cue:{word}"
        if actor in _SUPERVISED:
            return "supervised", "role-default"
        if word := cue(_SUPERVISE_CUES):
            return "supervised", f"role-cue:{word}"
        return "participates", "role-default"
    if actor in _SUPERVISED:
        return "supervised", "role-default"
    if actor in _PEOPLE and (word := cue(_EVALUATE_CUES)):
        return "evaluates", f"role-cue:{word}"
    if actor == "congress-working-committees" and (word := cue(("牵头", "为单元"))):
        return "leads", f"role-cue:{word}"
    return "participates", "role-default"


_PROBLEM = re.compile(r"针对(?P<label>[^。;]{2,40}?)的(?:情况|问题|难题|特点|现状|短板|痛点)")


class Tagger:
    """Claims of one case: mechanisms, actors, platforms and problems in given spans."""

    def __init__(self, vocabulary: Vocabulary):
        self.vocabulary = vocabulary

    def _quote(self, t: NoticeText, hit: Hit | Match, lo: int, hi: int) -> tuple[int, int]:
        """The clause around a hit; in a long clause, its list item (、), then a window."""
        norm = t.norm
        a, b = clause_bounds(norm, hit.start, hit.end, lo, hi)
        if b - a > MAX_CLAUSE:
            left = norm.rfind("、", a, hit.start)
            right = norm.find("、", hit.end, b)
            a = left + 1 if left != -1 else a
            b = right if right != -1 else b
        if b - a > MAX_CLAUSE:
            a = max(a, hit.start - 12)
            b = min(b, hit.end + 12)
        return a, b

    @staticmethod
    def _in_short_quote(t: NoticeText, hit: Hit, lo: int) -> bool:
        """True inside a quoted name such as “连线群众” (a name, not an actor)."""
        opening = t.match.rfind('"', max(lo, hit.start - 10), hit.start)
        if opening == -1 or t.match.count('"', lo, opening) % 2:
            return False
        closing = t.match.find('"', hit.end, hit.end + 10)
        return closing != -1

    def claims(self, t: NoticeText, spans: list[tuple[int, int]]) -> dict[str, list[Tag]]:
        """Mechanism, actor, platform and problem claims found in `spans` of the text."""
        out: dict[str, list[Tag]] = {
            "mechanisms": [],
            "actors": [],
            "platforms": [],
            "problems": [],
            "suggested": [],  # the learned layer's: for the curator, not claims
            "doubted": [],  # claims the learned layer doubts: kept, for the curator
            "candidates": [],  # frames no concept places (建立…机制): new concepts?
        }
        seen: set[tuple[str, str, int, int]] = set()

        def add(kind: str, tag: Tag) -> None:
            key = (kind, tag.concept + tag.name, tag.start, tag.end)
            if key not in seen:
                seen.add(key)
                out[kind].append(tag)

        vocab = self.vocabulary
        index = vocab.indexes
        found = vocab.mechanisms.find(t.match, spans)
        for (lo, hi), mechanisms in zip(spans, found, strict=True):
            for hit in mechanisms:
                if hit.learned:  # names no words: its whole sentence is the quote
                    add("suggested", Tag(hit.concept, hit.start, hit.end, hit.rule))
                    continue
                a, b = self._quote(t, hit, lo, hi)
                add("mechanisms", Tag(hit.concept, a, b, hit.rule))
                if hit.doubt is not None:  # on notices, the rules are the better judge
                    add("doubted", Tag(hit.concept, a, b, f"learned:{hit.doubt:.2f}"))
            actors = longest_first(index["actor"].hits(t.match, lo, hi))
            for hit in actors:
                inside = next(
                    (
                        m
                        for m in mechanisms
                        if not m.learned and m.start <= hit.start and hit.end <= m.end
                    ),
                    None,
                )
                longer = inside is not None and inside.end - inside.start > hit.end - hit.start
                if longer and hit.end != inside.end:
                    continue  # segmentation: part of a longer term
                if self._in_short_quote(t, hit, lo):
                    continue
                if sum(c.concept == hit.concept for c in out["actors"]) >= MAX_ACTOR_CLAIMS:
                    continue
                a, b = self._quote(t, hit, lo, hi)
                role, role_rule = role_of(hit.concept, t.norm[a:b])
                add("actors", Tag(hit.concept, a, b, f"{hit.rule}; {role_rule}", role))
            for hit in longest_first(index["platform-type"].hits(t.match, lo, hi)):
                close = hit.start - 1
                if close <= lo or t.match[close] != '"':
                    continue
                opening = t.match.rfind('"', lo, close)
                if opening == -1 or close - opening < 2 or close - opening > 16:
                    continue
                name = t.text[opening + 1 : close]
                add(
                    "platforms",
                    Tag(
                        hit.concept,
                        opening,
                        hit.end,
                        f"platform-quoted-name; {hit.rule}",
                        name=name,
                    ),
                )
            for m in _PROBLEM.finditer(t.norm, lo, hi):
                label = t.text[m.start("label") : m.end("label")].strip()
                add("problems", Tag("", m.start(), m.end(), "problem-cue:针对", label=label))
        for c in candidate_concepts(vocab.mechanisms, t.match, spans, found):
            add("candidates", Tag("", c.start, c.end, "frame:建立…机制", label=c.phrase))
        for kind in out:
            out[kind].sort(key=lambda c: (c.start, c.end, c.concept, c.name))
        return out


# -- Wording the vocabulary cannot place --

# The frames notices use to name a practice: 建立/推行/探索/创新 … 机制/制度/工作法/平台/模式.
_FRAME = re.compile(
    r"(?:建立|建成|推行|探索|创新|打造|构建|创建|实行|推出|健全|完善|搭建|设立)"
    r"(?P<name>[^,;。!?:、\n]{2,16}?)"
    r"(?:机制|制度|工作法|平台|模式|体系|品牌|工作室)"
)


@dataclass(frozen=True)
class Candidate:
    """A practice named by a frame (建立…机制) where no mechanism was found: a proposal for
    a new concept, shown to the curator instead of being dropped."""

    start: int
    end: int
    phrase: str


def candidate_concepts(
    finder: MechanismFinder,
    text: str,
    spans: list[tuple[int, int]],
    matches: list[list[Match]] | None = None,
) -> list[Candidate]:
    """Frames in `spans` of `text` (the match form of a notice) that overlap no mechanism
    the finder places, in order; each phrase once. `matches`: `finder.find(text, spans)`
    if already done."""
    matches = finder.find(text, spans) if matches is None else matches
    # a learned hit names no words: a frame in its sentence is still proposed
    found = [m for per_span in matches for m in per_span if not m.learned]
    out: list[Candidate] = []
    seen: set[str] = set()
    for lo, hi in spans:
        for m in _FRAME.finditer(text, lo, hi):
            if any(f.start < m.end() and m.start() < f.end for f in found):
                continue
            if m.group(0) not in seen:
                seen.add(m.group(0))
                out.append(Candidate(m.start(), m.end(), m.group(0)))
    return sorted(out, key=lambda c: (c.start, c.end))
