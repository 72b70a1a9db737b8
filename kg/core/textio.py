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
import stat
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

from kg.core.errors import KgError, Problem

#: The largest input file read whole (bytes): far above any notice, record or vocabulary.
MAX_INPUT = 512 * 1024**2
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
)


def _mib(size: int) -> str:
    return f"{size / 1024**2:.1f} MiB"


def check_input(path: Path, *, limit: int | None = MAX_INPUT) -> int:
    """The size of `path`, or a `KgError` if it is missing, not a regular file (a device
    behind a symbolic link would be read forever) or larger than `limit` bytes."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise KgError(Problem(str(path), "file not found")) from None
    except OSError as exc:
        raise KgError(Problem(str(path), f"cannot read: {exc.strerror or exc}")) from None
    kind = next((name for test, name in _KINDS if test(info.st_mode)), None)
    if kind == "a directory":
        raise KgError(Problem(str(path), "is a directory, expected a file"))
    if kind is not None or not stat.S_ISREG(info.st_mode):
        raise KgError(
            Problem(
                str(path),
                f"is {kind or 'not a regular file'}, not a file that can be read whole",
                hint="give the path of a regular file",
            )
        )
    if limit is not None and info.st_size > limit:
        raise KgError(
            Problem(
                str(path),
                f"is {_mib(info.st_size)}; inputs over {_mib(limit)} are refused",
                hint="split the input, or check that this is the file you meant",
            )
        )
    return info.st_size


def read_bytes(path: Path, *, limit: int | None = MAX_INPUT) -> bytes:
    """The bytes of a regular file of at most `limit` bytes, capped while reading too."""
    check_input(path, limit=limit)
    try:
        # O_NONBLOCK: a file swapped for a named pipe after the check must not block
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise KgError(Problem(str(path), f"cannot read: {exc.strerror or exc}")) from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise KgError(Problem(str(path), "is not a regular file"))
        data = handle.read() if limit is None else handle.read(limit + 1)
    if limit is not None and len(data) > limit:
        raise KgError(Problem(str(path), f"grew over {_mib(limit)} while it was read"))
    return data


def read_utf8(path: Path, *, limit: int | None = MAX_INPUT) -> str:
    """The exact text of `path`; a clear error if it is missing, too large or not UTF-8."""
    data = read_bytes(path, limit=limit)
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


def sweep_temporaries(path: Path) -> None:
    """Delete temporaries of `path` left by a process that was killed while writing it
    (a run that finds the file already up to date writes nothing, and sweeps with this)."""
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


def _is_stream(path: Path) -> bool:
    """Whether `path` is a character device or a named pipe (written through, since a
    rename would replace /dev/stdout or a FIFO with a file); other special files and
    folders are refused with the error a write would give."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return True
    if not stat.S_ISREG(mode):
        raise OSError(errno.EINVAL, "not a regular file, device or pipe", str(path))
    return False


def _write_through(path: Path, data: bytes) -> None:
    with open(path, "wb", buffering=0) as handle:  # no O_CREAT effect: it exists
        view = memoryview(data)
        while view:
            view = view[handle.write(view) :]


def atomic_write_many(files: Iterable[tuple[Path, bytes]]) -> None:
    """Write several files only after every one of them has been produced.

    Every file is first written in full to a temporary sibling; only when all of them
    are on disk are they renamed into place, one after the other. A failure before
    that point (a full disk, a folder where a file should be) replaces nothing. A
    target that is a terminal, /dev/null or a named pipe is written to directly.
    """
    files = list(files)
    staged: list[tuple[str, Path]] = []
    streams: list[tuple[Path, bytes]] = []
    try:
        for path, data in files:
            if _is_stream(path):
                streams.append((path, data))
            else:
                staged.append((_write_temp(path, data), path))
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise
    for _, path in staged:
        sweep_temporaries(path)
    for path, data in streams:
        _write_through(path, data)
