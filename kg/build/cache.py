"""A content-hash cache for the outputs of `kg run`: what did not change is not rebuilt.

Each step of a run (the graph files, the views, the figures, the docs, the site) has a
key: a digest of everything its bytes can depend on (the package's own files, the
versions of the libraries that write them, the step's inputs and options). The manifest
`OUT/.kg-run.json` remembers, per step, the key it was made with and the files it wrote
(size and modification time). A step whose key is the same and whose files are all
still there, untouched, is skipped; any doubt (no manifest, an unreadable one, a file
touched or removed, another version of a library) rebuilds it. Since every output is a
deterministic function of its key's inputs, a skipped step leaves exactly the bytes a
clean build would write (tests/integration/test_run_cache.py compares them).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kg.core.textio import atomic_write_text

MANIFEST = ".kg-run.json"
_FORMAT = 1


def digest(*parts: str | bytes) -> str:
    """A short hex digest of `parts` (each length-prefixed, so ("ab", "c") != ("a", "bc"))."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()[:32]


def _visible_files(folder: Path) -> list[Path]:
    if folder.is_file():
        return [folder]
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def stat_digest(folders: Iterable[Path], *, base: Path) -> str:
    """A digest of the names (relative to `base`), sizes and modification times of every
    file under `folders` (compiled Python and dot-files left out), as make and git judge
    a tree: any write changes it, and a touched file only costs a rebuild that gives
    the same bytes again. Reading every byte would cost more than a run that skips."""
    h = hashlib.sha256()
    for folder in folders:
        for path in _visible_files(folder):
            st = path.stat()
            h.update(
                f"{path.relative_to(base).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode()
            )
    return h.hexdigest()[:32]


def _installed() -> list[str]:
    """The installed distributions with their versions (`name-1.2.dist-info` folder names
    on the import path): a new version of any library that writes an output changes this,
    read with one directory listing per path entry."""
    found = []
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        found += [n for n in names if n.endswith((".dist-info", ".egg-info"))]
    return sorted(found)


_CODE: str | None = None
_SOURCE: str | None = None


def code_digest() -> str:
    """The package's own files (code, queries, templates, data), Python's version and the
    installed libraries' versions: a change to any of them rebuilds every output."""
    global _CODE
    if _CODE is None:
        package = Path(__file__).resolve().parents[1]
        _CODE = digest(
            stat_digest([package], base=package.parent), sys.version, "\n".join(_installed())
        )
    return _CODE


def source_digest() -> str:
    """The bytes of the package's own files, and the versions of the libraries that shape
    an analysis: the stamp of an output kept with the build (`kg.analysis.report`). Not
    `code_digest`, whose dates and import path would make two builds of one graph differ;
    reading the 2 MB costs 10 ms."""
    global _SOURCE
    if _SOURCE is None:
        from importlib.metadata import version

        package = Path(__file__).resolve().parents[1]
        h = hashlib.sha256()
        for path in _visible_files(package):
            h.update(path.relative_to(package.parent).as_posix().encode() + b"\0")
            h.update(path.read_bytes() + b"\0")
        for name in ("networkx", "numpy", "pyoxigraph", "rdflib"):
            h.update(f"{name}=={version(name)}\0".encode())
        _SOURCE = h.hexdigest()[:32]
    return _SOURCE


def inputs_key(root: Path, inputs: Iterable[Path]) -> str:
    """The key of the graph step: the code and the project's inputs (data/, ontology/)."""
    return digest("graph", code_digest(), stat_digest(inputs, base=root))


@dataclass(frozen=True)
class Stamp:
    """A written file as the manifest remembers it: cheap to check, and any write to
    the file (even of the same bytes) changes it."""

    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> Stamp:
        st = path.stat()
        return cls(st.st_size, st.st_mtime_ns)


def files_under(path: Path) -> list[Path]:
    """The files a step wrote: `path` itself, or every file below it (through links)."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        return []
    return sorted(p for p in path.rglob("*") if p.is_file())


@dataclass
class Manifest:
    """What the last run made, step by step: the key and the files with their stamps."""

    path: Path
    steps: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def read(cls, out: Path) -> Manifest:
        path = out / MANIFEST
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls(path)
        if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
            return cls(path)
        steps = doc.get("steps")
        return cls(path, steps if isinstance(steps, dict) else {})

    def fresh(self, step: str, key: str) -> bool:
        """Whether `step` was made with `key` and its files are all as it left them."""
        entry = self.steps.get(step)
        if not isinstance(entry, dict) or entry.get("key") != key:
            return False
        files = entry.get("files")
        if not isinstance(files, dict) or not files:
            return False
        base = self.path.parent
        for name, stamp in files.items():
            try:
                if Stamp.of(base / name) != Stamp(*stamp):
                    return False
            except (OSError, TypeError):
                return False
        return True

    def value(self, step: str, name: str) -> str | None:
        """A value a step recorded beside its files (e.g. the digest of the graph)."""
        entry = self.steps.get(step)
        found = entry.get(name) if isinstance(entry, dict) else None
        return found if isinstance(found, str) else None

    def record(self, step: str, key: str, outputs: Iterable[Path], **values: str) -> None:
        """Remember that `step` made `outputs` (files or folders) with `key`."""
        base = self.path.parent
        files = {}
        for output in outputs:
            for path in files_under(output):
                stamp = Stamp.of(path)
                files[os.path.relpath(path, base)] = [stamp.size, stamp.mtime_ns]
        self.steps[step] = {"key": key, "files": dict(sorted(files.items())), **values}

    def up_to_date(self, key: str) -> bool:
        """Whether the last run finished with this inputs key and every step it made is
        fresh: then a run has nothing to do (checked before the graph code is imported)."""
        entry = self.steps.get("run")
        if not isinstance(entry, dict) or entry.get("key") != key:
            return False
        made = [name for name in self.steps if name != "run"]
        return bool(made) and all(
            self.fresh(name, self.steps[name].get("key", "")) for name in made
        )

    def finish(self, key: str) -> None:
        """Mark a run as finished with this inputs key (see `up_to_date`)."""
        self.steps["run"] = {"key": key}

    def forget(self, step: str) -> None:
        self.steps.pop(step, None)

    def write(self) -> None:
        doc = {"format": _FORMAT, "steps": dict(sorted(self.steps.items()))}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, json.dumps(doc, indent=1, sort_keys=True) + "\n")


def fresh_run(root: Path, out: Path) -> list[str] | None:
    """The steps of the last run into `out` if a run now would change nothing (same code,
    same inputs, every output untouched), else None. Cheap: stats and one small file."""
    from kg.core.layout import Project

    manifest = Manifest.read(out)
    if not manifest.up_to_date(inputs_key(root, Project(root, out).inputs())):
        return None
    return [name for name in manifest.steps if name != "run"]
