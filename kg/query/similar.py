"""`similar-cases` for one case, answered from a table the build keeps (`kg.query.index`).

The query ranks every other case by the Jaccard similarity of the two mechanism sets
(each tagged mechanism with its broader families). At 100k cases its answer has ~84k
rows and Oxigraph needs 6 s for it on a loaded store (and 37 s to load the graph
first). Yet the sets are fixed by the build: it keeps each case's set once, and the
answer for any case is then a pass over the distinct sets. The rows, their terms and
their order are the query's (`kg/queries/similar-cases.rq`); the tests compare the two
on every case of the seed and of a synthetic corpus.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable
from functools import cached_property

from kg.core.namespaces import CASE, MECH, PREFIXES, compact_iri
from kg.query.writers import display_cell, framed_table
from kg.store.rows import Table

#: Each case with the closure of its tags under skos:broader* (as similar-cases.rq reads
#: it), and its Chinese titles (rows without a mechanism).
CLOSURE_QUERY = """
PREFIX rkg: <https://w3id.org/renda-kg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?case ?mechanism ?title_zh WHERE {
  ?case a rkg:InnovationCase .
  { SELECT DISTINCT ?case ?mechanism WHERE { ?case rkg:usesMechanism/skos:broader* ?mechanism } }
  UNION
  { ?case dcterms:title ?title_zh FILTER(lang(?title_zh) = "zh") }
}
"""
VARIABLES = ["similar", "title_zh", "shared", "jaccard", "shared_mechanisms"]
_XSD = PREFIXES["xsd"]


def closure_parts(store) -> dict[str, bytes]:
    """The kept table of the graph in an Oxigraph store, as parts of the index
    (`kept_parts`)."""
    import pyoxigraph as ox

    titles: dict[str, list[list[str]]] = {}
    sets: dict[str, set[str]] = {}
    for row in store.store.query(CLOSURE_QUERY, use_default_graph_as_union=True):
        case, mechanism, title = row["case"], row["mechanism"], row["title_zh"]
        if not isinstance(case, ox.NamedNode):
            continue  # similar-cases compares IRIs
        titles.setdefault(case.value, [])
        found = sets.setdefault(case.value, set())
        if mechanism is not None:
            found.add(str(mechanism.value) if isinstance(mechanism, ox.NamedNode) else "")
        if title is not None:
            titles[case.value].append([title.value, title.language])
    return kept_parts(sets, titles)


def kept_parts(sets: dict[str, set[str]], titles: dict[str, list[list[str]]]) -> dict[str, bytes]:
    """Each case's mechanism set (`sets`, case IRI -> concept IRIs) and zh titles
    ([text, language]) as the parts the index keeps (`PARTS`): the concepts, the cases
    in IRI order and their titles (JSON); each distinct set once, as a bit mask over the
    concepts (uint64 words), and the set of each case; and each row's first columns as
    CSV (`iri,title`: one per title, or one with no title), with where each case's
    start; and the first two columns as the text table shows them (cleaned, one per
    line, a line break being the one character a shown cell cannot hold) with their
    widths in terminal columns. Arrays are little-endian, so the file reads the same on
    every machine."""
    import numpy as np

    concepts = sorted({c for s in sets.values() for c in s})
    words = max(1, -(-len(concepts) // 64))
    bit = {c: 1 << i for i, c in enumerate(concepts)}
    cases = sorted(sets)  # in IRI order, the query's order among equals
    group: dict[int, int] = {}
    group_of = [group.setdefault(sum(bit[c] for c in sets[iri]), len(group)) for iri in cases]
    masks = np.array(
        [[(mask >> (64 * w)) & (2**64 - 1) for w in range(words)] for mask in group] or [[0]],
        dtype="<u8",
    ).reshape(-1, words)
    heads, offsets, first = [], [0], [0]
    shown_titles, title_widths = [], []
    for iri in cases:
        for title in sorted(titles[iri]) or [None]:
            head = f"{iri},{'' if title is None else _csv(title[0])}".encode()
            heads.append(head)
            offsets.append(offsets[-1] + len(head))
            shown, width = display_cell("" if title is None else title[0])
            shown_titles.append(shown)
            title_widths.append(width)
        first.append(len(heads))
    shown_iris = [display_cell(compact_iri(iri)) for iri in cases]
    compact = {"ensure_ascii": False, "separators": (",", ":")}
    return {
        "closure:concepts": json.dumps(concepts, **compact).encode(),
        "closure:cases": json.dumps(cases, **compact).encode(),
        "closure:titles": json.dumps([sorted(titles[i]) for i in cases], **compact).encode(),
        "closure:masks": masks.tobytes(),
        "closure:group-of": np.array(group_of, dtype="<i4").tobytes(),
        "closure:csv-heads": b"".join(heads),
        "closure:csv-offsets": np.array(offsets, dtype="<i8").tobytes(),
        "closure:csv-first": np.array(first, dtype="<i8").tobytes(),
        "closure:text-iris": "\n".join(shown for shown, _ in shown_iris).encode(),
        "closure:text-iri-widths": np.array([w for _, w in shown_iris], dtype="<i4").tobytes(),
        "closure:text-titles": "\n".join(shown_titles).encode(),
        "closure:text-title-widths": np.array(title_widths, dtype="<i4").tobytes(),
    }


#: The parts of the kept table (`kept_parts`).
PARTS = (
    "closure:concepts",
    "closure:cases",
    "closure:titles",
    "closure:masks",
    "closure:group-of",
    "closure:csv-heads",
    "closure:csv-offsets",
    "closure:csv-first",
    "closure:text-iris",
    "closure:text-iri-widths",
    "closure:text-titles",
    "closure:text-title-widths",
)


class CaseClosures:
    """The kept table, read part by part as an answer needs it. Cases with the same set
    share one bit mask, so the ranking is a few array operations over the distinct sets
    (numpy); the texts of the last three columns are made once per distinct overlap."""

    def __init__(self, part: Callable[[str], bytes]):
        import numpy as np

        self._part = part
        self.concepts: list[str] = json.loads(part("closure:concepts"))
        self.cases: list[str] = json.loads(part("closure:cases"))
        words = max(1, -(-len(self.concepts) // 64))
        self.masks = np.frombuffer(part("closure:masks"), dtype="<u8").reshape(-1, words)
        self.group_of = np.frombuffer(part("closure:group-of"), dtype="<i4")
        self.sizes = np.bitwise_count(self.masks).sum(axis=1, dtype=np.int64)

    @cached_property
    def titles(self) -> list[list]:
        return json.loads(self._part("closure:titles"))

    def case_iri(self, value: str) -> str | None:
        """The case a parameter names by IRI, prefixed name or id, if it is one of the
        kept cases; None otherwise (labels and close matches are the resolver's)."""
        if value.startswith("case:"):
            value = str(CASE) + value[len("case:") :]
        elif "://" not in value:
            value = str(CASE) + value
        return value if self.position(value) is not None else None

    def position(self, iri: str) -> int | None:
        """Where the case `iri` is among the kept cases (in IRI order: found by bisection,
        so a query for one case does not index 100k of them)."""
        i = bisect.bisect_left(self.cases, iri)
        return i if i < len(self.cases) and self.cases[i] == iri else None

    def _ranked(self, case: str) -> tuple[list[int], list[tuple[str, str, str]]]:
        """Every other case sharing a mechanism with `case`, in the query's order (by
        rank, then IRI), and each one's (shared, jaccard, shared_mechanisms) as text."""
        import numpy as np

        own_index = self.position(case)
        own_group = int(self.group_of[own_index])
        shared = self.masks & self.masks[own_group]
        k = np.bitwise_count(shared).sum(axis=1, dtype=np.int64)
        hit = np.flatnonzero(k)
        if not hit.size:
            return [], []
        k, shared = k[hit], shared[hit]
        d = self.sizes[own_group] + self.sizes[hit] - k
        rank = np.zeros(len(self.masks), dtype=np.int64)
        rank[hit] = (20000 * k + d) // (2 * d)  # ROUND(10000 * k / d), halves up, as fn:round
        # one text per distinct (overlap, union size): the overlaps are subsets of one set
        _, first, which = np.unique(
            np.column_stack([shared, d.astype(np.uint64)]),
            axis=0,
            return_index=True,
            return_inverse=True,
        )
        mech = str(MECH)
        texts = []
        for i in first.tolist():
            r, n = int(rank[hit[i]]), int(k[i])
            jaccard = f"{r // 10000}.{r % 10000:04d}".rstrip("0").rstrip(".")
            row = shared[i]
            names = (
                c.partition(mech)[2]
                for j, c in enumerate(self.concepts)
                if int(row[j // 64]) >> (j % 64) & 1
            )
            texts.append((str(n), jaccard, " ".join(sorted(names))))
        text_of = np.full(len(self.masks), -1, dtype=np.int64)
        text_of[hit] = which.reshape(-1)
        of_case = text_of[self.group_of]
        of_case[own_index] = -1
        members = np.flatnonzero(of_case >= 0)  # in IRI order
        order = members[np.argsort(-rank[self.group_of[members]], kind="stable")]
        return order.tolist(), [texts[t] for t in of_case[order].tolist()]

    def similar(self, case: str) -> Table:
        """The answer of similar-cases for the case IRI `case` (a kept case: `case_iri`)."""
        import pyoxigraph as ox

        from kg.store.oxigraph import TermCache

        integer, decimal = ox.NamedNode(_XSD + "integer"), ox.NamedNode(_XSD + "decimal")
        terms: dict[tuple[str, str, str], tuple] = {}
        rows = []
        order, texts = self._ranked(case)
        for m, text in zip(order, texts, strict=True):
            found = terms.get(text)
            if found is None:
                k, jaccard, slugs = text
                found = terms[text] = (
                    ox.Literal(k, datatype=integer),
                    ox.Literal(jaccard, datatype=decimal),
                    ox.Literal(slugs),
                )
            node = ox.NamedNode(self.cases[m])
            for title in self.titles[m] or [None]:
                label = None if title is None else ox.Literal(title[0], language=title[1])
                rows.append((node, label, *found))
        return Table(list(VARIABLES), native=rows, convert=TermCache())

    def similar_text(self, case: str) -> str:
        """The answer as the text table `kg query` prints (`format_table(similar(case))`),
        from the kept cells and their widths: at 100k cases, measuring 84k titles took
        longer than the ranking."""
        import numpy as np

        order, texts = self._ranked(case)
        first_of = np.frombuffer(self._part("closure:csv-first"), dtype="<i8")
        iri_widths = np.frombuffer(self._part("closure:text-iri-widths"), dtype="<i4")
        title_widths = np.frombuffer(self._part("closure:text-title-widths"), dtype="<i4")
        picked = np.asarray(order, dtype=np.int64)
        chosen = np.zeros(len(self.cases), dtype=bool)
        chosen[picked] = True
        of_head = np.repeat(np.arange(len(self.cases)), np.diff(first_of))
        widths = [
            max(len(VARIABLES[0]), int(iri_widths[picked].max(initial=0))),
            max(len(VARIABLES[1]), int(title_widths[chosen[of_head]].max(initial=0))),
        ]
        iri_widths, title_widths = iri_widths.tolist(), title_widths.tolist()
        tails = {text: [display_cell(v) for v in text] for text in dict.fromkeys(texts)}
        widths += [
            max([len(name), *(cells[i][1] for cells in tails.values())])
            for i, name in enumerate(VARIABLES[2:])
        ]
        padded = {
            text: "  ".join(
                shown + " " * (w - n) for (shown, n), w in zip(cells, widths[2:], strict=True)
            )
            for text, cells in tails.items()
        }
        iris = self._part("closure:text-iris").decode().split("\n")
        titles = self._part("closure:text-titles").decode().split("\n")
        iri_pad, title_pad = widths[0], widths[1]
        first = first_of.tolist()
        lines = []
        for m, text in zip(order, texts, strict=True):
            head = iris[m] + " " * (iri_pad - iri_widths[m])
            tail = padded[text]
            for j in range(first[m], first[m + 1]):
                pad = title_pad - title_widths[j]
                lines.append(f"{head}  {titles[j]}{' ' * pad}  {tail}")
        return framed_table(list(VARIABLES), widths, lines, len(lines))

    def similar_csv(self, case: str) -> bytes:
        """The answer as the CSV that pyoxigraph writes for it (SPARQL 1.1 CSV: values
        only, literals quoted when they hold a comma, a quote or a line break, IRIs never),
        from the kept heads of the rows: at 100k cases a term per cell costs more than
        the ranking."""
        import numpy as np

        heads = self._part("closure:csv-heads")
        offsets = np.frombuffer(self._part("closure:csv-offsets"), dtype="<i8").tolist()
        first = np.frombuffer(self._part("closure:csv-first"), dtype="<i8").tolist()
        out = [",".join(VARIABLES).encode() + b"\r\n"]
        tails: dict[tuple[str, str, str], bytes] = {}
        order, texts = self._ranked(case)
        for m, text in zip(order, texts, strict=True):
            tail = tails.get(text)
            if tail is None:
                k, jaccard, slugs = text
                tail = tails[text] = f",{k},{jaccard},{_csv(slugs)}\r\n".encode()
            for j in range(first[m], first[m + 1]):
                out.append(heads[offsets[j] : offsets[j + 1]])
                out.append(tail)
        return b"".join(out)


_NEEDS_QUOTES = re.compile('[,"\r\n]')


def _csv(value: str) -> str:
    if _NEEDS_QUOTES.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value
