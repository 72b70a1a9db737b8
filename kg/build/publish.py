"""Writing a build: kg.ttl and kg.trig switch as one, or nothing changes."""

from __future__ import annotations

import errno
import warnings
from pathlib import Path

from kg.build.dataset import Build, StreamedBuild, output_files
from kg.build.generations import publish_generation, supports_symlinks
from kg.core.errors import KgError, Problem
from kg.core.textio import atomic_write_many


def write_build(
    result: Build | StreamedBuild, out: Path, files: list[tuple[Path, bytes]] | None = None
) -> list[Path]:
    """Write every output file so that they switch as one; on any failure, none changes.

    OUT/kg.ttl and OUT/kg.trig are links into the current generation folder (see
    `kg.build.generations.publish_generation`). Where the file system has no symbolic links, they
    are written as regular files, replaced one after the other (each whole), with a
    warning.
    """
    if files is None:  # else rendered ahead (`kg run` does it while SHACL runs)
        files = output_files(result, out)
    assert all(path.parent == out for path, _ in files)
    try:
        if supports_symlinks(out):
            publish_generation(out, [(path.name, data) for path, data in files])
        else:
            warnings.warn(
                f"{out}: no symbolic links on this file system, so the output files are "
                "replaced one after the other: a killed build can leave them from two builds",
                stacklevel=2,
            )
            atomic_write_many(files)
    except OSError as exc:
        in_the_way = exc.errno == errno.EISDIR
        raise KgError(
            Problem(
                exc.filename if in_the_way and exc.filename else str(out),
                f"cannot write the build output: {exc.strerror or exc}",
                hint="move that folder out of the way"
                if in_the_way
                else "check that the folder is writable",
            )
        ) from None
    return [p for p, _ in files]
