"""Which case uses which mechanism, read once from the graph: the data that the patterns,
the networks, the figures and the tables count from.

Apart from `kg.analysis.networks` so that reading it imports neither networkx nor numpy
(0.27 s): `kg run` reads it before it sends the figures to draw, and numpy is imported
only where a matrix is made.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from kg.core.namespaces import compact_iri

if TYPE_CHECKING:
    import numpy as np

    from kg.query.graph import QueryGraph


@dataclass(frozen=True)
class CaseMechanisms:
    """Which case uses which mechanism (direct tags), with labels and attributes."""

    uses: dict[str, frozenset[str]]  # case id -> mechanism ids
    case_attrs: dict[str, dict[str, str]]
    mechanism_attrs: dict[str, dict[str, str]]
    broader: dict[str, frozenset[str]]  # mechanism -> direct broader concepts

    @cached_property
    def _ancestors(self) -> dict[str, frozenset[str]]:
        """Every concept's broader closure, computed once (patterns ask millions of times)."""
        out: dict[str, frozenset[str]] = {}
        for start in {*self.broader, *(m for ms in self.uses.values() for m in ms)}:
            found, stack = set(), list(self.broader.get(start, ()))
            while stack:
                parent = stack.pop()
                if parent not in found:
                    found.add(parent)
                    stack.extend(self.broader.get(parent, ()))
            out[start] = frozenset(found)
        return out

    @cached_property
    def _expanded(self) -> dict[str, frozenset[str]]:
        wide: dict[frozenset[str], frozenset[str]] = {}  # cases repeat sets of tags
        for ms in self.uses.values():
            if ms not in wide:
                wide[ms] = ms.union(*(self.ancestors(m) for m in ms))
        return {case: wide[ms] for case, ms in self.uses.items()}

    def incidence(self, *, expanded: bool) -> Incidence:
        """Cases x mechanisms as a 0/1 matrix: with `expanded`, broader concepts count."""
        return self._incidence_expanded if expanded else self._incidence_direct

    @cached_property
    def _incidence_direct(self) -> Incidence:
        import numpy as np

        cases = sorted(self.uses)  # rows in id order, whatever order `uses` came in
        sets = [self.uses[c] for c in cases]
        items = sorted({m for ms in sets for m in ms})
        column = {m: j for j, m in enumerate(items)}
        rows = np.repeat(np.arange(len(sets)), [len(ms) for ms in sets])
        matrix = np.zeros((len(sets), len(items)), dtype=_dtype(len(sets)))
        matrix[rows, [column[m] for ms in sets for m in ms]] = 1.0
        return Incidence(cases, items, matrix)

    @cached_property
    def _incidence_expanded(self) -> Incidence:
        """The direct matrix times the 0/1 closure (tag -> itself and its ancestors)."""
        import numpy as np

        direct = self._incidence_direct
        items = sorted(set(direct.items).union(*(self.ancestors(m) for m in direct.items)))
        column = {m: j for j, m in enumerate(items)}
        closure = np.zeros((len(direct.items), len(items)), dtype=direct.matrix.dtype)
        for j, mech in enumerate(direct.items):
            closure[j, [column[m] for m in {mech, *self.ancestors(mech)}]] = 1.0
        matrix = np.minimum(direct.matrix @ closure, 1.0)
        return Incidence(direct.cases, items, matrix)

    def ancestors(self, mechanism: str) -> frozenset[str]:
        return self._ancestors.get(mechanism, frozenset())

    def families(self, mechanism: str) -> list[str]:
        """The top concepts above `mechanism` (itself if it is one), sorted."""
        tops = [m for m in {mechanism} | self.ancestors(mechanism) if not self.broader.get(m)]
        return sorted(tops)

    def expanded(self, case: str) -> frozenset[str]:
        """The case's mechanisms together with all their broader concepts."""
        return self._expanded[case]


def _dtype(rows: int) -> type:
    """float32 halves the memory and time of the products; it counts exactly to 2**24."""
    import numpy as np

    return np.float32 if rows < 2**24 else np.float64


@dataclass(frozen=True)
class Incidence:
    """A 0/1 float matrix of cases (rows, in id order) by mechanisms (columns, sorted).

    Counting over a corpus is then a column sum or a matrix product, done by numpy:
    at 100k cases, Python loops over the cases took seconds for each count.
    """

    cases: list[str]
    items: list[str]
    matrix: np.ndarray  # float32: sums and products of 0/1 are exact below 2**24 cases

    def rows_of(self, cases: list[str]) -> np.ndarray:
        """The sub-matrix of `cases` (each must be a row)."""
        position = self._position
        return self.matrix[[position[c] for c in cases]]

    @cached_property
    def _position(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.cases)}

    def counts(self, cases: list[str] | None = None) -> dict[str, int]:
        """Cases (of `cases`, or all) per mechanism, zeros left out."""
        sums = (self.matrix if cases is None else self.rows_of(cases)).sum(axis=0)
        return {m: int(k) for m, k in zip(self.items, sums.tolist(), strict=True) if k}

    def members(self, item: str) -> list[str]:
        """The cases that hold `item`, in id order."""
        import numpy as np

        hits = np.flatnonzero(self.matrix[:, self.items.index(item)])
        return [self.cases[i] for i in hits.tolist()]


def load_case_mechanisms(kg: QueryGraph) -> CaseMechanisms:
    uses: dict[str, set[str]] = defaultdict(set)
    cases: dict[str, dict[str, str]] = {}
    mechanisms: dict[str, dict[str, str]] = {}
    # Two lean queries read as plain strings, not one wide row of terms per tag: at 100k
    # cases the tags are ~425k rows, and every column and every term object costs time.
    attributes = kg.values("case-attributes").rows
    tags = kg.values("case-tags").rows
    iris = {iri for row in attributes for iri in (row[0], row[3], row[4], row[5]) if iri}
    iris.update(iri for row in tags for iri in row)
    ids = {iri: compact_id(iri) for iri in iris}  # each IRI once
    for case_iri, zh, en, level, category, region, year in attributes:
        case = ids[case_iri]
        cases[case] = {
            "kind": "case",
            "label_zh": zh or case,
            "label_en": en or "",
            "level": ids[level],
            "category": ids[category],
            "region": ids[region] if region else "",
            "year": year or "",
        }
    for case_iri, mech in tags:
        case = ids[case_iri]
        if case in cases:  # a case needs its level and category to be grouped
            uses[case].add(ids[mech])
    cases = {case: a for case, a in cases.items() if case in uses}  # untagged cases: none
    broader: dict[str, set[str]] = defaultdict(set)
    for row in kg.select("mechanism-hierarchy").dicts():
        mech = compact_id(row["mechanism"])
        mechanisms[mech] = {
            "kind": "mechanism",
            "label_zh": row["label_zh"] or mech,
            "label_en": row["label_en"] or "",
        }
        if row["broader"]:
            broader[mech].add(compact_id(row["broader"]))
    return CaseMechanisms(  # in id order, whatever order the store answered in
        {c: frozenset(uses[c]) for c in sorted(uses)},
        {c: cases[c] for c in sorted(cases)},
        mechanisms,
        {m: frozenset(b) for m, b in broader.items()},
    )


def compact_id(value: object) -> str:
    return compact_iri(str(value)) if value is not None else ""
