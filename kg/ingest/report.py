"""What an ingest run found and wrote, for the CLI to print and tests to check."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.core.errors import OptionStyle, Problem, python_style
from kg.ingest.units import NewPlace
from kg.records.schema import PLACEHOLDER, Case
from kg.records.write import case_mapping


@dataclass(frozen=True)
class FileChange:
    """One output file and what the run did (or, in a dry run, would do) to it."""

    path: Path
    status: str  # created | updated | unchanged | kept (a draft edited by the curator)


@dataclass
class DraftCase:
    """One drafted case record, its inline comments and its draft metadata.

    `case` is the record (None where the notice does not say); `comments` holds the
    `rule: ...` / `fill: ...` comment of each field path, `meta` the `*.draft.yaml` data.
    """

    case: Case
    comments: dict[str, str]
    meta: dict[str, Any]

    @property
    def id(self) -> str:
        return self.case.id

    @property
    def item(self) -> int:
        return self.case.item

    @property
    def record(self) -> dict[str, Any]:
        """The record as plain data, as the draft file holds it (`TODO` where unknown)."""
        return case_mapping(self.case)

    @property
    def truncated(self) -> bool:
        return bool(self.meta["truncated"])

    @property
    def conflicts(self) -> list[str]:
        return list(self.meta["conflicts"])

    @property
    def placeholders(self) -> list[str]:
        return list(self.meta["placeholders"])

    @property
    def rules(self) -> dict[str, str]:
        return dict(self.meta["rules"])


@dataclass
class IngestReport:
    """The outcome of `ingest_notice`: drafts, findings, and the files touched."""

    notice: Path
    source_id: str
    batch_id: str
    traditional: bool
    cases: list[DraftCase] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    conflicts: list[Problem] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)  # "file: field (what to fill)"
    new_places: list[NewPlace] = field(default_factory=list)
    files: list[FileChange] = field(default_factory=list)
    source_meta: dict[str, Any] = field(default_factory=dict)
    noise_lines: list[int] = field(default_factory=list)  # skipped as page noise
    written: bool = False
    genre: str = ""
    genre_reason: str = ""
    merge: str = ""  # the one merge proposal for cases already recorded ("" if none)
    merged: list[str] = field(default_factory=list)  # ids the merge proposal covers
    already_recorded: list[str] = field(default_factory=list)  # ids listing this text already

    @property
    def truncated(self) -> list[str]:
        """Ids of cases whose item block the text cuts off."""
        return [c.id for c in self.cases if c.truncated]

    @property
    def unchanged(self) -> bool:
        """True when every output file already held exactly this content."""
        return all(f.status == "unchanged" for f in self.files)

    def changed(self) -> list[Path]:
        return [f.path for f in self.files if f.status in ("created", "updated")]

    def summary(self, style: OptionStyle = python_style) -> str:
        """A plain-text account for people: cases, findings, files.

        `style` renders the settings that messages refer to (`kg.core.errors.option`).
        """
        verb = "wrote" if self.written else "would write"
        lines = [
            f"{self.notice}: {len(self.cases)} draft case(s) of batch {self.batch_id}, "
            f"source {self.source_id}" + (" (Traditional Chinese)" if self.traditional else "")
        ]
        if self.genre:
            lines.append(f"genre: {self.genre} ({self.genre_reason})")
        for case in self.cases:
            flags = [
                "truncated" if case.truncated else "",
                "intro only" if case.meta["intro_only"] else "",
                "news mention" if case.meta.get("evidence") == "news-mention" else "",
                "category inferred" if case.case.category_inferred else "",
                f"{len(case.conflicts)} conflict(s)" if case.conflicts else "",
                f"{len(case.placeholders)} field(s) to fill" if case.placeholders else "",
                f"{n} learned suggestion(s)" if (n := len(case.meta.get("suggested", []))) else "",
                f"{n} doubted claim(s)" if (n := len(case.meta.get("doubted", []))) else "",
                f"{n} candidate concept(s)" if (n := len(case.meta.get("candidates", []))) else "",
            ]
            title = case.case.title.quote if case.case.title else ""
            note = ", ".join(f for f in flags if f)
            lines.append(f"  {case.id}  {title[:30]}" + (f"  [{note}]" if note else ""))
        for heading, problems in (("conflicts", self.conflicts), ("warnings", self.warnings)):
            if problems:
                lines.append(f"{heading}:")
                lines += [f"  {p.render(style)}".replace("\n", "\n  ") for p in problems]
        if self.merge:
            lines.append(f"merge proposal: {self.merge}")
        if self.already_recorded:
            lines.append(f"already recorded with this source: {', '.join(self.already_recorded)}")
        if self.noise_lines:
            lines.append(
                "skipped as page noise (menus, 字体, share buttons): line(s) "
                + ", ".join(map(str, self.noise_lines))
            )
        if self.new_places:
            lines.append("new places: add them to data/places/places.yaml (towns:)")
            lines += [f"  {p.yaml_line()}" for p in self.new_places]
        for key, heading in (
            ("suggested", "learned suggestions (not in the drafts; add the mechanisms that hold):"),
            ("doubted", "claims the learned layer doubts (kept: on notices the rules judge best):"),
        ):
            opinions = [(c.id, item) for c in self.cases for item in c.meta.get(key, [])]
            if opinions:
                lines.append(heading)
                lines += [
                    f"  {cid}: {item['id']} ({item['rule']}) {item['quote'][:40]}"
                    for cid, item in opinions
                ]
        candidates = [(c.id, phrase) for c in self.cases for phrase in c.meta.get("candidates", [])]
        if candidates:
            lines.append("candidate new concepts (practices no concept places):")
            lines += [f"  {cid}: {phrase}" for cid, phrase in candidates]
        if self.placeholders:
            lines.append(f"fields to fill ({PLACEHOLDER}):")
            lines += [f"  {p}" for p in self.placeholders]
        if self.unchanged:
            lines.append(f"unchanged: all {len(self.files)} file(s) already up to date")
        else:
            for change in self.files:
                if change.status != "unchanged":
                    lines.append(
                        f"{verb if change.status != 'kept' else 'kept'}: "
                        f"{change.path} ({change.status})"
                    )
        return "\n".join(lines)
