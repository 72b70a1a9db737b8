"""Ingest: the text of a notice → draft case records that a curator reviews and accepts.

    ingest_notice(path, root=..., source_id=None, drafts_dir=None, write=True, batch=None)
        Reads the notice strictly, copies it verbatim to data/sources/<source-id>.txt,
        drafts its source metadata and one record per case under data/drafts/<source-id>/,
        and returns an `IngestReport`. Running it again on the same notice changes nothing.
    accept_drafts(root, ids=None, drafts_dir=None)
        Promotes reviewed drafts into data/cases/ (never over a curated record).
    Ingester(root)
        The loaded vocabulary and places, to ingest many notices without reloading them.

Every value in a draft names the rule that produced it (`# rule:` comments in the
record, `rules:` in `<case-id>.draft.yaml`):

    item-heading, intro-list, intro-first-item, intro-list-position   title / item number
    unit-field, body-suffix:*, division-chain, division-unique-name,
    curated-town, new-town                                             body type and place
    section-heading:*                                                  category
    measure-marker:一是 | (一) | 一、 | 1., measure-unnumbered          measures
    reason-field, start-year-regex                                     reason, start year
    prefLabel-match:*, altLabel-match:*                                mechanisms, actors
    role-default, role-cue:*                                           actor roles
    quantity-regex, scale-百分制, platform-quoted-name, problem-cue:针对  the rest

Values the text does not give are the placeholder `TODO` (with a `# fill:` comment);
`accept_drafts` refuses a record or source metadata that still holds one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kg.core.errors import KgError, Problem, option
from kg.core.fields import is_slug
from kg.core.layout import Project
from kg.core.yamlstrict import load_yaml
from kg.ingest.assemble import Assembler
from kg.ingest.drafts import (
    DRAFT_META,
    MANIFEST,
    SOURCE_DRAFT,
    accept_drafts,
    manifest_bytes,
    plan_writes,
    sha256,
    write_all,
)
from kg.ingest.notice import Notice, Parser
from kg.ingest.report import DraftCase, FileChange, IngestReport
from kg.ingest.tag import Tagger, Vocabulary
from kg.ingest.text import KANGXI, read_notice
from kg.ingest.units import NewPlace, PlaceIndex, province_slug
from kg.records.schema import PLACEHOLDER
from kg.records.write import render, render_case
from kg.sources.places import Gazetteer
from kg.sources.vocabulary import load_vocabulary

__all__ = [
    "DraftCase",
    "FileChange",
    "IngestReport",
    "Ingester",
    "NewPlace",
    "PLACEHOLDER",
    "accept_drafts",
    "ingest_notice",
]


def _check_slug(value: str, setting: str) -> str:
    """`value` if it is a valid id; `setting` names where it came from (an `option`)."""
    if not is_slug(value):
        raise KgError(
            Problem(
                setting,
                f"{value!r} is not a valid id",
                hint="use lower-case letters, digits and single hyphens, e.g. gd-b4",
            )
        )
    return value


class Ingester:
    """The project's vocabulary and places, loaded once for any number of notices."""

    def __init__(self, root: Path):
        self.root = root
        self.project = Project(root)
        self.vocabulary = Vocabulary(load_vocabulary(self.project.vocab))
        gazetteer = Gazetteer(self.project.places)
        self.places = PlaceIndex(gazetteer.table, gazetteer.towns)
        self.tagger = Tagger(self.vocabulary)
        self._bodies: tuple[tuple, dict[tuple[str, str], list[str]]] | None = None

    @property
    def sources_dir(self) -> Path:
        return self.project.sources

    @property
    def cases_dir(self) -> Path:
        return self.project.cases

    def curated_bodies(self) -> dict[tuple[str, str], list[str]]:
        """(place, body type) → ids of the curated cases it declared (repeat winners)."""
        paths = sorted(self.cases_dir.glob("*.yaml"))
        signature = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in paths)
        if self._bodies is None or self._bodies[0] != signature:
            bodies: dict[tuple[str, str], list[str]] = {}
            for path in paths:
                try:
                    data = load_yaml(path)
                    body = data["body"]
                    bodies.setdefault((str(body["place"]), str(body["type"])), []).append(
                        str(data["id"])
                    )
                except (KgError, KeyError, TypeError):
                    continue  # a broken record is `kg validate`'s business, not ingest's
            self._bodies = (signature, bodies)
        return self._bodies[1]

    def parse(self, path: Path) -> Notice:
        """The layout of a notice; a KgError for unreadable input or no items at all."""
        text = read_notice(path)
        notice = Parser(text, self.places, self.vocabulary.category_of).parse()
        if not notice.items and notice.intro.primary is None:
            raise KgError(
                Problem(
                    str(path),
                    "no innovation cases found: no item blocks (项目一:...) and no intro list "
                    "(单位“标题”,...等N个项目)",
                    hint="pass the text of an innovation-case notice; see "
                    "data/sources/gd-npc-innovation-cases-batch3-2020.txt for the layout",
                )
            )
        return notice

    def _existing_source(self, raw: bytes) -> str | None:
        for path in sorted(self.sources_dir.glob("*.txt")):
            if path.stat().st_size == len(raw) and path.read_bytes() == raw:
                return path.stem
        return None

    def ingest(
        self,
        path: Path,
        *,
        source_id: str | None = None,
        batch: str | None = None,
        drafts_dir: Path | None = None,
        write: bool = True,
    ) -> IngestReport:
        """Draft the cases of one notice; see `ingest_notice`."""
        notice = self.parse(path)
        assembler = Assembler(notice, self.places, self.tagger, self.curated_bodies())
        assembler.resolve_units()
        cases = assembler.cases()
        warnings = [
            Problem(str(path), message, line=line, severity="warning")
            for line, message in notice.warnings
        ]
        radicals = [i for i, ch in enumerate(notice.text.text) if ord(ch) in KANGXI]
        if radicals:
            first = notice.text.text[radicals[0]]
            warnings.append(
                Problem(
                    str(path),
                    f"{len(radicals)} Kangxi radical(s) such as {first} (U+{ord(first):04X}) "
                    f"were read as the ideographs they stand for ({chr(KANGXI[ord(first)])}); "
                    "quotes keep them as in the text",
                    line=notice.text.line_of(radicals[0]),
                    severity="warning",
                    hint="the text was probably copied out of a PDF; check names in the drafts",
                )
            )
        source_id, batch_id, curated_meta = self._identify(
            notice, assembler.province, source_id, batch, warnings
        )
        folder = (drafts_dir or self.project.drafts) / source_id
        report = IngestReport(path, source_id, batch_id, notice.text.traditional)
        report.warnings = warnings
        report.noise_lines = notice.noise_lines
        report.conflicts = [
            Problem(str(path), message, line=line, severity="conflict")
            for line, message in assembler.conflicts
        ]
        outputs = [(self.sources_dir / f"{source_id}.txt", notice.text.raw)]
        protected: set[Path] = set()
        if curated_meta is None:
            meta, comments, todo = self._source_meta(
                notice, source_id, batch_id, assembler.province
            )
            report.source_meta = meta
            source_draft = folder / f"{source_id}{SOURCE_DRAFT}"
            header = [
                f"DRAFT metadata of source {source_id} (data/sources/{source_id}.txt), "
                "written by `kg ingest`.",
                f"Replace every {PLACEHOLDER}; `kg ingest --accept` moves it to "
                f"data/sources/{source_id}.yaml.",
            ]
            outputs.append((source_draft, render(meta, comments, header).encode("utf-8")))
            protected.add(source_draft)
            report.placeholders += [
                f"{source_draft}: {f} ({comments[f].removeprefix('fill: ')})" for f in todo
            ]
        for case in cases:
            draft = assembler.draft(case, source_id, batch_id)
            if (self.cases_dir / f"{draft.id}.yaml").exists():
                draft.meta["warnings"].append(
                    f"a curated record {draft.id}.yaml exists; this draft cannot be accepted "
                    "over it (compare them instead)"
                )
            report.cases.append(draft)
            record_path = folder / f"{draft.id}.yaml"
            outputs.append((record_path, self._record_bytes(draft, source_id).encode("utf-8")))
            outputs.append((folder / f"{draft.id}{DRAFT_META}", self._meta_bytes(draft)))
            protected.add(record_path)
            report.placeholders += [f"{record_path}: {p}" for p in draft.placeholders]
            self._report_case(report, draft)
        report.new_places = sorted(assembler.new_places.values(), key=lambda p: p.key)
        changes, writes, generated = plan_writes(outputs, folder, protected)
        manifest = folder / MANIFEST
        manifest_data = manifest_bytes(generated)
        if not manifest.is_file():
            changes.append(FileChange(manifest, "created"))
        elif manifest.read_bytes() != manifest_data:
            changes.append(FileChange(manifest, "updated"))
        else:
            changes.append(FileChange(manifest, "unchanged"))
        if changes[-1].status != "unchanged":
            writes.append((manifest, manifest_data))
        for change in changes:
            if change.status == "kept":
                report.warnings.append(
                    Problem(
                        str(change.path),
                        "this draft was edited after ingest wrote it; it is kept as it is",
                        severity="warning",
                        hint="delete it to have ingest write it again",
                    )
                )
        report.files = changes
        if write:
            # The source text goes in last: a run killed before it leaves drafts that the
            # next run completes (and `--accept` names), never a source with no drafts.
            text_path = outputs[0][0]
            write_all(sorted(writes, key=lambda item: item[0] == text_path))
            report.written = True
        return report

    def _identify(
        self,
        notice: Notice,
        province: str | None,
        source_id: str | None,
        batch: str | None,
        warnings: list[Problem],
    ) -> tuple[str, str, Any]:
        """Source id, batch id and the source's curated metadata (None if there is none).

        A byte-identical text in data/sources is reused; otherwise the id is derived from
        the province, batch ordinal and year (the seed's scheme), or from the text's hash.
        """
        path, intro, raw = notice.text.path, notice.intro, notice.text.raw
        digest = sha256(raw)
        existing = self._existing_source(raw)
        if source_id is not None:
            _check_slug(source_id, option("source_id"))
            if existing and existing != source_id:
                warnings.append(
                    Problem(
                        str(path),
                        f"this text is already the source {existing!r}; {existing!r} is used "
                        f"instead of {source_id!r}",
                        severity="warning",
                    )
                )
                source_id = existing
        else:
            source_id = existing
        ordinal = intro.ordinal[0] if intro.ordinal else None
        year = intro.year[0] if intro.year else int(intro.date[:4]) if intro.date else None
        prov = province_slug(province) if province else "cn"
        if source_id is None:
            if ordinal and year:
                source_id = f"{prov}-npc-innovation-cases-batch{ordinal}-{year}"
            else:
                source_id = f"notice-{digest[:12]}"
                warnings.append(
                    Problem(
                        str(path),
                        f"the batch ordinal (第N届) or year was not found; the source id "
                        f"{source_id!r} is provisional",
                        severity="warning",
                        hint=f"pass {option('source_id')} ID (and {option('batch')} ID) to name it",
                    )
                )
        text_path = self.sources_dir / f"{source_id}.txt"
        if text_path.is_file() and text_path.read_bytes() != raw:
            raise KgError(
                Problem(
                    str(text_path),
                    f"a different text is already stored as source {source_id!r}",
                    hint=f"raw sources are immutable: pass {option('source_id')} with a new id",
                )
            )
        meta_path = self.sources_dir / f"{source_id}.yaml"
        curated_meta = load_yaml(meta_path) if meta_path.is_file() else None
        if batch is not None:
            batch_id = _check_slug(batch, option("batch"))
        elif isinstance(curated_meta, dict) and isinstance(curated_meta.get("batch"), dict):
            batch_id = str(curated_meta["batch"].get("id"))
        elif ordinal:
            batch_id = f"{prov}-b{ordinal}"
        else:
            batch_id = f"{prov}-bx{digest[:6]}"
            warnings.append(
                Problem(
                    str(path),
                    f"no batch ordinal (第N届) in the text; the batch id {batch_id!r} is "
                    "provisional",
                    severity="warning",
                    hint=f"pass {option('batch')} ID, e.g. gd-b4",
                )
            )
        return source_id, batch_id, curated_meta

    @staticmethod
    def _report_case(report: IngestReport, draft: DraftCase) -> None:
        """A case's conflicts, warnings and truncation, as findings of the whole run."""
        path, line = str(report.notice), draft.meta["notice_line"]
        for message in draft.conflicts:
            report.conflicts.append(
                Problem(path, f"{draft.id}: {message}", line=line, severity="conflict")
            )
        for message in draft.meta["warnings"]:
            report.warnings.append(
                Problem(path, f"{draft.id}: {message}", line=line, severity="warning")
            )
        if draft.truncated:
            report.warnings.append(
                Problem(
                    path,
                    f"{draft.id}: the text stops inside this item "
                    f"({'; '.join(draft.meta['truncation'])}); it is kept and flagged",
                    line=line,
                    severity="warning",
                )
            )

    def _source_meta(
        self, notice: Notice, source_id: str, batch_id: str, province: str | None
    ) -> tuple[dict[str, Any], dict[str, str], list[str]]:
        """The source's metadata record (fields of data/sources/*.yaml), TODO where unknown."""
        t, intro = notice.text, notice.intro
        comments: dict[str, str] = {}
        todo: list[str] = []

        def found(field: str, value: Any, rule: str) -> Any:
            if value is None or value == "":
                todo.append(field)
                comments[field] = f"fill: {rule}"
                return PLACEHOLDER
            comments[field] = f"rule: {rule}"
            return value

        def quote(span) -> str | None:
            return t.text[span.start : span.end] if span else None

        issuing = quote(intro.issuing_body)
        issuing_rule = "the subject before 印发《…》 or 关于…的通知"
        if issuing and province and issuing.startswith("省") and not t.traditional:
            issuing = self.places.table[province][0] + issuing[1:]
            issuing_rule += ", 省 → the province of the units"
        line = t.line_of
        meta: dict[str, Any] = {
            "id": source_id,
            "file": f"{source_id}.txt",
            "sha256": sha256(t.raw),
            "title": found(
                "title",
                quote(intro.title or intro.headline),
                f"the clause with 印发《…》 (line {line(intro.title.start)})"
                if intro.title
                else "the headline: the first line of the text"
                if intro.headline
                else "the headline of the notice or repost",
            ),
            "title_en": found("title_en", None, "English translation of the title"),
            "publisher": found("publisher", intro.publisher, "来源: on a page-header line"),
            "publisher_en": found("publisher_en", None, "English name of the publisher"),
            "date": found("date", intro.date, "date on a page-header line (YYYY-MM-DD)"),
            "notice_title": found(
                "notice_title", quote(intro.notice_title), "《…通知》 in the intro"
            ),
            "issuing_body": found("issuing_body", issuing, issuing_rule),
            "issuing_body_en": found("issuing_body_en", None, "English name of the issuing body"),
            "batch": {
                "id": batch_id,
                "ordinal": found(
                    "batch.ordinal",
                    intro.ordinal[0] if intro.ordinal else None,
                    f"第N届 (line {line(intro.ordinal[1].start)})" if intro.ordinal else "第N届",
                ),
                "year": found(
                    "batch.year",
                    intro.year[0] if intro.year else int(intro.date[:4]) if intro.date else None,
                    "the year before 第N届" if intro.year else "the year of the date",
                ),
                "province": found(
                    "batch.province", province, "the province of the declaring units"
                ),
                "label": found("batch.label", quote(intro.label), "第N届…案例 in the text"),
                "label_en": found("batch.label_en", None, "English translation of the label"),
            },
        }
        return meta, comments, todo

    def _record_bytes(self, draft: DraftCase, source_id: str) -> str:
        meta = draft.meta
        origin = "the intro list only" if meta["intro_only"] else f"item {draft.item}"
        header = [
            f"DRAFT of {draft.id} written by `kg ingest` from data/sources/{source_id}.txt "
            f"({origin}, line {meta['notice_line']}).",
            "Review each claim: its `# rule:` comment names the rule that produced it;",
            f"replace every {PLACEHOLDER} (`# fill:` says with what), then run "
            f"`kg ingest --accept {draft.id}`.",
        ]
        if meta["truncated"]:
            header.append(
                "TRUNCATED: the notice's text stops inside this item "
                f"({'; '.join(meta['truncation'])})."
            )
        for conflict in meta["conflicts"]:
            header.append(f"CONFLICT: {conflict}")
        return render_case(draft.case, draft.comments, header)

    @staticmethod
    def _meta_bytes(draft: DraftCase) -> bytes:
        header = [
            f"Draft-only metadata of {draft.id}, written by `kg ingest`; "
            "`kg ingest --accept` deletes it."
        ]
        return render(draft.meta, header=header).encode("utf-8")


_INGESTERS: dict[Path, tuple[tuple, Ingester]] = {}


def _signature(root: Path) -> tuple:
    project = Project(root)
    paths = sorted(project.vocab.glob("*.ttl")) + [project.places]
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in paths if p.exists())


def ingester_for(root: Path) -> Ingester:
    """A cached `Ingester` for `root`, reloaded when its vocabulary or places change."""
    key = root.resolve()
    signature = _signature(key)
    cached = _INGESTERS.get(key)
    if cached is None or cached[0] != signature:
        cached = (signature, Ingester(key))
        _INGESTERS[key] = cached
    return cached[1]


def ingest_notice(
    path: Path,
    *,
    root: Path,
    source_id: str | None = None,
    drafts_dir: Path | None = None,
    write: bool = True,
    batch: str | None = None,
) -> IngestReport:
    """Draft the case records of one notice; nothing is written when the input is bad.

    Reads `path` strictly (a KgError for an empty, binary, non-UTF-8 or enormous file,
    a text with no items, or duplicated item numbers), copies it verbatim to
    `data/sources/<source-id>.txt` unless a byte-identical source exists (then that
    source is reused), drafts its metadata (when data/sources has none) and one record
    per case under `drafts_dir/<source-id>/`. With `write=False` nothing is written and
    the report says what would be. A second run on the same notice reports `unchanged`.
    """
    return ingester_for(root).ingest(
        Path(path), source_id=source_id, batch=batch, drafts_dir=drafts_dir, write=write
    )
