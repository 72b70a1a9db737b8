"""Comparing two builds or releases: the quads added and removed, and what that means
per case (mechanisms tagged or untagged, fields changed).

Both sides are brought to RDFC-1.0 canonical N-Quads first, so blank-node labels and
serialisation do not matter. A Turtle or N-Triples file holds one graph: the union of a
TriG build's graphs. When either side holds a single graph, both are compared as
triples (the other side's union), so the Turtle and the TriG of the same build compare
equal instead of differing in every line; between two datasets a statement moved to
another named graph is a change.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from kg.build import serialize
from kg.core.errors import KgError, Problem
from kg.core.namespaces import CASE, RKG, compact_iri
from kg.core.terms import canonical_quads
from kg.core.textio import read_utf8

USES = f"<{RKG}usesMechanism>"


@dataclass(frozen=True)
class CaseChange:
    """What changed about one case: tags added and removed, other properties changed."""

    case: str
    tagged: list[str] = field(default_factory=list)
    untagged: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    status: str = "changed"  # added | removed | changed

    def line(self) -> str:
        parts = [f"{self.case} {self.status}"]
        tags = [f"+{m}" for m in self.tagged] + [f"-{m}" for m in self.untagged]
        if tags:
            parts.append("mechanisms " + " ".join(tags))
        if self.fields:
            parts.append("fields " + " ".join(self.fields))
        return "; ".join(parts)


@dataclass(frozen=True)
class GraphDiff:
    added: list[str]
    removed: list[str]
    as_triples: bool = False  # a side was a single graph: both compared as their union
    cases: list[CaseChange] = field(default_factory=list)
    other: int = 0  # added or removed statements about anything but a case

    @property
    def same(self) -> bool:
        return not self.added and not self.removed

    def text(self) -> str:
        lines = [f"- {q}" for q in self.removed] + [f"+ {q}" for q in self.added]
        return "".join(line.rstrip("\n") + "\n" for line in lines)

    def summary(self) -> str:
        """One line per changed case, then the rest and how the sides were compared."""
        lines = [change.line() for change in self.cases]
        if self.other:
            lines.append(f"{self.other} other statements (evidence, places, vocabularies, ...)")
        if self.as_triples:
            lines.append("compared as triples: a side has a single graph (a union, e.g. Turtle)")
        return "".join(f"# {line}\n" for line in lines)


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


def _quads(nquads: bytes) -> tuple[list, bool]:
    """The parsed quads, and whether they are in more than one graph (a dataset rather
    than a union)."""
    import pyoxigraph as ox

    quads = list(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
    return quads, len({q.graph_name for q in quads}) > 1


def _statements(quads: list, where: str, *, as_triples: bool) -> set[tuple[str, ...]]:
    """Canonical (s, p, o, g) tuples, g "" for the default graph (and for every
    statement when compared `as_triples`: blank nodes are labelled after that)."""
    import pyoxigraph as ox

    if as_triples:
        quads = list({ox.Quad(q.subject, q.predicate, q.object) for q in quads})
    out = set()
    for q in canonical_quads(quads, where):
        graph = "" if isinstance(q.graph_name, ox.DefaultGraph) else str(q.graph_name)
        out.add((str(q.subject), str(q.predicate), str(q.object), graph))
    return out


def _line(statement: tuple[str, ...]) -> str:
    return " ".join(t for t in statement if t) + " ."


def _by_case(added: set, removed: set) -> tuple[list[CaseChange], int]:
    """Changes grouped by case: the case's own statements and those of its parts
    (`case/<id>/measure/1`, ...), which are reported as fields named after the part."""
    prefix = f"<{CASE}"
    subjects: dict[str, dict[str, list]] = defaultdict(lambda: {"+": [], "-": []})
    other = 0
    for sign, statements in (("+", added), ("-", removed)):
        for s, p, o, _ in statements:
            if not s.startswith(prefix):
                other += 1
                continue
            case, _, part = s[len(prefix) : -1].partition("/")
            field_name = part.rsplit("/", 1)[0] if part else None
            subjects[case][sign].append((field_name, p, o))
    typed = ("<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>", f"<{RKG}InnovationCase>")
    changes = []
    for case in sorted(subjects):
        plus, minus = subjects[case]["+"], subjects[case]["-"]
        own_plus = {(p, o) for f, p, o in plus if f is None}
        own_minus = {(p, o) for f, p, o in minus if f is None}
        status = "added" if typed in own_plus else "removed" if typed in own_minus else "changed"
        tagged = sorted(compact_iri(o.strip("<>")) for p, o in own_plus if p == USES)
        untagged = sorted(compact_iri(o.strip("<>")) for p, o in own_minus if p == USES)
        fields = {compact_iri(p.strip("<>")) for p, _ in own_plus | own_minus if p != USES}
        fields |= {f for f, _, _ in plus + minus if f is not None}
        if status != "changed":
            tagged = untagged = []
            fields = set()
        changes.append(CaseChange(f"case:{case}", tagged, untagged, sorted(fields), status))
    return changes, other


def diff_graphs(a: Path, b: Path) -> GraphDiff:
    """Statements in `b` but not `a` (added) and in `a` but not `b` (removed)."""
    quads_a, named_a = _quads(_nquads_of(a))
    quads_b, named_b = _quads(_nquads_of(b))
    as_triples = not (named_a and named_b)
    before = _statements(quads_a, str(a), as_triples=as_triples)
    after = _statements(quads_b, str(b), as_triples=as_triples)
    added, removed = after - before, before - after
    cases, other = _by_case(added, removed)
    return GraphDiff(
        sorted(_line(q) for q in added),
        sorted(_line(q) for q in removed),
        as_triples=as_triples,
        cases=cases,
        other=other,
    )
