"""What a build keeps beside its graph, read without loading the graph or rdflib.

`kg build` writes the analytic index (`kg.query.index`) and the cross-case report
(`kg.analysis.report`) as packed files: a magic line, one JSON line saying where each
part starts, then the parts. This module reads them with the standard library only, so
that `kg query --name NAME` can print a kept answer before anything heavy is imported:
a seed aggregate is then a file copy (rdflib alone takes 0.1-0.15 s to import).
"""

from __future__ import annotations

import errno
import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path

from kg.core.errors import KgError, Problem
from kg.core.formats import RESULTS, get

#: The formats a SELECT is streamed in, row by row, where the store can (Oxigraph).
STREAMED = ("csv", "tsv", "json")
INDEX_DIR = ".kg-index"
INDEX_MAGIC = b"renda-kg analytic index 1\n"


def index_path(trig: Path) -> Path | None:
    """Where the index of a built kg.trig lives, if `trig` is one (it resolves into a
    generation folder `OUT/.kg-generations/<digest>/`), else None."""
    real = Path(os.path.realpath(trig))
    gen = real.parent
    if gen.parent.name != ".kg-generations":
        return None
    return gen.parent.parent / INDEX_DIR / f"{gen.name}.index"


def pack(magic: bytes, parts: dict[str, bytes], **meta: object) -> bytes:
    """`magic`, one JSON line (where each part starts and how long it is, and `meta`),
    then the parts: the file format of the index and of what else a build keeps beside
    it (`kg.analysis.report`), read back by `Packed`."""
    head, offset = {}, 0
    for name, data in parts.items():
        head[name] = [offset, len(data)]
        offset += len(data)
    header = json.dumps({"tables": head, **meta}, sort_keys=True).encode("utf-8") + b"\n"
    return magic + header + b"".join(parts.values())


@dataclass
class Packed:
    """A file written by `pack`; each part is read from the file when asked."""

    path: Path
    base: int  # where the parts start
    tables: dict[str, tuple[int, int]]
    meta: dict

    @classmethod
    def open(cls, path: Path, magic: bytes):
        """The file at `path`, or None if there is none or it is not whole."""
        try:
            with open(path, "rb") as handle:
                found = handle.read(len(magic))
                header = handle.readline(1 << 20)
                base = handle.tell()
        except OSError:
            return None
        if found != magic or not header.endswith(b"\n"):
            return None
        try:
            meta = json.loads(header)
            tables = {name: (int(a), int(b)) for name, (a, b) in meta.pop("tables").items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        return cls(path, base, tables, meta)

    def part(self, name: str) -> bytes:
        start, length = self.tables[name]
        with open(self.path, "rb") as handle:
            handle.seek(self.base + start)
            data = handle.read(length)
        if len(data) != length:  # cut short since it was opened: not this build's
            raise KgError(Problem(str(self.path), "the file kept beside the build is incomplete"))
        return data

    def copy_part(self, part: str, fd: int) -> None:
        """Copy a kept part (`csv:NAME`, `text:NAME`) to a file descriptor, file to file
        in the kernel."""
        start, length = self.tables[part]
        offset, end = self.base + start, self.base + start + length
        with open(self.path, "rb") as handle:
            try:
                while offset < end and (
                    sent := os.sendfile(fd, handle.fileno(), offset, end - offset)
                ):
                    offset += sent
            except OSError as exc:  # a descriptor sendfile cannot write to: copy through here
                if exc.errno not in (errno.EINVAL, errno.ENOSYS):
                    raise
                handle.seek(offset)
                while offset < end and (chunk := handle.read(min(1 << 20, end - offset))):
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(fd, view) :]
                    offset += len(chunk)
        if offset != end:  # cut short since it was opened: not this build's
            raise KgError(Problem(str(self.path), "the file kept beside the build is incomplete"))


@dataclass
class KeptIndex(Packed):
    """The analytic index of one build, as far as it is read without the graph: which
    answers it keeps and their bytes (`kg.query.index.AnalyticIndex` adds the rest)."""

    @classmethod
    def open(cls, trig: Path):  # type: ignore[override]
        """The index of the build `trig` belongs to, or None (none, or unreadable)."""
        path = index_path(trig)
        return None if path is None else super().open(path, INDEX_MAGIC)

    def has(self, name: str, params: dict[str, str] | None = None) -> bool:
        """Whether the index holds this query's answer for `params` (strings, as given
        on the command line): only the defaults' answer is kept."""
        return name in self.tables and defaults(name, params)

    def has_csv(self, name: str, params: dict[str, str] | None = None) -> bool:
        """Whether the index keeps this long table as CSV (`KEPT_CSV`) for `params`."""
        return f"csv:{name}" in self.tables and defaults(name, params)

    def has_text(self, name: str, params: dict[str, str] | None = None) -> bool:
        """Whether the index keeps the text table of this aggregate for `params`."""
        return f"text:{name}" in self.tables and defaults(name, params)

    def writer(self, name: str, params: dict[str, str], fmt: str | None):
        """What writes to a file descriptor exactly what `kg query --name NAME [--format
        FMT]` prints for `params`, from what the build kept: the text table or a long
        table's CSV as kept, an aggregate in a W3C format by pyoxigraph; else None."""
        if fmt in (None, "table") and self.has_text(name, params):
            return functools.partial(self.copy_part, f"text:{name}")
        if fmt == "csv" and self.has_csv(name, params):
            return functools.partial(self.copy_part, f"csv:{name}")
        if fmt in STREAMED and self.has(name, params):
            return functools.partial(self.write, name, get(RESULTS, fmt).oxigraph)
        return None

    def solutions(self, name: str):
        import pyoxigraph as ox

        return ox.parse_query_results(self.part(name), format=ox.QueryResultsFormat.TSV)

    def write(self, name: str, fmt: str, fd: int) -> None:
        """Write the answer to a file descriptor in a W3C format (pyoxigraph's name)."""
        import pyoxigraph as ox

        with os.fdopen(os.dup(fd), "wb", buffering=1 << 16) as out:
            self.solutions(name).serialize(out, format=getattr(ox.QueryResultsFormat, fmt))


def defaults(name: str, params: dict[str, str] | None) -> bool:
    """Whether `params` (strings, as on the command line) are the query's defaults."""
    from kg.query.library import named_query

    declared = {p.name: p.default for p in named_query(name).params}
    return all(k in declared and str(v) == declared[k] for k, v in (params or {}).items())


def copy_to(stream, write) -> bool:
    """Call `write(fd)` with the descriptor of `stream` (standard output by default),
    both flushed first; False (nothing written) if `stream` has none (a test's buffer)."""
    import sys

    stream = sys.stdout.buffer if stream is None else stream
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    sys.stdout.flush()
    stream.flush()
    write(fd)
    return True
