"""A set of files that switches as one: the output folder of `kg build`.

kg.ttl and kg.trig must always come from the same build. Each run writes its files
into a new generation folder and one atomic rename of a symbolic link switches
readers over; the stable paths are relative links through it. See `publish_generation`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

GENERATIONS = ".kg-generations"
CURRENT = ".kg-current"
_NO_SYMLINKS = {errno.EPERM, errno.ENOSYS, errno.EOPNOTSUPP, getattr(errno, "ENOTSUP", -1)}
_NO_DIR_FSYNC = {errno.EINVAL, errno.EBADF, errno.EOPNOTSUPP, getattr(errno, "ENOTSUP", -1)}


def supports_symlinks(folder: Path) -> bool:
    """Whether `folder` (created if missing) can hold symbolic links."""
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / temp_name(CURRENT)
    try:
        os.symlink(GENERATIONS, probe, target_is_directory=True)
    except NotImplementedError:
        return False
    except OSError as exc:
        if exc.errno in _NO_SYMLINKS:
            return False
        raise
    probe.unlink()
    return True


def publish_generation(folder: Path, files: Iterable[tuple[str, bytes]]) -> list[Path]:
    """Write `files` (plain names and bytes) into `folder` so that they switch as one.

    The files of each run go into a new generation folder; one atomic rename then
    points `.kg-current` at it, and the stable paths are relative links through it:

        folder/.kg-generations/<digest>/NAME   one run's files, never changed after
        folder/.kg-current -> .kg-generations/<digest>
        folder/NAME -> .kg-current/NAME

    A reader of folder/NAME sees the old set or the new one, never a mix, whenever the
    writer is killed; a failure before the switch (a full disk, a folder where a file
    should be) changes nothing a reader sees. The generation is named by a digest of
    the files, so the same files give the same tree. A folder of an older layout
    (regular files, or a copy made with `cp -rL`) is first adopted as it is: its files
    become the current generation without changing a byte, then the new one is switched
    in. Afterwards other generations and the leftovers of killed runs are removed. If
    the folder already shows exactly these files, nothing is switched (nor migrated):
    only their time stamps are renewed.
    Needs symbolic links (see `supports_symlinks`).
    """
    files = dict(files)
    for name in files:
        if not name or name.startswith(".") or Path(name).name != name:
            raise ValueError(f"not a plain visible file name: {name!r}")
    folder.mkdir(parents=True, exist_ok=True)
    for name in files:
        if (folder / name).is_dir():
            path = str(folder / name)
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    gens = folder / GENERATIONS
    gens.mkdir(exist_ok=True)
    with _locked(gens):
        if _shows(folder, files):  # nothing to switch: only the time stamps are new
            for name in files:
                os.utime(folder / name)
            _tidy(folder, keep=_current_name(folder) or _digest(files), names=list(files))
            return [folder / name for name in files]
        gen, created = _generation(gens, files)
        target = f"{GENERATIONS}/{gen.name}"
        try:
            if not created:  # the same files again: they are as new as this run
                for name in files:
                    os.utime(gen / name)
            _adopt(folder, list(files))
            _point(folder / CURRENT, target, directory=True)  # the switch
        except BaseException:
            if created and not _is_current(gen):
                shutil.rmtree(gen, ignore_errors=True)
            raise
        _tidy(folder, keep=gen.name, names=list(files))
    return [folder / name for name in files]


def temp_name(name: str) -> str:
    """A temporary name for `name`: hidden, with this process's id, ending in .tmp."""
    return f".{name.lstrip('.')}.{os.getpid()}.{os.urandom(4).hex()}.tmp"


def dead_writer(name: str) -> bool:
    """Whether the process that made the temporary `name` (see temp_name) is gone."""
    parts = name.split(".")
    pid = parts[-3] if len(parts) >= 4 and name.endswith(".tmp") else ""
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        pass
    return False


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _NO_DIR_FSYNC:
            raise
    finally:
        os.close(fd)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One publisher at a time in `folder` (where the lock works: flock on the folder)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):  # e.g. NFS without locks: go on unlocked
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _digest(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        data = files[name]
        h.update(f"{name}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()[:16]


def _holds(gen: Path, files: dict[str, bytes]) -> bool:
    """Whether `gen` is a folder holding exactly `files`."""
    if gen.is_symlink() or not gen.is_dir():
        return False
    try:
        if sorted(os.listdir(gen)) != sorted(files):
            return False
        return all((gen / name).read_bytes() == data for name, data in files.items())
    except OSError:
        return False


def _shows(folder: Path, files: dict[str, bytes]) -> bool:
    """Whether the visible files of `folder` are exactly `files`."""
    try:
        return all((folder / name).read_bytes() == data for name, data in files.items())
    except OSError:
        return False


def _current_name(folder: Path) -> str | None:
    """The name of the generation `.kg-current` points at, if it is a link."""
    current = folder / CURRENT
    return os.path.basename(os.readlink(current)) if current.is_symlink() else None


def _is_current(gen: Path) -> bool:
    current = gen.parent.parent / CURRENT
    return gen.is_dir() and current.is_symlink() and current.resolve() == gen.resolve()


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _clone(source: Path, path: Path) -> None:
    """`source` (through links) at `path`: the same file if it can be, else a copy."""
    try:
        os.link(source, path)  # same bytes, same time stamp, nothing copied
    except OSError:
        shutil.copy2(source, path)
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())


def _generation(
    gens: Path, files: dict[str, bytes], sources: dict[str, Path] | None = None
) -> tuple[Path, bool]:
    """A complete generation folder holding `files`, and whether this call made it.

    Written (or, with `sources`, linked) in full into a temporary folder, synced, then
    renamed to its digest name. One that already holds the same files is reused.
    """
    digest = _digest(files)
    gen = gens / digest
    if _holds(gen, files):
        return gen, False
    if _is_current(gen):  # the current build was edited in place: keep it until the switch
        gen = gens / f"{digest}-{os.getpid()}"
    staging = gens / temp_name("generation")
    os.mkdir(staging)
    try:
        for name, data in files.items():
            if sources is None:
                _write_new(staging / name, data)
            else:
                _clone(sources[name], staging / name)
        _fsync_dir(staging)
        if gen.exists() or gen.is_symlink():  # incomplete or changed, and unused: replace it
            _remove(gen)
        os.replace(staging, gen)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _fsync_dir(gens)
    return gen, True


def _point(link: Path, target: str, *, directory: bool = False) -> None:
    """Make `link` a symbolic link to `target` by one atomic rename."""
    tmp = link.with_name(temp_name(link.name))
    os.symlink(target, tmp, target_is_directory=directory)
    try:
        os.replace(tmp, link)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _adopt(folder: Path, names: list[str]) -> None:
    """Turn `folder` into the generation layout without changing what a reader sees.

    Nothing to do once every NAME is a link through `.kg-current`. Otherwise (regular
    files of an older version, a `cp -rL` copy whose `.kg-current` is a real folder,
    links of one's own) what the NAMEs show now becomes a generation, `.kg-current`
    points at it, and each NAME is replaced by its link: every step shows the same bytes.
    """
    current = folder / CURRENT

    def linked(name: str) -> bool:
        path = folder / name
        return path.is_symlink() and os.readlink(path) == f"{CURRENT}/{name}"

    real_folder = current.is_dir() and not current.is_symlink()
    if not real_folder and all(linked(name) for name in names):
        return
    shown = {name: folder / name for name in names if (folder / name).is_file()}
    if real_folder:  # a link cannot replace a folder: move it aside, keeping what is shown
        for path in shown.values():
            if path.is_symlink():
                tmp = path.with_name(temp_name(path.name))
                try:
                    _clone(path, tmp)
                    os.replace(tmp, path)
                except BaseException:
                    tmp.unlink(missing_ok=True)
                    raise
        retired = folder / GENERATIONS / temp_name("retired")
        os.replace(current, retired)
        shutil.rmtree(retired, ignore_errors=True)
    if shown:
        contents = {name: path.read_bytes() for name, path in shown.items()}
        adopted, _ = _generation(folder / GENERATIONS, contents, sources=shown)
        _point(current, f"{GENERATIONS}/{adopted.name}", directory=True)
    for name in names:
        if not linked(name):
            _point(folder / name, f"{CURRENT}/{name}")


def _tidy(folder: Path, *, keep: str, names: list[str]) -> None:
    """After the switch: drop other generations, leftovers of killed runs, stale links.

    Best effort: what cannot be removed now is removed by the next run.
    """
    with contextlib.suppress(OSError):
        _fsync_dir(folder)  # the switch itself is done; this makes it durable
    with contextlib.suppress(OSError):
        for entry in (folder / GENERATIONS).iterdir():
            if entry.name != keep and (not entry.name.startswith(".") or dead_writer(entry.name)):
                _remove(entry)
    ours = tuple(f".{name.lstrip('.')}." for name in [*names, CURRENT])
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            if entry.name.startswith(ours) and dead_writer(entry.name):
                _remove(entry)
            elif (
                entry.name not in names
                and entry.is_symlink()
                and os.readlink(entry) == f"{CURRENT}/{entry.name}"
            ):
                entry.unlink(missing_ok=True)  # a file the build no longer writes


# -- a whole folder that switches as one (the pages of `kg render`, the site) --


def publish_folder(target: Path, files: dict[str, bytes], *, marker: str) -> Path:
    """Write `files` (paths relative to `target`, with subfolders) so that `target`
    shows either the previous set or the new one, never a mix, whenever the writer dies.

    `target` becomes a relative symbolic link to a hidden sibling folder holding one
    complete set (`.NAME-generations/<digest>/`), switched by one rename. A `target`
    that is a real folder written by an older version is replaced only if it holds
    `marker` (a file every set has, e.g. index.html), so a folder of other files is
    never moved away: that is refused. Needs symbolic links (`supports_symlinks`).
    """
    for name in files:
        parts = Path(name).parts
        if not parts or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
            raise ValueError(f"not a plain relative path: {name!r}")
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    gens = parent / f".{target.name}-generations"
    gens.mkdir(exist_ok=True)
    with _locked(gens):
        if target.exists() and not target.is_symlink():
            if not target.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, "a file is in the way", str(target))
            if not (target / marker).is_file():
                raise FileExistsError(
                    errno.EEXIST, "a folder of other files is in the way", str(target)
                )
        digest = _digest(files)
        gen = gens / digest
        if not _holds_tree(gen, files) and target.resolve() == gen.resolve():
            gen = gens / f"{digest}-{os.getpid()}"  # the shown set was edited: keep it shown
        if not _holds_tree(gen, files):
            staging = gens / temp_name("generation")
            os.mkdir(staging)
            try:
                for name, data in sorted(files.items()):
                    path = staging / name
                    path.parent.mkdir(parents=True, exist_ok=True)
                    _write_new(path, data)
                _fsync_dir(staging)
                if gen.exists() or gen.is_symlink():
                    _remove(gen)
                os.replace(staging, gen)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        if target.is_dir() and not target.is_symlink():  # an older layout: retire it
            retired = gens / temp_name("retired")
            os.replace(target, retired)
        _point(target, f"{gens.name}/{gen.name}", directory=True)  # the switch
        with contextlib.suppress(OSError):
            _fsync_dir(parent)
            for entry in gens.iterdir():
                if entry.name != gen.name and (
                    not entry.name.startswith(".")
                    or dead_writer(entry.name)
                    or entry.name.startswith(".retired.")
                ):
                    _remove(entry)
        for entry in parent.iterdir():  # temporary links of killed runs
            if entry.name.startswith(f".{target.name}.") and dead_writer(entry.name):
                _remove(entry)
    return target


def _holds_tree(gen: Path, files: dict[str, bytes]) -> bool:
    """Whether `gen` is a folder holding exactly `files` (relative paths)."""
    if gen.is_symlink() or not gen.is_dir():
        return False
    try:
        found = {p.relative_to(gen).as_posix() for p in gen.rglob("*") if p.is_file()}
        if found != set(files):
            return False
        return all((gen / name).read_bytes() == data for name, data in files.items())
    except OSError:
        return False
