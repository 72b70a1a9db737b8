"""The main job as functions: load inputs, build, validate, write. The CLI calls these."""

from __future__ import annotations

from pathlib import Path

from kg.build import Build, build, load_inputs, output_files
from kg.errors import KgError, Problem
from kg.textio import atomic_write_many
from kg.validate import Report, validate


def build_project(root: Path, *, check: bool = True) -> tuple[Build, Report | None]:
    """Build the dataset from `root`; validate it unless `check` is False."""
    result = build(load_inputs(root))
    return result, validate(result) if check else None


def write_build(result: Build, out: Path) -> list[Path]:
    """Write every output file atomically; on any failure, earlier outputs stay in place."""
    files = output_files(result, out)
    try:
        atomic_write_many(files)
    except OSError as exc:
        raise KgError(
            Problem(
                str(out),
                f"cannot write the build output: {exc.strerror}",
                hint="check that the folder is writable",
            )
        ) from None
    return [p for p, _ in files]
