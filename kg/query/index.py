"""The analytic index: the aggregate answers of a build, computed once beside it.

The questions researchers ask most are aggregates over the case x concept incidence
(frequency and co-occurrence through the skos:broader closure, counts by level,
category, region, party role, body, actor, place) and the tables the cross-case report
reads (case attributes, the case-tag incidence, the hierarchy, the typologies). Their
answers are a few hundred rows whatever the size of the graph, yet an engine must read
the whole graph to give them, and before that a command must load it: 11 s at 100k
cases, for an answer of 60 rows.

`kg build` (through `kg.api.write_build`) therefore runs these library queries once on
the new graph with Oxigraph and keeps their answers, in W3C TSV (the one format that
carries every term exactly and that pyoxigraph reads back), in
`OUT/.kg-index/<generation>.index`. The file is named after the digest of the
generation of kg.ttl/kg.trig it was computed from, so it can only ever be read beside
that very graph: a new build has another digest, and an index that is missing or
belongs to another generation is not used (the query runs on the graph as before).
Beside those answers the file keeps their text tables (what `kg query` prints by
default: at 100k cases, laying out the 29k bodies took longer than the answer), the long
tables researchers take whole (`KEPT_CSV`, as CSV) and each case's mechanism set
(`kg.query.similar`), so that `similar-cases` is answered for any case without the graph.
The tests check every indexed answer against SPARQL on both engines.
"""

from __future__ import annotations

import errno
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from kg.core.errors import KgError, Problem
from kg.core.textio import atomic_write_bytes
from kg.query.library import named_query
from kg.query.similar import PARTS, CaseClosures, closure_parts
from kg.store.rows import Table, Values
from kg.store.sparql import prepare_trusted

INDEX_DIR = ".kg-index"
_MAGIC = b"renda-kg analytic index 1\n"
#: Library queries whose answers (with the parameters' defaults) are aggregates or the
#: tables the report and the networks read.
INDEXED = (
    "actors",
    "bodies",
    "case-attributes",
    "case-tags",
    "first-appearance",
    "mechanism-cooccurrence",
    "mechanism-frequency",
    "mechanism-hierarchy",
    "mechanisms-by-category",
    "mechanisms-by-level",
    "mechanisms-by-region",
    "party-role",
    "places",
    "platforms",
    "selection-reasons",
    "station-typology",
    "supervised",
)
#: The long tables researchers take whole into a spreadsheet or pandas, kept as the CSV
#: that `kg query --name NAME --format csv` writes (part `csv:NAME`): at 100k cases the
#: query needs 45 s to load the graph and 10 s to answer, the copy a fraction of a second.
#: Other formats of them are answered by the engine.
KEPT_CSV = ("cases", "claims", "evidence", "timeline")


def index_path(trig: Path) -> Path | None:
    """Where the index of a built kg.trig lives, if `trig` is one (it resolves into a
    generation folder `OUT/.kg-generations/<digest>/`), else None."""
    real = Path(os.path.realpath(trig))
    gen = real.parent
    if gen.parent.name != ".kg-generations":
        return None
    return gen.parent.parent / INDEX_DIR / f"{gen.name}.index"


def _tsv_table(tsv: bytes) -> Table:
    """An answer kept as TSV as a `Table` of the engine's terms (rdflib terms on use)."""
    import pyoxigraph as ox

    from kg.store.oxigraph import TermCache

    solutions = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
    names = [v.value for v in solutions.variables]
    return Table(names, native=[tuple(s) for s in solutions], convert=TermCache())


def _text_table(tsv: bytes) -> bytes:
    """The text table `kg query` prints by default for an answer kept as TSV: kept too,
    since at 100k cases laying out 29k rows of bodies takes longer than the answer."""
    from kg.query.writers import format_table

    return format_table(_tsv_table(tsv), "table").encode("utf-8")


def compute_index(store) -> bytes:
    """The index of the graph in an Oxigraph store: each indexed query's answer as TSV,
    the long tables as CSV, and the cases' mechanism sets."""
    import pyoxigraph as ox

    def answer(name: str, fmt: ox.QueryResultsFormat) -> bytes:
        query = named_query(name)
        prepared = prepare_trusted(
            query.text_for("oxigraph"), where=f"{name}.rq", bindings=query.bind({})
        )
        solutions = store.store.query(prepared.text, use_default_graph_as_union=True)
        return solutions.serialize(format=fmt)

    tables: dict[str, bytes] = {}
    for name in INDEXED:
        if any(p.default is None for p in named_query(name).params):  # only the defaults
            continue
        tables[name] = answer(name, ox.QueryResultsFormat.TSV)
        tables[f"text:{name}"] = _text_table(tables[name])
    for name in KEPT_CSV:
        tables[f"csv:{name}"] = answer(name, ox.QueryResultsFormat.CSV)
    tables.update(closure_parts(store))
    return pack(_MAGIC, tables)


def pack(magic: bytes, parts: dict[str, bytes], **meta: object) -> bytes:
    """`magic`, one JSON line (where each part starts and how long it is, and `meta`),
    then the parts: the file format of the index and of what else a build keeps beside
    it (`kg.analysis.report`), read back by `Packed`."""
    head, offset = {}, 0
    for name, data in parts.items():
        head[name] = [offset, len(data)]
        offset += len(data)
    header = json.dumps({"tables": head, **meta}, sort_keys=True).encode("utf-8") + b"\n"
    return magic + header + b"".join(parts.values())


def write_index(trig: Path) -> Path | None:
    """Compute and write the index of a built kg.trig beside it; indexes of other
    generations are removed. None if `trig` is not a build's (nothing is written)."""
    from kg.store.oxigraph import OxigraphStore

    target = index_path(trig)
    if target is None:
        return None
    data = compute_index(OxigraphStore.from_file(trig))
    atomic_write_bytes(target, data)
    for other in target.parent.glob("*.index"):
        if other.name != target.name:
            other.unlink(missing_ok=True)
    return target


@dataclass
class Packed:
    """A file written by `pack`; each part is read from the file when asked."""

    path: Path
    base: int  # where the parts start
    tables: dict[str, tuple[int, int]]
    meta: dict

    @classmethod
    def open(cls, path: Path, magic: bytes):
        """The file at `path`, or None if there is none or it is not whole."""
        try:
            with open(path, "rb") as handle:
                found = handle.read(len(magic))
                header = handle.readline(1 << 20)
                base = handle.tell()
        except OSError:
            return None
        if found != magic or not header.endswith(b"\n"):
            return None
        try:
            meta = json.loads(header)
            tables = {name: (int(a), int(b)) for name, (a, b) in meta.pop("tables").items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        return cls(path, base, tables, meta)

    def part(self, name: str) -> bytes:
        start, length = self.tables[name]
        with open(self.path, "rb") as handle:
            handle.seek(self.base + start)
            data = handle.read(length)
        if len(data) != length:  # cut short since it was opened: not this build's
            raise KgError(Problem(str(self.path), "the file kept beside the build is incomplete"))
        return data


@dataclass
class AnalyticIndex(Packed):
    """The index of one build (the file holds every table: 15 MB at 10k cases, most of it
    the case tables)."""

    _closures: CaseClosures | None = field(default=None, repr=False, compare=False)

    @classmethod
    def open(cls, trig: Path) -> AnalyticIndex | None:  # type: ignore[override]
        """The index of the build `trig` belongs to, or None (none, or unreadable)."""
        path = index_path(trig)
        return None if path is None else super().open(path, _MAGIC)

    def has(self, name: str, params: dict[str, str] | None = None) -> bool:
        """Whether the index holds this query's answer for `params` (strings, as given
        on the command line): only the defaults' answer is kept."""
        return name in self.tables and _defaults(name, params)

    def compute(self, name: str, params: dict[str, str], *, csv: bool = False, text: bool = False):
        """The answer of a library query the index computes from a kept table, for any
        value of its parameters (`similar-cases` for one case: `kg.query.similar`), as a
        `Table`, with `csv` as the bytes of its CSV, with `text` as its text table; None
        if it cannot (another query, or a value that is not a kept case's IRI or id)."""
        if name != "similar-cases" or set(params) != {"case"}:
            return None
        if not set(PARTS) <= self.tables.keys():
            return None
        if self._closures is None:
            self._closures = CaseClosures(self.part)
        case = self._closures.case_iri(str(params["case"]))
        if case is None:
            return None
        if csv:
            return self._closures.similar_csv(case)
        return self._closures.similar_text(case) if text else self._closures.similar(case)

    def has_csv(self, name: str, params: dict[str, str] | None = None) -> bool:
        """Whether the index keeps this long table as CSV (`KEPT_CSV`) for `params`."""
        return f"csv:{name}" in self.tables and _defaults(name, params)

    def has_text(self, name: str, params: dict[str, str] | None = None) -> bool:
        """Whether the index keeps the text table of this aggregate for `params`."""
        return f"text:{name}" in self.tables and _defaults(name, params)

    def copy_part(self, part: str, fd: int) -> None:
        """Copy a kept part (`csv:NAME`, `text:NAME`) to a file descriptor, file to file
        in the kernel."""
        start, length = self.tables[part]
        offset, end = self.base + start, self.base + start + length
        with open(self.path, "rb") as handle:
            try:
                while offset < end and (
                    sent := os.sendfile(fd, handle.fileno(), offset, end - offset)
                ):
                    offset += sent
            except OSError as exc:  # a descriptor sendfile cannot write to: copy through here
                if exc.errno not in (errno.EINVAL, errno.ENOSYS):
                    raise
                handle.seek(offset)
                while offset < end and (chunk := handle.read(min(1 << 20, end - offset))):
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(fd, view) :]
                    offset += len(chunk)
        if offset != end:  # cut short since it was opened: not this build's
            raise KgError(Problem(str(self.path), "the file kept beside the build is incomplete"))

    def solutions(self, name: str):
        import pyoxigraph as ox

        return ox.parse_query_results(self.part(name), format=ox.QueryResultsFormat.TSV)

    def table(self, name: str) -> Table:
        """The answer as a `Table` of the engine's terms (rdflib terms on first use)."""
        return _tsv_table(self.part(name))

    def values(self, name: str) -> Values:
        solutions = self.solutions(name)
        names = [v.value for v in solutions.variables]
        rows = [tuple(None if t is None else t.value for t in s) for s in solutions]
        return Values(names, rows)

    def write(self, name: str, fmt: str, fd: int) -> None:
        """Write the answer to a file descriptor in a W3C format (pyoxigraph's name)."""
        import pyoxigraph as ox

        with os.fdopen(os.dup(fd), "wb", buffering=1 << 16) as out:
            self.solutions(name).serialize(out, format=getattr(ox.QueryResultsFormat, fmt))


def _defaults(name: str, params: dict[str, str] | None) -> bool:
    """Whether `params` (strings, as on the command line) are the query's defaults."""
    defaults = {p.name: p.default for p in named_query(name).params}
    return all(k in defaults and str(v) == defaults[k] for k, v in (params or {}).items())
