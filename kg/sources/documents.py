"""Raw sources: immutable texts with a metadata record each (`data/sources/ID.yaml`).

A source is a notice, a news item, a commentary or a repost. Its `batch` is the batch the
whole text is about (absent when it names cases of several batches, as a commentary
does); `batches` defines the further batches its cases belong to. Every definition of one
batch id, in whichever source, must agree: one batch has one label.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from kg.core.errors import KgError, Problem
from kg.core.fields import Fields
from kg.core.textio import read_utf8
from kg.core.yamlstrict import load_yaml

#: What kind of text a source is (`genre:` in its metadata; `kg ingest` detects it).
GENRES = ("notice", "list-news", "single-case-news", "commentary", "repost")
_URL = re.compile(r"https?://[^\s<>\"{}|\\^`]+")


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
    """A source document: its metadata and its exact text (offsets index into `text`).

    Optional text fields are "" when absent; `batch` is None for a text about several
    batches, whose cases then name theirs (defined in `batches`).
    """

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
    batch: Batch | None
    text: str
    url: str = ""
    genre: str = ""
    original_publisher: str = ""
    batches: tuple[Batch, ...] = ()

    def defined_batches(self) -> list[Batch]:
        """The batch of the whole text (if any) and the further batches, in file order."""
        return ([self.batch] if self.batch else []) + list(self.batches)


def _batch(b: Fields) -> Batch:
    batch = Batch(
        id=b.slug("id"),
        ordinal=b.integer("ordinal", minimum=1),
        year=b.integer("year", minimum=1949),
        province=b.text("province"),
        label=b.text("label"),
        label_en=b.text("label_en", ""),
    )
    b.done()
    return batch


def _optional_text(f: Fields, key: str) -> str:
    return f.text(key) if f.has(key) else f.get(key, "")


def load_source(meta_path: Path) -> Source:
    """Read one metadata record and the text it names; check the text's checksum."""
    f = Fields(load_yaml(meta_path), str(meta_path))
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
    url = _optional_text(f, "url")
    if url and not _URL.fullmatch(url):
        f.fail("url", f"{url!r} is not a web address", "write it as https://... or http://...")
    batches = tuple(_batch(b) for b in f.items("batches", required=False))
    source = Source(
        id=f.slug("id"),
        path=text_path,
        meta_path=meta_path,
        sha256=digest,
        title=f.text("title"),
        title_en=f.text("title_en"),
        publisher=f.text("publisher"),
        publisher_en=f.text("publisher_en", ""),
        date=f.date("date") if f.has("date") else f.get("date", ""),
        notice_title=_optional_text(f, "notice_title"),
        issuing_body=_optional_text(f, "issuing_body"),
        issuing_body_en=f.text("issuing_body_en", ""),
        batch=_batch(f.sub("batch")) if f.has("batch") else f.get("batch", None),
        text=read_utf8(text_path),
        url=url,
        genre=f.choice("genre", GENRES, ""),
        original_publisher=_optional_text(f, "original_publisher"),
        batches=batches,
    )
    f.done()
    if source.id != meta_path.stem:
        f.fail(
            "id",
            f"id {source.id!r} differs from the file name {meta_path.stem!r}",
            "rename the file or the id so that they match",
        )
    return source


def load_sources(folder: Path) -> dict[str, Source]:
    """Every source record in `folder`, by id, in a stable order; a `KgError` when two
    sources define one batch differently."""
    sources = {s.id: s for s in (load_source(p) for p in sorted(folder.glob("*.yaml")))}
    check_batches(sources.values())
    return sources


def check_batches(sources) -> dict[str, Batch]:
    """Batch id -> its one definition; a `KgError` naming both files when two disagree."""
    seen: dict[str, tuple[Batch, Source]] = {}
    problems = []
    for source in sources:
        for batch in source.defined_batches():
            first = seen.setdefault(batch.id, (batch, source))
            if first[0] == batch:
                continue
            old = first[0]
            differ = [
                f"{k}: {getattr(old, k)!r} vs {getattr(batch, k)!r}"
                for k in ("ordinal", "year", "province", "label", "label_en")
                if getattr(old, k) != getattr(batch, k)
            ]
            problems.append(
                Problem(
                    str(source.meta_path),
                    f"batch {batch.id!r} is defined differently in {first[1].meta_path.name} "
                    f"({'; '.join(differ)})",
                    "batch",
                    hint="one batch has one definition: copy it from the first file",
                )
            )
    if problems:
        raise KgError(problems)
    return {bid: b for bid, (b, _) in seen.items()}
