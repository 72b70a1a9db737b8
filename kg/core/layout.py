"""Where a project keeps its inputs and outputs: the one place the folder layout is spelled.

data/sources/   immutable source texts and their metadata records
data/cases/     curated case records        data/drafts/   drafts written by ingest
data/vocab/     SKOS vocabularies           data/places/   places.yaml
data/eval/      the tagger's evaluation set
.kg-cache/      caches keyed by content (cache_dir; $KG_CACHE_DIR moves them)
ontology/       renda.ttl, shapes.ttl, qc/*.rq
build/          kg.ttl, kg.trig, views/, figures/, docs/, export/, release/
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from kg.core.errors import KgError, Problem, option

CACHE_ENV = "KG_CACHE_DIR"  # where the caches live instead of ROOT/.kg-cache


def cache_dir(root: Path | str, name: str) -> Path:
    """The folder of the cache `name` (validation findings, the tagger's model) for the
    project at `root`: ROOT/.kg-cache/NAME, or $KG_CACHE_DIR/NAME when that is set.
    Entries are keyed by content, so projects may share one."""
    base = os.environ.get(CACHE_ENV, "").strip()
    return (Path(base) if base else Path(root) / ".kg-cache") / name


@dataclass(frozen=True)
class Project:
    """The paths of a project rooted at `root`; `out` is its build folder."""

    root: Path = Path(".")
    out: Path | None = None

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def sources(self) -> Path:
        return self.data / "sources"

    @property
    def cases(self) -> Path:
        return self.data / "cases"

    @property
    def drafts(self) -> Path:
        return self.data / "drafts"

    @property
    def vocab(self) -> Path:
        return self.data / "vocab"

    @property
    def eval_sentences(self) -> Path:
        """The tagger's evaluation set; its `dev` sentences train the learned layer."""
        return self.data / "eval" / "mechanism-sentences.yaml"

    @property
    def places(self) -> Path:
        return self.data / "places" / "places.yaml"

    @property
    def ontology(self) -> Path:
        return self.root / "ontology" / "renda.ttl"

    @property
    def shapes(self) -> Path:
        return self.root / "ontology" / "shapes.ttl"

    @property
    def qc(self) -> Path:
        return self.root / "ontology" / "qc"

    def inputs(self) -> list[Path]:
        """The folders and files a build reads (a build older than any of them is stale)."""
        return [self.sources, self.cases, self.vocab, self.places.parent, self.root / "ontology"]

    # -- outputs --
    @property
    def build(self) -> Path:
        return self.out if self.out is not None else self.root / "build"

    @property
    def trig(self) -> Path:
        return self.build / "kg.trig"

    @property
    def views(self) -> Path:
        return self.build / "views"

    @property
    def figures(self) -> Path:
        return self.build / "figures"

    @property
    def docs(self) -> Path:
        return self.build / "docs" / "index.html"

    @property
    def export(self) -> Path:
        return self.build / "export"

    @property
    def release(self) -> Path:
        return self.build / "release"

    def check(self) -> None:
        """A `KgError` unless the inputs a build needs are there."""
        needed = (self.sources, self.cases, self.vocab, self.ontology)
        missing = [p for p in needed if not p.exists()]
        if missing:
            raise KgError(
                Problem(
                    str(missing[0]),
                    "not found",
                    hint=f"run from the project root or set {option('root')} to it",
                )
            )


def stale_build(root: Path | str = ".", build_dir: Path | str = "build") -> str | None:
    """What to say if data/ or ontology/ changed after the build was written, else None."""
    project = Project(Path(root), Path(root) / build_dir)
    trig = project.trig
    built = os.path.realpath(trig)  # kg.trig is a link into the generation
    if _changed_since(project.inputs(), built):
        return f"{trig} is older than data/ or ontology/: run `kg build` to refresh it"
    return None


def _changed_since(folders: list[Path], reference: str) -> bool:
    """Whether a file under `folders` was modified after the file `reference`: one stat a
    file, by find(1) where there is one (a process of its own, so the walk runs on
    another core while the command answers: at 100k case records it costs 0.3 s of the
    interpreter's time when walked here), else read with the directory listings."""
    folders = [f for f in folders if f.is_dir()]
    find = shutil.which("find")
    if find is not None and folders:
        import subprocess

        # -H: a data/ that is a link is walked, as below; absolute: "-x" is no option
        paths = [os.path.abspath(f) for f in folders]
        argv = [find, "-H", *paths, "-type", "f", "-newer", reference, "-print", "-quit"]
        done = subprocess.run(argv, capture_output=True, check=False)
        if done.returncode == 0:
            return bool(done.stdout)
    moment = os.stat(reference).st_mtime
    stack = list(folders)
    while stack:
        try:
            entries = os.scandir(stack.pop())
        except (FileNotFoundError, NotADirectoryError):
            continue
        with entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif entry.is_file() and entry.stat().st_mtime > moment:
                    return True
    return False
