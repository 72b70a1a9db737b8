"""A text naming cases already recorded: one merge proposal, not N new cases.

A repost, a mirror, a news item or a commentary usually names cases that data/cases
already holds (from the notice). Such a case is not drafted again: the curated record is
drafted once more with this text added to its `other_sources` (its title and unit as
this text writes them, verbatim at offsets, and this text's evidence level), and the
report makes one proposal for all of them. `kg ingest --accept` then replaces the
curated record, and only when nothing but `other_sources` grew (`check_merge`).

A case counts as recorded when a curated record of the same batch has the same body
(place and type) or the same title (whitespace, quotation marks and script aside).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kg.core.errors import KgError
from kg.core.layout import Project
from kg.core.namespaces import MECH
from kg.ingest.report import DraftCase
from kg.ingest.text import compact, looks_traditional, to_simplified
from kg.records.load import load_case
from kg.records.schema import PLACEHOLDER, Case, KnownIds, OtherSource
from kg.records.write import render_case
from kg.sources.places import Gazetteer
from kg.sources.vocabulary import load_vocabulary, replacements, vocabulary_ids

if TYPE_CHECKING:
    from rdflib import Graph


def title_key(text: str) -> str:
    """A title for comparison: Simplified, no whitespace, one form of quotation mark."""
    return compact(to_simplified(text) if looks_traditional(text) else text)


def known_ids(
    root: Path, extra_sources: dict[str, str] | None = None, vocabulary: Graph | None = None
) -> KnownIds:
    """The ids records may refer to in the project at `root` (raw source metadata, so a
    source whose text is missing does not stop a merge proposal); `vocabulary` is the
    project's, if the caller has it loaded (parsing it takes 0.35 s)."""
    from kg.ingest.sourcemeta import source_batches

    project = Project(root)
    graph = load_vocabulary(project.vocab) if vocabulary is None else vocabulary
    sources, further = source_batches(project.sources)
    sources |= extra_sources or {}
    return KnownIds.of(
        sources,
        vocabulary_ids(graph),
        Gazetteer(project.places).keys(),
        replacements(graph, str(MECH)),
        further,
    )


@dataclass
class MergePlan:
    """Drafts that name recorded cases: id -> the curated record with this text added
    (`records`), ids this text already is an other source of (`recorded`), and the one
    proposal line for the report."""

    records: dict[str, str] = field(default_factory=dict)
    recorded: set[str] = field(default_factory=set)
    proposal: str = ""


class MergePlanner:
    """Finds the curated records a new text's drafts name."""

    def __init__(self, ingester, source_id: str, genre: str):
        self.ingester = ingester
        self.source_id = source_id
        self.genre = genre

    def _curated(self) -> list[Case]:
        cases_dir = self.ingester.cases_dir
        paths = sorted(cases_dir.glob("*.yaml"))
        if not paths:
            return []
        known = known_ids(self.ingester.root, vocabulary=self.ingester.vocabulary_graph)
        out = []
        for path in paths:
            try:
                out.append(load_case(path, known))
            except KgError:
                continue  # a broken record is `kg validate`'s business
        self._known = known
        return out

    @staticmethod
    def _batch(case: Case, known: KnownIds) -> str:
        return case.batch or known.sources.get(case.source, "")

    def _match(self, draft: DraftCase, curated: list[Case], known: KnownIds) -> Case | None:
        case = draft.case
        title = title_key(case.title.quote) if case.title else None
        body = case.body
        for record in curated:
            if self._batch(record, known) != draft.meta["batch"]:
                continue
            same_body = (
                body is not None
                and body.place not in (None, PLACEHOLDER)
                and (body.place, body.type) == (record.body.place, record.body.type)
            )
            same_title = title is not None and title == title_key(record.title.quote)
            if same_body or same_title:
                return record
        return None

    def plan(self, drafts: list[DraftCase]) -> MergePlan:
        """Match every draft against the curated records; rename matched drafts to the
        record's id."""
        plan = MergePlan()
        curated = self._curated()
        if not curated:
            return plan
        for draft in drafts:
            case = draft.case
            match = self._match(draft, curated, self._known)
            if match is None or match.source == self.source_id:
                continue  # its own source again: drafted as before, compared by the curator
            draft.case = dataclasses.replace(case, id=match.id)
            draft.meta["case"] = match.id
            if self.source_id in match.source_ids():  # merged before
                plan.recorded.add(match.id)
                continue
            other = OtherSource(
                self.source_id,
                case.evidence,
                case.title,
                case.body.span if case.body else None,
                case.item,
            )
            record = dataclasses.replace(match, other_sources=[*match.other_sources, other])
            header = [
                f"MERGE PROPOSAL written by `kg ingest`: data/cases/{match.id}.yaml with "
                f"source {self.source_id} ({self.genre}) added to other_sources.",
                "`kg ingest --accept` replaces the curated record with this one; nothing "
                "else may differ.",
            ]
            plan.records[match.id] = render_case(record, header=header)
        if plan.records:
            plan.proposal = (
                f"{len(plan.records)} case(s) of this text are recorded already "
                f"({', '.join(sorted(plan.records))}): accepting adds source "
                f"{self.source_id} to their other_sources and changes nothing else"
            )
        return plan


def check_merge(draft: Case, curated: Case) -> str:
    """Why a merge draft may not replace its curated record ("" when it may)."""
    if curated.other_sources != draft.other_sources[: len(curated.other_sources)]:
        return "the draft changes other_sources the curated record has"
    if len(draft.other_sources) <= len(curated.other_sources):
        return "the draft adds no other source"
    if dataclasses.replace(draft, other_sources=[]) != dataclasses.replace(
        curated, other_sources=[]
    ):
        return "the draft changes more than other_sources; merge by hand"
    return ""
