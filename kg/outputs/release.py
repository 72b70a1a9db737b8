"""Versioned releases and comparing builds.

A release is one folder with every serialisation, the CSV tables, the documentation,
the dataset description, a canonical checksum of the graph (RDFC-1.0, so two releases
compare equal whatever their serialisation) and SHA256SUMS. The same graph gives the
same bytes. `diff_graphs` lists the quads added and removed between two builds.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kg.build import serialize
from kg.build.generations import dead_writer, temp_name
from kg.core.about import __version__
from kg.core.errors import KgError, Problem
from kg.core.terms import canonical_quads
from kg.core.textio import read_utf8

if TYPE_CHECKING:
    from kg.query.graph import QueryGraph

RELEASE_FORMATS = ("ttl", "nt", "nq", "trig", "jsonld", "xml", "graphml", "gexf")


def canonical_nquads(nquads: bytes, where: str = "the graph") -> bytes:
    """The dataset in RDFC-1.0 canonical form: blank nodes renamed, lines sorted."""
    import pyoxigraph as ox

    quads = canonical_quads(list(ox.parse(nquads, format=ox.RdfFormat.N_QUADS)), where)
    lines = sorted(set(f"{quad} .\n" for quad in quads))
    return "".join(lines).encode("utf-8")


def canonical_checksum(nquads: bytes) -> str:
    return hashlib.sha256(canonical_nquads(nquads)).hexdigest()


def release_files(kg: QueryGraph, version: str) -> dict[str, bytes]:
    """Every file of a release, by relative path, rendered in memory."""
    from kg.outputs.describe import describe
    from kg.outputs.docs import render_docs
    from kg.outputs.export import render

    files: dict[str, bytes] = {}
    for fmt in RELEASE_FORMATS:
        files.update(render(kg, fmt))
    files.update({f"csv/{name}": data for name, data in render(kg, "csv").items()})
    files["docs/index.html"] = render_docs(kg).encode("utf-8")
    files["context.jsonld"] = (serialize_context()).encode("utf-8")
    checksum = canonical_checksum(files["kg.nq"])
    files["CANONICAL"] = f"RDFC-1.0 SHA-256 of kg.nq: {checksum}\n".encode()
    dumps = [Path(name) for name in sorted(files) if name.startswith("kg.")]
    void = describe(kg, dumps=dumps, version=version)
    files["void.ttl"] = serialize.stable(void).serialize(format="turtle", encoding="utf-8")
    sums = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items())
    )
    files["SHA256SUMS"] = sums.encode()
    return files


def serialize_context() -> str:
    import json

    return json.dumps(serialize.context(), ensure_ascii=False, indent=2) + "\n"


def make_release(
    kg: QueryGraph, out_root: Path, *, version: str = __version__, force: bool = False
) -> Path:
    """Write `out_root/renda-kg-VERSION/` whole, or not at all."""
    target = out_root / f"renda-kg-{version}"
    if target.exists() and not force:
        raise KgError(
            Problem(
                str(target),
                "already exists",
                hint="pass --force to replace it, or give a new --version",
            )
        )
    files = release_files(kg, version)
    staging: Path | None = None
    try:
        out_root.mkdir(parents=True, exist_ok=True)
        for left in out_root.glob(f".{target.name}.*.tmp"):  # a killed release's staging
            if dead_writer(left.name):
                shutil.rmtree(left, ignore_errors=True)
        staging = out_root / temp_name(target.name)
        staging.mkdir()
        for name, data in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
            os.replace(staging, target)
            shutil.rmtree(old)
        else:
            os.replace(staging, target)
    except OSError as exc:
        raise KgError(
            Problem(
                str(target),
                f"cannot write the release: {exc.strerror}",
                hint="check that the folder is writable",
            )
        ) from None
    finally:  # after a failure (or Ctrl-C) nothing half-written stays behind
        if staging is not None and staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


@dataclass(frozen=True)
class GraphDiff:
    added: list[str]
    removed: list[str]

    @property
    def same(self) -> bool:
        return not self.added and not self.removed

    def text(self) -> str:
        lines = [f"- {q}" for q in self.removed] + [f"+ {q}" for q in self.added]
        return "".join(line.rstrip("\n") + "\n" for line in lines)


def _nquads_of(path: Path) -> bytes:
    """N-Quads of a build file or of a release folder (its kg.nq)."""
    if path.is_dir():
        path = path / "kg.nq"
    if not path.is_file():
        raise KgError(
            Problem(
                str(path),
                "not found",
                hint="give a built .trig/.nq/.ttl/.nt file or a release folder",
            )
        )
    from kg.core.rdfio import check_rdf, parse_dataset

    if path.suffix == ".nq":  # read as is, but through the strict gate (errors with position)
        text = read_utf8(path).removeprefix("\ufeff")
        check_rdf(path, text, "nquads")
        return text.encode("utf-8")
    return serialize.nquads(parse_dataset(path))


def diff_graphs(a: Path, b: Path) -> GraphDiff:
    """Quads in `b` but not `a` (added) and in `a` but not `b` (removed), canonical form."""
    before = set(canonical_nquads(_nquads_of(a), str(a)).decode().splitlines())
    after = set(canonical_nquads(_nquads_of(b), str(b)).decode().splitlines())
    return GraphDiff(sorted(after - before), sorted(before - after))
