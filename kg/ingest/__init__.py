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

import contextlib
import datetime
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kg.core.errors import KgError, Problem, option
from kg.core.fields import is_slug
from kg.core.layout import Project
from kg.core.textio import sweep_temporaries
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
from kg.ingest.evaluate import project_model
from kg.ingest.genre import mention_genre, notice_genre
from kg.ingest.mechanisms import load_concepts
from kg.ingest.mentions import Mention, MentionFinder
from kg.ingest.merge import MergePlanner
from kg.ingest.notice import Notice, Parser
from kg.ingest.page import Page
from kg.ingest.report import DraftCase, FileChange, IngestReport
from kg.ingest.sourcemeta import Identity, draft_source_meta, immutable, provisional
from kg.ingest.tag import Tagger, Vocabulary
from kg.ingest.text import KANGXI, read_notice
from kg.ingest.units import NewPlace, PlaceIndex, province_slug
from kg.records.schema import PLACEHOLDER
from kg.records.write import render, render_case
from kg.sources.places import Gazetteer
from kg.sources.vocabulary import load_vocabulary

if TYPE_CHECKING:
    from rdflib import Graph

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


@dataclass
class Reading:
    """A text read: its layout, its genre (`kg.ingest.genre`) and why, its mentions."""

    notice: Notice
    genre: str
    why: str
    mentions: list[Mention]


def _check_given(url: str | None, date: str | None) -> None:
    """A KgError for a URL or date given by the caller that the source record would refuse."""
    if url is not None and not re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", url):
        raise KgError(
            Problem(option("url"), f"{url!r} is not a web address", hint="give https://...")
        )
    if date is not None:
        try:
            datetime.date.fromisoformat(date)
        except ValueError:
            raise KgError(
                Problem(option("date"), f"{date!r} is not a date", hint="give it as YYYY-MM-DD")
            ) from None


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


@dataclass(frozen=True)
class Loaded:
    """What an `Ingester` loads from a project's vocabulary, places and evaluation set
    (0.5 s warm, the tagger's learned layer included); read only once made, so projects
    whose files hold the same bytes share it (`ingester_for`)."""

    vocabulary_graph: Graph
    vocabulary: Vocabulary
    places: PlaceIndex
    tagger: Tagger

    @classmethod
    def of(cls, root: Path) -> Loaded:
        project = Project(root)
        graph = load_vocabulary(project.vocab)
        # the rules and the learned layer (tags it adds carry "learned:<score>" as rule)
        vocabulary = Vocabulary(graph, project_model(root, load_concepts(graph)))
        gazetteer = Gazetteer(project.places)
        places = PlaceIndex(gazetteer.table, gazetteer.towns)
        return cls(graph, vocabulary, places, Tagger(vocabulary))


class Ingester:
    """The project's vocabulary and places, loaded once for any number of notices
    (or given: `loaded`, made from files with the same bytes)."""

    def __init__(self, root: Path, loaded: Loaded | None = None):
        self.root = root
        self.project = Project(root)
        loaded = loaded if loaded is not None else Loaded.of(root)
        self.vocabulary_graph = loaded.vocabulary_graph
        self.vocabulary = loaded.vocabulary
        self.places = loaded.places
        self.tagger = loaded.tagger
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

    def read(self, path: Path) -> Reading:
        """The text's layout, genre and cases; a KgError when it names no case."""
        text = read_notice(path)
        page = Page(text)
        notice = Parser(page, self.places, self.vocabulary.category_of).parse()
        genre = notice_genre(notice)
        if genre is not None:
            return Reading(notice, genre[0], genre[1], [])
        found = MentionFinder(page, self.places).find()
        if not found.found:
            raise KgError(
                Problem(
                    str(path),
                    f"no innovation cases found: {found.why_none}; nor item blocks "
                    "(项目一:...) or an intro list (单位“标题”,...等N个项目)",
                    hint="pass a notice, a news item or a commentary that names cases; see "
                    "data/sources/gd-npc-innovation-cases-batch3-2020.txt for the notice layout",
                )
            )
        paragraphs = page.paragraphs()

        def paragraph_of(offset: int) -> int:
            return next(i for i, p in enumerate(paragraphs) if p.start <= offset < p.end)

        genre, why = mention_genre(found.found, paragraph_of)
        return Reading(notice, genre, why, found.found)

    def parse(self, path: Path) -> Notice:
        """The layout of a text (`read` without the genre); a KgError for no cases."""
        return self.read(path).notice

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
        url: str | None = None,
        date: str | None = None,
    ) -> IngestReport:
        """Draft the cases of one text; see `ingest_notice`."""
        _check_given(url, date)
        reading = self.read(path)
        notice = reading.notice
        assembler = Assembler(
            notice, self.places, self.tagger, self.curated_bodies(), reading.mentions
        )
        assembler.resolve_units()
        cases = assembler.mention_cases() if reading.mentions else assembler.cases()
        warnings = [
            Problem(str(path), message, line=line, severity="warning")
            for line, message in notice.warnings
        ]
        self._kangxi(notice, warnings)
        ident = self._identify(reading, assembler.province, source_id, batch, date, warnings)
        source_id = ident.source_id
        folder = (drafts_dir or self.project.drafts) / source_id
        report = IngestReport(path, source_id, ident.batch_id or "", notice.text.traditional)
        report.genre, report.genre_reason = reading.genre, reading.why
        report.warnings = warnings
        report.noise_lines = notice.noise_lines
        report.conflicts = [
            Problem(str(path), message, line=line, severity="conflict")
            for line, message in assembler.conflicts
        ]
        outputs = [(self.sources_dir / f"{source_id}.txt", notice.text.raw)]
        protected: set[Path] = set()
        drafts = [
            assembler.draft(
                case,
                source_id,
                ident.case_batch(case),
                own_batch=ident.case_batch(case) != ident.batch_id,
            )
            for case in cases
        ]
        for draft, case in zip(drafts, cases, strict=True):
            draft.meta["batch"] = ident.case_batch(case)
        merges = MergePlanner(self, source_id, reading.genre).plan(drafts)
        report.merge = merges.proposal
        if ident.curated_meta is None:
            meta = draft_source_meta(
                reading, ident, assembler.province, url, date, self.places, self.sources_dir
            )
            report.source_meta = meta.data
            source_draft = folder / f"{source_id}{SOURCE_DRAFT}"
            header = [
                f"DRAFT metadata of source {source_id} (data/sources/{source_id}.txt), "
                "written by `kg ingest`.",
                f"Replace every {PLACEHOLDER}; `kg ingest --accept` moves it to "
                f"data/sources/{source_id}.yaml.",
            ]
            outputs.append((source_draft, render(meta.data, meta.comments, header).encode()))
            protected.add(source_draft)
            report.placeholders += [
                f"{source_draft}: {f} ({meta.comments[f].removeprefix('fill: ')})"
                for f in meta.todo
            ]
        for draft in drafts:
            merged = merges.records.get(draft.id)
            if merged is None and draft.id in merges.recorded:
                report.already_recorded.append(draft.id)
                continue
            if merged is None and (self.cases_dir / f"{draft.id}.yaml").exists():
                draft.meta["warnings"].append(
                    f"a curated record {draft.id}.yaml exists; this draft cannot be accepted "
                    "over it (compare them instead)"
                )
            record_path = folder / f"{draft.id}.yaml"
            if merged is not None:
                draft.meta["merge_into"] = draft.id
                report.merged.append(draft.id)
                body = merged
            else:
                report.cases.append(draft)
                report.placeholders += [f"{record_path}: {p}" for p in draft.placeholders]
                self._report_case(report, draft)
                body = self._record_bytes(draft, source_id)
            outputs.append((record_path, body.encode("utf-8")))
            outputs.append((folder / f"{draft.id}{DRAFT_META}", self._meta_bytes(draft)))
            protected.add(record_path)
        report.new_places = sorted(assembler.new_places.values(), key=lambda p: p.key)
        self._write(report, outputs, folder, protected, write)
        return report

    def _write(
        self,
        report: IngestReport,
        outputs: list[tuple[Path, bytes]],
        folder: Path,
        protected: set[Path],
        write: bool,
    ) -> None:
        changes, writes, generated = plan_writes(outputs, folder, protected)
        manifest = folder / MANIFEST
        manifest_data = manifest_bytes(generated)
        drafts_written = len(outputs) > 1
        if not drafts_written and not manifest.is_file():
            pass  # nothing but the (known) source text: no drafts folder
        elif not manifest.is_file():
            changes.append(FileChange(manifest, "created"))
        elif manifest.read_bytes() != manifest_data:
            changes.append(FileChange(manifest, "updated"))
        else:
            changes.append(FileChange(manifest, "unchanged"))
        if changes[-1].path == manifest and changes[-1].status != "unchanged":
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
            # A killed run's temporaries: atomic writes sweep the files they write; a file
            # found up to date is not written, so it is swept here.
            written = {path for path, _ in writes}
            for path in {*(p for p, _ in outputs), manifest} - written:
                sweep_temporaries(path)
            report.written = True

    @staticmethod
    def _kangxi(notice: Notice, warnings: list[Problem]) -> None:
        radicals = [i for i, ch in enumerate(notice.text.text) if ord(ch) in KANGXI]
        if radicals:
            first = notice.text.text[radicals[0]]
            warnings.append(
                Problem(
                    str(notice.text.path),
                    f"{len(radicals)} Kangxi radical(s) such as {first} (U+{ord(first):04X}) "
                    f"were read as the ideographs they stand for ({chr(KANGXI[ord(first)])}); "
                    "quotes keep them as in the text",
                    line=notice.text.line_of(radicals[0]),
                    severity="warning",
                    hint="the text was probably copied out of a PDF; check names in the drafts",
                )
            )

    def _identify(
        self,
        reading: Reading,
        province: str | None,
        source_id: str | None,
        batch: str | None,
        date: str | None,
        warnings: list[Problem],
    ) -> Identity:
        """Source id, batch ids and the source's curated metadata (None if there is none).

        A byte-identical text in data/sources is reused; otherwise a notice's id is
        derived from the province, batch ordinal and year (the seed's scheme), any other
        text's from its genre, batch and hash.
        """
        notice = reading.notice
        path, intro, raw = notice.text.path, notice.intro, notice.text.raw
        digest = sha256(raw)
        existing = self._existing_source(raw)
        given = source_id
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
        prov = province_slug(province) if province else "cn"
        ident = Identity(source_id or "", None, None, prov)
        date = date or notice.meta.date
        if reading.mentions:
            ident.mention_batches(reading.mentions, batch)
            ordinals = sorted({m.batch for m in reading.mentions if m.batch})
        else:
            ordinals = [intro.ordinal[0]] if intro.ordinal else []
        ordinal = ordinals[0] if len(ordinals) == 1 else None
        year = intro.year[0] if intro.year else int(date[:4]) if date else None
        if source_id is None:
            if reading.genre != "notice":
                tag = f"-b{ordinal}" if ordinal else ""
                source_id = f"{prov}-{reading.genre}{tag}-{digest[:8]}"
            elif ordinal and year:
                source_id = f"{prov}-npc-innovation-cases-batch{ordinal}-{year}"
            else:
                source_id = f"notice-{digest[:12]}"
                if ordinal:
                    what = (
                        f"the year of batch {ordinal} was not found (no 20xx年 before 第N届 "
                        "and no date in the text)"
                    )
                    hint = f"pass {option('date')} YYYY-MM-DD, or {option('source_id')} ID"
                else:
                    what = "the batch ordinal (第N届) was not found"
                    hint = f"pass {option('source_id')} ID (and {option('batch')} ID) to name it"
                provisional(path, what, source_id, hint, warnings)
        taken = self.sources_dir / f"{source_id}.txt"
        if not existing and given is None and taken.is_file():
            source_id = f"{source_id}-{digest[:6]}"  # a mirror or copy of a stored notice
        ident.source_id = source_id
        immutable(self.sources_dir / f"{source_id}.txt", raw, source_id)
        meta_path = self.sources_dir / f"{source_id}.yaml"
        ident.curated_meta = load_yaml(meta_path) if meta_path.is_file() else None
        if reading.mentions:
            return ident
        if batch is not None:
            ident.batch_id = _check_slug(batch, option("batch"))
        elif isinstance(ident.curated_meta, dict) and isinstance(
            ident.curated_meta.get("batch"), dict
        ):
            ident.batch_id = str(ident.curated_meta["batch"].get("id"))
        elif ordinal:
            ident.batch_id = f"{prov}-b{ordinal}"
        else:
            ident.batch_id = f"{prov}-bx{digest[:6]}"
            hint = f"pass {option('batch')} ID, e.g. gd-b4"
            what = "no batch ordinal (第N届) in the text"
            provisional(path, what, ident.batch_id, hint, warnings)
        return ident

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

    def _record_bytes(self, draft: DraftCase, source_id: str) -> str:
        meta = draft.meta
        origin = {
            "intro-only": "the intro list only",
            "news-mention": "a mention in prose",
        }.get(meta["evidence"], f"item {draft.item}")
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
        if meta["evidence"] != "full":
            header.append(
                f"EVIDENCE: {meta['evidence']}: the record holds what this text says and "
                "no more; measures and mechanisms may stay empty."
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


_INGESTERS: dict[Path, tuple[str, Ingester]] = {}
_LOADED: dict[str, Loaded] = {}
_KEEP = 8


def _content(root: Path) -> str:
    """The digest of the bytes `Loaded.of` reads: the vocabulary, the places and the
    evaluation set (whose `dev` sentences train the learned layer)."""
    project = Project(root)
    key = hashlib.sha256()
    for path in [*sorted(project.vocab.glob("*.ttl")), project.places, project.eval_sentences]:
        key.update(path.name.encode("utf-8") + b"\0")
        with contextlib.suppress(OSError):  # a missing file: Loaded.of says which
            key.update(path.read_bytes())
        key.update(b"\0")
    return key.hexdigest()


def ingester_for(root: Path) -> Ingester:
    """A cached `Ingester` for `root`, made again when its vocabulary, places or
    evaluation set change; its loaded part is shared with projects whose files hold the
    same bytes (a notebook's or the test suite's scratch copies of a project)."""
    key = root.resolve()
    content = _content(key)
    cached = _INGESTERS.get(key)
    if cached is None or cached[0] != content:
        loaded = _LOADED.get(content)
        if loaded is None:
            loaded = Loaded.of(key)
            _keep(_LOADED, content, loaded)
        cached = (content, Ingester(key, loaded))
        _keep(_INGESTERS, key, cached)
    return cached[1]


def _keep(cache: dict, key, value) -> None:
    """Add to a cache that holds the newest `_KEEP` entries."""
    cache.pop(key, None)
    while len(cache) >= _KEEP:
        cache.pop(next(iter(cache)))
    cache[key] = value


def ingest_notice(
    path: Path,
    *,
    root: Path,
    source_id: str | None = None,
    drafts_dir: Path | None = None,
    write: bool = True,
    batch: str | None = None,
    url: str | None = None,
    date: str | None = None,
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
        Path(path),
        source_id=source_id,
        batch=batch,
        drafts_dir=drafts_dir,
        write=write,
        url=url,
        date=date,
    )
