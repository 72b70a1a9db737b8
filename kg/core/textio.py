"""Strict reading and atomic writing of files.

Reads decode UTF-8 strictly with no newline translation, so character offsets into a
source stay valid. Writes go to a temporary file in the same folder and are renamed
into place, so a failed run never leaves a half-written file where a good one was.
For a set of files that must change together (the output of `kg build`), see
`kg.build.generations`.
"""

from __future__ import annotations

import errno
import glob
import os
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

from kg.core.errors import KgError, Problem


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


def current_umask() -> int:
    """The process's file mode creation mask (read without changing it where Linux allows)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


_UMASK_LOCK = threading.Lock()


def _write_temp(path: Path, data: bytes) -> str:
    """`data` in a new temporary sibling of `path` (named after it and this process).

    mkstemp creates the file 0600; it gets the mode a plain `open` would give it
    (0666 less the umask), so that renamed into place it reads like any other file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o666 & ~current_umask())
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def _sweep(path: Path) -> None:
    """Delete temporaries of `path` left by a process that was killed while writing it."""
    prefix = f".{path.name}."
    for stale in path.parent.glob(f"{glob.escape(prefix)}*.tmp"):
        pid = stale.name[len(prefix) :].split(".", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:  # its writer is gone
            stale.unlink(missing_ok=True)
        except OSError:
            pass


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary sibling and an atomic rename."""
    atomic_write_many([(path, data)])


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_many(files: Iterable[tuple[Path, bytes]]) -> None:
    """Write several files only after every one of them has been produced.

    Every file is first written in full to a temporary sibling; only when all of them
    are on disk are they renamed into place, one after the other. A failure before
    that point (a full disk, a folder where a file should be) replaces nothing.
    """
    files = list(files)
    staged: list[tuple[str, Path]] = []
    try:
        for path, data in files:
            if path.is_dir():
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
            staged.append((_write_temp(path, data), path))
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise
    for _, path in staged:
        _sweep(path)
