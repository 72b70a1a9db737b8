"""Draft files: idempotent writes (through `kg.records.write`), and accept.

Layout of the drafts area (default `data/drafts/`):

    <source-id>/<case-id>.yaml          the draft record, exactly the format of data/cases/
                                        plus `# rule:` / `# fill:` comments (YAML ignores them)
    <source-id>/<case-id>.draft.yaml    draft-only metadata: rules, truncation, conflicts,
                                        placeholders, new places (load_case refuses unknown
                                        keys, so these cannot live in the record itself)
    <source-id>/<source-id>.source.yaml the source's metadata record while it is a draft
    <source-id>/_generated.yaml         sha256 of each file as generated: a draft the
                                        curator has edited is never overwritten by ingest

`accept_drafts` promotes reviewed drafts into data/cases/ (and the source metadata into
data/sources/), written again by `kg.records.write` without comments, and deletes the
draft files.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from pathlib import Path

from kg.core.errors import KgError, Problem
from kg.core.layout import Project
from kg.core.namespaces import MECH
from kg.core.textio import atomic_write_bytes, atomic_write_many
from kg.core.yamlstrict import load_yaml
from kg.ingest.merge import check_merge
from kg.ingest.report import FileChange
from kg.records.load import load_case, placeholders_in
from kg.records.schema import PLACEHOLDER, Case, KnownIds
from kg.records.write import render, render_case
from kg.sources.documents import Source, load_source, load_sources
from kg.sources.places import Gazetteer
from kg.sources.vocabulary import load_vocabulary, replacements, vocabulary_ids

MANIFEST = "_generated.yaml"
DRAFT_META = ".draft.yaml"
SOURCE_DRAFT = ".source.yaml"

# -- Writing drafts --


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def plan_writes(
    outputs: list[tuple[Path, bytes]], folder: Path, protected: set[Path]
) -> tuple[list[FileChange], list[tuple[Path, bytes]], dict[str, str]]:
    """What writing `outputs` would change; drafts the curator edited are kept.

    `protected` are the draft files whose edits must survive (records and source
    metadata); their generated hashes are kept in the folder's manifest.
    """
    manifest_path = folder / MANIFEST
    generated: dict[str, str] = {}
    if manifest_path.is_file():
        data = load_yaml(manifest_path)
        if isinstance(data, dict) and isinstance(data.get("files"), dict):
            generated = {str(k): str(v) for k, v in data["files"].items()}
    changes: list[FileChange] = []
    writes: list[tuple[Path, bytes]] = []
    new_manifest: dict[str, str] = {}
    for path, data in outputs:
        status = "created"
        if path.is_file():
            current = path.read_bytes()
            if current == data:
                status = "unchanged"
            elif path in protected and generated.get(path.name) != sha256(current):
                status = "kept"  # edited after it was generated
            else:
                status = "updated"
        if path.parent == folder:
            new_manifest[path.name] = (
                generated.get(path.name, sha256(data)) if status == "kept" else sha256(data)
            )
        changes.append(FileChange(path, status))
        if status in ("created", "updated"):
            writes.append((path, data))
    return changes, writes, new_manifest


def manifest_bytes(files: dict[str, str]) -> bytes:
    header = [
        "Written by `kg ingest`: the sha256 of each draft file as generated. A draft whose",
        "hash differs was edited by a curator, and ingest leaves it alone.",
    ]
    return render({"files": dict(sorted(files.items()))}, header=header).encode("utf-8")


def write_all(writes: list[tuple[Path, bytes]]) -> None:
    atomic_write_many(writes)


# -- Accepting drafts --


def _draft_records(drafts_dir: Path) -> dict[str, Path]:
    out = {}
    for path in sorted(drafts_dir.glob("*/*.yaml")):
        name = path.name
        if name.endswith((DRAFT_META, SOURCE_DRAFT)) or name == MANIFEST:
            continue
        out[path.stem] = path
    return out


def _load_draft_source(meta_path: Path, sources_dir: Path) -> Source:
    """Load a drafted source record as `load_source` would once it sits in data/sources/."""
    data = load_yaml(meta_path)
    name = data.get("file") if isinstance(data, dict) else None
    text = sources_dir / str(name)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_meta = Path(tmp) / meta_path.name.replace(SOURCE_DRAFT, ".yaml")
        shutil.copyfile(meta_path, tmp_meta)
        if name and text.is_file():
            shutil.copyfile(text, Path(tmp) / text.name)
        try:
            return load_source(tmp_meta)
        except KgError as exc:
            raise KgError(
                [Problem(str(meta_path), p.message, p.field, p.line, p.hint) for p in exc.problems]
            ) from None


def _nothing_hint(project: Project) -> str:
    """What to do when there is nothing to accept; names texts that have no records yet."""
    known = {p.stem for p in project.sources.glob("*.yaml")}
    used = set()
    for path in project.cases.glob("*.yaml"):
        data = load_yaml(path)
        if isinstance(data, dict) and isinstance(data.get("source"), str):
            used.add(data["source"])
    waiting = sorted(p.name for p in project.sources.glob("*.txt") if p.stem not in known | used)
    if waiting:
        return "run kg ingest on the notice of " + ", ".join(f"data/sources/{w}" for w in waiting)
    return "run kg ingest NOTICE first"


def accept_drafts(
    root: Path, ids: list[str] | None = None, *, drafts_dir: Path | None = None
) -> list[Path]:
    """Promote reviewed drafts into data/cases/; all named drafts or none.

    Refuses (KgError) when a curated record of that id exists, when a placeholder is
    still unfilled (in the record or in its source's drafted metadata), or when the
    record does not load through `kg.records.load.load_case` or a quote does not match
    the source text. Returns the files written.
    """
    project = Project(root)
    drafts_dir = drafts_dir or project.drafts
    cases_dir = project.cases
    sources_dir = project.sources
    available = _draft_records(drafts_dir) if drafts_dir.is_dir() else {}
    if ids:
        unknown = [i for i in ids if i not in available]
        if unknown:
            raise KgError(
                Problem(
                    str(drafts_dir),
                    f"no draft named {', '.join(unknown)}",
                    hint=f"drafts: {', '.join(available) or 'none'}",
                )
            )
        chosen = {i: available[i] for i in ids}
    else:
        chosen = available
    sources = load_sources(sources_dir)
    if not chosen:
        raise KgError(Problem(str(drafts_dir), "no drafts to accept", hint=_nothing_hint(project)))
    vocab_graph = load_vocabulary(project.vocab)
    vocab = vocabulary_ids(vocab_graph)
    problems: list[Problem] = []
    drafted_sources: dict[str, Path] = {}
    texts = {sid: s.text for sid, s in sources.items()}
    batches = {sid: s.batch.id if s.batch else "" for sid, s in sources.items()}
    further = {b.id for s in sources.values() for b in s.batches}
    failed: set[str] = set()  # sources whose drafted metadata is refused: said once
    for path in chosen.values():
        data = load_yaml(path)
        sid = data.get("source") if isinstance(data, dict) else None
        meta = path.parent / f"{sid}{SOURCE_DRAFT}"
        if not meta.is_file() and isinstance(data, dict):
            others = [
                o.get("source") for o in data.get("other_sources") or [] if isinstance(o, dict)
            ]
            sid = next((o for o in others if o not in batches), sid)
            meta = path.parent / f"{sid}{SOURCE_DRAFT}"
        if not isinstance(sid, str) or sid in batches or sid in drafted_sources or sid in failed:
            continue
        if not meta.is_file():
            continue
        failed.add(sid)
        todo = placeholders_in(load_yaml(meta))
        if todo:
            problems.append(
                Problem(
                    str(meta),
                    f"the source's metadata still has placeholders: {', '.join(todo)}",
                    hint=f"replace every {PLACEHOLDER} in {meta.name}, then accept again",
                )
            )
            continue
        if not (sources_dir / f"{sid}.txt").is_file():
            problems.append(
                Problem(
                    str(meta),
                    f"the source text data/sources/{sid}.txt is missing",
                    hint="kg ingest was stopped before it wrote it: run it on the notice again",
                )
            )
            continue
        try:
            source = _load_draft_source(meta, sources_dir)
        except KgError as exc:
            problems += exc.problems
            continue
        failed.discard(sid)
        drafted_sources[sid] = meta
        texts[sid] = source.text
        batches[sid] = source.batch.id if source.batch else ""
        further |= {b.id for b in source.batches}
    known = KnownIds.of(
        batches,
        vocab,
        Gazetteer(project.places).keys(),
        replacements(vocab_graph, str(MECH)),
        frozenset(further),
    )
    rendered: list[tuple[Path, bytes]] = []
    for case_id, path in chosen.items():
        data = load_yaml(path)
        source_refused = isinstance(data, dict) and (
            data.get("source") in failed
            or any(
                isinstance(o, dict) and o.get("source") in failed
                for o in data.get("other_sources") or []
            )
        )
        merge = _merge_target(path, case_id)
        for existing in (cases_dir / f"{case_id}.yaml", cases_dir / f"{case_id}.yml"):
            if existing.exists() and merge and source_refused:
                break
            if existing.exists() and merge:
                try:
                    draft_case, curated = load_case(path, known), load_case(existing, known)
                except KgError as exc:
                    problems += exc.problems
                    break
                if why := check_merge(draft_case, curated):
                    problems.append(Problem(str(path), f"merge proposal refused: {why}"))
                    break
                problems += _quote_problems(path, draft_case, texts)
                rendered.append((existing, render_case(draft_case).encode("utf-8")))
                break
            if existing.exists():
                problems.append(
                    Problem(
                        str(path),
                        f"a curated record {existing} already exists; accept never overwrites it",
                        hint="merge what the draft adds into the curated record by hand, "
                        "then delete the draft",
                    )
                )
                break
        else:
            data = load_yaml(path)
            todo = placeholders_in(data)
            if todo:
                problems.append(
                    Problem(
                        str(path),
                        f"unfilled placeholders: {', '.join(todo)}",
                        hint=f"replace every {PLACEHOLDER} in the draft (its `# fill:` comments "
                        "say with what)",
                    )
                )
                continue
            if source_refused:
                continue  # its source's metadata is refused above, once
            try:
                case = load_case(path, known)
            except KgError as exc:
                problems += exc.problems
                continue
            problems += _quote_problems(path, case, texts)
            rendered.append((cases_dir / f"{case_id}.yaml", render_case(case).encode("utf-8")))
    if problems:
        raise KgError(problems)
    written = []
    for sid, meta in sorted(drafted_sources.items()):
        target = sources_dir / f"{sid}.yaml"
        atomic_write_bytes(target, render(load_yaml(meta)).encode("utf-8"))
        written.append(target)
    atomic_write_many(rendered)
    written += [p for p, _ in rendered]
    for case_id, path in chosen.items():
        path.unlink()
        path.with_name(case_id + DRAFT_META).unlink(missing_ok=True)
    _tidy({p.parent for p in chosen.values()}, set(drafted_sources))
    return written


def _merge_target(path: Path, case_id: str) -> bool:
    """Whether the draft at `path` is a merge proposal for the curated record `case_id`."""
    meta = path.with_name(case_id + DRAFT_META)
    data = load_yaml(meta) if meta.is_file() else None
    return isinstance(data, dict) and data.get("merge_into") == case_id


def _quote_problems(path: Path, case: Case, texts: dict[str, str]) -> list[Problem]:
    """The first quote of each source that does not match that source's text."""
    out = []
    for sid, spans in case.spans_by_source().items():
        text = texts.get(sid, "")
        for span in spans:
            if text[span.start : span.end] != span.quote:
                out.append(
                    Problem(
                        str(path),
                        f"quote does not match the source {sid} at [{span.start}, {span.end}): "
                        f"{span.quote[:30]!r}",
                        span.field,
                        span.line,
                        "copy the quote and offsets from the source text again",
                    )
                )
                break
    return out


def _tidy(folders: set[Path], accepted_sources: set[str]) -> None:
    """Forget accepted files in the manifests; remove folders with nothing left."""
    for folder in sorted(folders):
        for sid in accepted_sources:
            (folder / f"{sid}{SOURCE_DRAFT}").unlink(missing_ok=True)
        manifest = folder / MANIFEST
        left = [p for p in folder.iterdir() if p.name != MANIFEST]
        if not left:
            manifest.unlink(missing_ok=True)
            folder.rmdir()
        elif manifest.is_file():
            data = load_yaml(manifest)
            files = data.get("files", {}) if isinstance(data, dict) else {}
            kept = {str(k): str(v) for k, v in files.items() if (folder / str(k)).exists()}
            atomic_write_bytes(manifest, manifest_bytes(kept))


# -- Status --

_TODO_LINE = re.compile(rf"^\s*(?:- )?(?P<key>[\w.\[\]]+)?:?\s*{PLACEHOLDER}(?:\s|$)")


def draft_status(root: Path, drafts_dir: Path | None = None) -> list[str]:
    """Every placeholder still left in the drafts, once each, as `file:line: text` (the
    line to edit, with its `# fill:` comment); read from the files as they are now, so a
    placeholder the curator has filled is gone."""
    drafts_dir = drafts_dir or Project(root).drafts
    out = []
    for path in sorted(drafts_dir.glob("*/*.yaml")) if drafts_dir.is_dir() else []:
        if path.name.endswith(DRAFT_META) or path.name == MANIFEST:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _TODO_LINE.match(line):
                out.append(f"{path}:{number}: {line.strip()}")
    return out
