"""Raw sources: immutable texts with a metadata record each (`data/sources/ID.yaml`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from kg.core.errors import KgError, Problem
from kg.core.fields import Fields
from kg.core.textio import read_utf8
from kg.core.yamlstrict import load_yaml


@dataclass(frozen=True)
class Batch:
    id: str
    ordinal: int
    year: int
    province: str
    label: str
    label_en: str


@dataclass(frozen=True)
class Source:
    """A source document: its metadata and its exact text (offsets index into `text`)."""

    id: str
    path: Path
    meta_path: Path
    sha256: str
    title: str
    title_en: str
    publisher: str
    publisher_en: str
    date: str
    notice_title: str
    issuing_body: str
    issuing_body_en: str
    batch: Batch
    text: str


def load_source(meta_path: Path) -> Source:
    """Read one metadata record and the text it names; check the text's checksum."""
    f = Fields(load_yaml(meta_path), str(meta_path))
    b = f.sub("batch")
    name = f.text("file")
    if Path(name).name != name or name in (".", ".."):  # no path: the text sits beside it
        f.fail("file", f"{name!r} is not a file name in {meta_path.parent}", "give the name only")
    text_path = meta_path.parent / name
    raw = text_path.read_bytes() if text_path.is_file() else None
    if raw is None:
        raise KgError(Problem(str(meta_path), f"text file {text_path.name} not found", "file"))
    digest = hashlib.sha256(raw).hexdigest()
    expected = f.text("sha256")
    if digest != expected:
        f.fail(
            "sha256",
            f"checksum of {text_path.name} is {digest}, the record says {expected}",
            "raw sources are immutable: restore the original text, or add the new text "
            "as a new source with its own record",
        )
    source = Source(
        id=f.slug("id"),
        path=text_path,
        meta_path=meta_path,
        sha256=digest,
        title=f.text("title"),
        title_en=f.text("title_en"),
        publisher=f.text("publisher"),
        publisher_en=f.text("publisher_en", ""),
        date=f.date("date"),
        notice_title=f.text("notice_title"),
        issuing_body=f.text("issuing_body"),
        issuing_body_en=f.text("issuing_body_en", ""),
        batch=Batch(
            id=b.slug("id"),
            ordinal=b.integer("ordinal", minimum=1),
            year=b.integer("year", minimum=1949),
            province=b.text("province"),
            label=b.text("label"),
            label_en=b.text("label_en", ""),
        ),
        text=read_utf8(text_path),
    )
    f.done()
    b.done()
    if source.id != meta_path.stem:
        f.fail(
            "id",
            f"id {source.id!r} differs from the file name {meta_path.stem!r}",
            "rename the file or the id so that they match",
        )
    return source


def load_sources(folder: Path) -> dict[str, Source]:
    """Every source record in `folder`, by id, in a stable order."""
    return {s.id: s for s in (load_source(p) for p in sorted(folder.glob("*.yaml")))}
