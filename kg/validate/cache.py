"""What SHACL and the QC queries said about a graph, remembered by the graph's content.

pySHACL takes 1.7 s of the 2.3 s a `kg build` of the seed takes, and most builds
validate a graph that was validated before (a rerun, an edit that was undone, a test
that builds the same project again). The findings are a function of the graph, the
shapes, the QC queries and the code that runs them, so they are kept under a digest of
exactly those: the graph as canonical N-Quads (blank nodes labelled by RDFC-1.0), the
bytes of shapes.ttl and of each query, and `code_digest()` (our files, Python's and
every library's version). Any change to one of them is a miss and a full run.

What is kept is the raw findings (focus node, path, message, severity; rows per query),
not the messages: where a finding points (the record file and field) is worked out
again from the current build, so a moved record file is still named right.

The entries live in ROOT/.kg-cache/validate/ (or $KG_CACHE_DIR/validate/), one small
JSON file each, written atomically; the newest `KEEP` are kept. A cache that cannot be
read or written is passed over: validation then runs in full, as without it.
"""

from __future__ import annotations

import json
from pathlib import Path

from kg.build import serialize
from kg.build.cache import code_digest, digest
from kg.build.dataset import AnyBuild
from kg.core.layout import CACHE_ENV, cache_dir
from kg.core.textio import atomic_write_text

ENV = CACHE_ENV
KEEP = 32
_FORMAT = 1


def folder(root: Path) -> Path:
    """Where the entries of the project at `root` live."""
    return cache_dir(root, "validate")


def key(result: AnyBuild) -> str:
    """The digest of everything the findings depend on (see the module's docstring)."""
    paths = result.inputs.paths
    parts: list[str | bytes] = ["validate", str(_FORMAT), code_digest()]
    parts.append(serialize.write_quads(result.sorted_quads(), "nq"))
    parts.append(paths.shapes.read_bytes())
    queries = sorted(paths.qc.glob("*.rq")) if paths.qc.is_dir() else []
    for query in queries:
        parts += [query.name, query.read_bytes()]
    return digest(*parts)


def lint_folder(root: Path) -> Path:
    """Where the vocabulary lint's entries of the project at `root` live."""
    return cache_dir(root, "lint")


def vocabulary_key(folder: Path) -> str:
    """The digest of what the vocabulary lint (`kg.validate.vocabulary`) reads: the
    bytes of each file of the folder, where it is (its problems name files and lines) and
    the code."""
    parts: list[str | bytes] = ["vocabulary", str(_FORMAT), code_digest(), str(folder.resolve())]
    for path in sorted(folder.glob("*.ttl")):
        parts += [path.name, path.read_bytes()]
    return digest(*parts)


def load(where: Path, entry: str) -> dict | None:
    """The findings kept under `entry`, or None (absent, unreadable, another format)."""
    try:
        doc = json.loads((where / f"{entry}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
        return None
    findings = doc.get("findings")
    return findings if isinstance(findings, dict) else None


def save(where: Path, entry: str, findings: dict) -> None:
    """Keep `findings` under `entry` and drop all but the newest `KEEP` entries; a
    folder that cannot be written (a read-only checkout) only means no cache."""
    doc = {"format": _FORMAT, "findings": findings}
    try:
        where.mkdir(parents=True, exist_ok=True)
        atomic_write_text(where / f"{entry}.json", json.dumps(doc, ensure_ascii=False) + "\n")
        entries = sorted(where.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
        for old in entries[:-KEEP]:
            old.unlink(missing_ok=True)
    except OSError:
        pass
