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

from dataclasses import dataclass, field
from pathlib import Path

from kg.core.textio import atomic_write_bytes
from kg.query.kept import INDEX_MAGIC, KeptIndex, index_path, pack
from kg.query.library import named_query
from kg.query.similar import PARTS, CaseClosures, closure_parts
from kg.store.rows import Table, Values
from kg.store.sparql import prepare_trusted

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
    return pack(INDEX_MAGIC, tables)


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
class AnalyticIndex(KeptIndex):
    """The index of one build (the file holds every table: 15 MB at 10k cases, most of it
    the case tables)."""

    _closures: CaseClosures | None = field(default=None, repr=False, compare=False)

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

    def table(self, name: str) -> Table:
        """The answer as a `Table` of the engine's terms (rdflib terms on first use)."""
        return _tsv_table(self.part(name))

    def values(self, name: str) -> Values:
        solutions = self.solutions(name)
        names = [v.value for v in solutions.variables]
        rows = [tuple(None if t is None else t.value for t in s) for s in solutions]
        return Values(names, rows)
