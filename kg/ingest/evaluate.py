"""Measuring the mechanism tagger on sentences with gold concepts (`kg tag --eval`).

The set (data/eval/mechanism-sentences.yaml) holds invented sentences in the style of
notices and local news, each with the concepts its words support. `dev` sentences may
be used to tune the vocabulary and the finder; `test` sentences are only measured.
Scores count concepts per sentence: a concept found and in the gold is a true positive,
found and not in the gold a false positive, in the gold and not found a false negative
(a broader concept does not stand in for a narrower one). Families are the facets of
the vocabulary (instrument, target, consequence, channel, station, organisation,
governance).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kg.core.fields import Fields
from kg.core.yamlstrict import load_yaml
from kg.ingest.mechanisms import Concept, MechanismFinder, load_concepts
from kg.ingest.text import to_simplified

if TYPE_CHECKING:
    from kg.ingest.learned import LearnedModel

KINDS = ("plain", "paraphrase", "traditional", "noise", "near-miss", "negative")
SPLITS = ("dev", "test")


@dataclass(frozen=True)
class Sentence:
    id: str
    text: str
    gold: frozenset[str]
    kind: str
    split: str
    note: str = ""

    @property
    def seed_paraphrase(self) -> bool:
        """A rewrite of a measure of the seed notice (`note: seed case N`, or
        `gd-b3-NN measure N` in the earliest rounds): the issue's second bar."""
        return self.kind == "paraphrase" and bool(_SEED_NOTE.search(self.note))


_SEED_NOTE = re.compile(r"seed case \d+|gd-b3-\d+")


def load_sentences(path: Path, known: frozenset[str] | None = None) -> list[Sentence]:
    """The evaluation set; gold ids must be live concepts of `known` when it is given."""
    f = Fields(load_yaml(path), str(path))
    out = []
    for s in f.items("sentences"):
        gold = s.get("gold")
        if not isinstance(gold, list) or not all(isinstance(g, str) for g in gold):
            s.fail("gold", "expected a list of concept ids")
        unknown = sorted(set(gold) - known) if known is not None else []
        if unknown:
            s.fail("gold", f"unknown or deprecated concept {unknown[0]!r}")
        out.append(
            Sentence(
                s.slug("id"),
                s.text("text"),
                frozenset(gold),
                s.choice("kind", KINDS),
                s.choice("split", SPLITS),
                str(s.get("note", "") or ""),
            )
        )
        s.done()
    f.done()
    return out


def project_model(root: Path, concepts: Iterable[Concept]) -> LearnedModel | None:
    """The learned layer of the project at `root` (`kg.ingest.learned`), trained on the
    `dev` sentences of its evaluation set; None for a project without one."""
    from kg.core.layout import Project
    from kg.ingest.learned import file_key, kept_for_file, learned_model

    path = Project(root).eval_sentences
    if not path.is_file():
        return None
    ids = frozenset(c.id for c in concepts)
    key = file_key(path.read_bytes(), ids)
    if (kept := kept_for_file(root, key)) is not None:  # these bytes were read before
        return kept
    training = [
        (MechanismFinder.reading(s.text), s.gold)
        for s in load_sentences(path, ids)
        if s.split == "dev"
    ]
    return learned_model(root, training, ids, key)


def project_finder(root: Path, *, learned: bool = True) -> MechanismFinder:
    """The mechanism finder of the project at `root`: its vocabulary's rules and, unless
    `learned` is False, the learned layer (`project_model`)."""
    from kg.core.layout import Project
    from kg.sources.vocabulary import load_vocabulary

    concepts = load_concepts(load_vocabulary(Project(root).vocab))
    return MechanismFinder(concepts, project_model(root, concepts) if learned else None)


def find_in_sentence(finder: MechanismFinder, text: str) -> set[str]:
    """The concepts found in one sentence (always read as Simplified: a short sentence
    may hold too few Traditional-only characters to tell)."""
    return finder.concepts_in(to_simplified(text))


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, found: set[str], gold: frozenset[str]) -> None:
        self.tp += len(found & gold)
        self.fp += len(found - gold)
        self.fn += len(gold - found)


@dataclass
class Evaluation:
    sentences: int = 0
    overall: Score = field(default_factory=Score)
    by_facet: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))
    by_kind: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))
    seed_paraphrases: Score = field(default_factory=Score)
    misses: list[tuple[str, str, list[str], list[str]]] = field(default_factory=list)

    def text(self, *, errors: bool = False) -> str:
        def row(name: str, s: Score) -> str:
            support = s.tp + s.fn
            return (
                f"{name:<14} {s.precision:>9.1%} {s.recall:>7.1%} {s.f1:>6.1%} "
                f"{support:>8} {s.tp:>5} {s.fp:>5} {s.fn:>5}"
            )

        head = (
            f"{'':<14} {'precision':>9} {'recall':>7} {'F1':>6} "
            f"{'gold':>8} {'tp':>5} {'fp':>5} {'fn':>5}"
        )
        lines = [f"{self.sentences} sentences", head, row("all", self.overall), "by facet:"]
        lines += [row(k, v) for k, v in sorted(self.by_facet.items())]
        lines.append("by kind:")
        lines += [row(k, self.by_kind[k]) for k in KINDS if k in self.by_kind]
        if self.seed_paraphrases.tp + self.seed_paraphrases.fn:
            lines.append(row("seed rewrites", self.seed_paraphrases))
        if errors:
            lines.append("sentences with errors (id: missed | wrong):")
            for sid, text, missed, wrong in self.misses:
                lines.append(f"  {sid}: {', '.join(missed) or '-'} | {', '.join(wrong) or '-'}")
                lines.append(f"      {text}")
        return "\n".join(lines) + "\n"


def evaluate(finder: MechanismFinder, sentences: list[Sentence]) -> Evaluation:
    """Score the finder on `sentences`."""
    facet = {cid: c.facet or "(none)" for cid, c in finder.concepts.items()}
    result = Evaluation(sentences=len(sentences))
    for s in sentences:
        found = find_in_sentence(finder, s.text)
        result.overall.add(found, s.gold)
        result.by_kind[s.kind].add(found, s.gold)
        if s.seed_paraphrase:
            result.seed_paraphrases.add(found, s.gold)
        for name in {facet.get(c, "(none)") for c in found | s.gold}:
            result.by_facet[name].add(
                {c for c in found if facet.get(c) == name},
                frozenset(c for c in s.gold if facet.get(c) == name),
            )
        if found != s.gold:
            result.misses.append((s.id, s.text, sorted(s.gold - found), sorted(found - s.gold)))
    return result
