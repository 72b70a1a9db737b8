"""Versioned releases and comparing builds.

A release is one folder with every serialisation, the networks, the CSV tables and
their codebook, the source texts, the documentation, README, CITATION.cff, LICENSE, the
dataset description, a canonical checksum of the graph (RDFC-1.0, so two releases
compare equal whatever their serialisation) and SHA256SUMS. The same graph gives the
same bytes (dates come from the data or SOURCE_DATE_EPOCH, never the clock).
`diff_graphs` (in `kg.outputs.compare`) compares two builds or releases.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from kg.build import serialize
from kg.build.generations import dead_writer, temp_name
from kg.core.about import __version__
from kg.core.errors import KgError, Problem
from kg.core.formats import RDF, get
from kg.core.namespaces import VOID
from kg.core.terms import canonical_quads
from kg.outputs.compare import GraphDiff, diff_graphs

if TYPE_CHECKING:
    from kg.query.graph import QueryGraph

__all__ = ["GraphDiff", "diff_graphs", "make_release", "release_files"]
RELEASE_FORMATS = ("ttl", "nt", "nq", "trig", "jsonld", "xml", "graphml", "gexf")


def canonical_nquads(nquads: bytes, where: str = "the graph") -> bytes:
    """The dataset in RDFC-1.0 canonical form: blank nodes renamed, lines sorted."""
    import pyoxigraph as ox

    quads = canonical_quads(list(ox.parse(nquads, format=ox.RdfFormat.N_QUADS)), where)
    lines = sorted(set(f"{quad} .\n" for quad in quads))
    return "".join(lines).encode("utf-8")


def canonical_checksum(nquads: bytes) -> str:
    return hashlib.sha256(canonical_nquads(nquads)).hexdigest()


def release_files(kg: QueryGraph, version: str, root: Path | None = None) -> dict[str, bytes]:
    """Every file of a release, by relative path, rendered in memory.

    `root` is the project whose `data/sources/` texts go into `sources/`.
    """
    from kg.outputs.citation import (
        citation_cff,
        licence_text,
        readme_text,
        release_date,
        source_files,
    )
    from kg.outputs.describe import describe
    from kg.outputs.docs import render_docs
    from kg.outputs.export import render
    from kg.outputs.gephi import NETWORK_NAMES

    date = release_date(kg)
    files: dict[str, bytes] = {}
    rdf = [fmt for fmt in RELEASE_FORMATS if fmt in serialize.WRITERS]
    # the store is read into one dataset for all RDF formats (0.4 s a time for the seed)
    for fmt, data in serialize.serialize_all(kg.store.to_dataset(), rdf).items():
        files[f"kg{get(RDF, fmt).suffix}"] = data
    for fmt in RELEASE_FORMATS:
        if fmt not in rdf:
            files.update(render(kg, fmt))
    for name in NETWORK_NAMES[1:]:
        for fmt in ("graphml", "gexf"):
            files.update(
                {f"networks/{n}": d for n, d in render(kg, fmt, network_name=name).items()}
            )
    files.update({f"csv/{name}": data for name, data in render(kg, "csv").items()})
    files.update(source_files(root) if root is not None else {})
    files["docs/index.html"] = render_docs(kg).encode("utf-8")
    files["context.jsonld"] = (serialize_context()).encode("utf-8")
    checksum = canonical_checksum(files["kg.nq"])
    files["CANONICAL"] = f"RDFC-1.0 SHA-256 of kg.nq: {checksum}\n".encode()
    dumps = [Path(name) for name in sorted(files) if name.startswith("kg.")]
    void = describe(kg, dumps=dumps, version=version, modified=date)
    files["void.ttl"] = serialize.stable(void).serialize(format="turtle", encoding="utf-8")
    counts = {
        "cases": int(kg.query(_CASES, timeout=None).rows[0][0]),
        "triples": int(next(void.objects(None, VOID.triples))),
    }
    files["README.md"] = readme_text(version, date, files, counts)
    files["CITATION.cff"] = citation_cff(version, date)
    files["LICENSE"] = licence_text()
    sums = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items())
    )
    files["SHA256SUMS"] = sums.encode()
    return files


_CASES = "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a rkg:InnovationCase }"


def serialize_context() -> str:
    import json

    return json.dumps(serialize.context(), ensure_ascii=False, indent=2) + "\n"


def make_release(
    kg: QueryGraph,
    out_root: Path,
    *,
    version: str = __version__,
    force: bool = False,
    root: Path | None = None,
) -> Path:
    """Write `out_root/renda-kg-VERSION/` whole, or not at all (sources from `root`)."""
    target = out_root / f"renda-kg-{version}"
    if target.exists() and not force:
        raise KgError(
            Problem(
                str(target),
                "already exists",
                hint="pass --force to replace it, or give a new --version",
            )
        )
    files = release_files(kg, version, root)
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
