"""Strict reading and atomic writing of files.

Reads decode UTF-8 strictly with no newline translation, so character offsets into a
source stay valid. Writes go to a temporary file in the same folder and are renamed
into place, so a failed run never leaves a half-written file where a good one was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from kg.errors import KgError, Problem


def read_utf8(path: Path) -> str:
    """The exact text of `path`; a clear error if it is missing or not UTF-8."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KgError(Problem(str(path), "file not found")) from None
    except IsADirectoryError:
        raise KgError(Problem(str(path), "is a directory, expected a file")) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise KgError(
            Problem(
                str(path),
                f"not valid UTF-8 (byte {exc.start}: {data[exc.start : exc.start + 4]!r})",
                line=line,
                hint="re-save the file as UTF-8, e.g. `iconv -f GBK -t UTF-8 IN > OUT`",
            )
        ) from None


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary sibling and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_many(files: Iterable[tuple[Path, bytes]]) -> None:
    """Write several files only after every one of them has been produced.

    The caller passes fully rendered contents, so nothing is replaced unless all
    outputs exist; each file is then swapped in atomically.
    """
    for path, data in list(files):
        atomic_write_bytes(path, data)
