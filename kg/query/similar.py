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

import json
import re

from kg.core.namespaces import CASE, MECH, PREFIXES
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


def closure_part(store) -> bytes:
    """The kept table, as JSON: the concepts; the cases in IRI order with their zh titles
    ([text, language]); each distinct set as a bit mask over the concepts with the cases
    that have it; and each case's set."""
    import pyoxigraph as ox

    titles: dict[str, list] = {}
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
    concepts = sorted({c for s in sets.values() for c in s})
    bit = {c: 1 << i for i, c in enumerate(concepts)}
    cases = sorted(sets)  # in IRI order, the query's order among equals
    groups: dict[int, list[int]] = {}
    for i, iri in enumerate(cases):
        groups.setdefault(sum(bit[c] for c in sets[iri]), []).append(i)
    group_of = [0] * len(cases)
    for g, members in enumerate(groups.values()):
        for m in members:
            group_of[m] = g
    doc = {
        "concepts": concepts,
        "cases": cases,
        "titles": [sorted(titles[iri]) for iri in cases],
        "groups": [[mask, members] for mask, members in groups.items()],
        "group_of": group_of,
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class CaseClosures:
    """The kept table, read once. Cases with the same set are grouped and each set is a
    bit mask over the concepts, so an answer costs one AND and one bit count per
    distinct set; the terms of a group's columns are made once per distinct overlap."""

    def __init__(self, data: bytes):
        doc = json.loads(data)
        self.concepts: list[str] = doc["concepts"]
        self.cases: list[str] = doc["cases"]
        self.titles: list[list] = doc["titles"]
        self.groups: list[list] = doc["groups"]  # [mask, members]: a set as a bit mask
        self.group_of: list[int] = doc["group_of"]
        self.position = {iri: i for i, iri in enumerate(self.cases)}

    def case_iri(self, value: str) -> str | None:
        """The case a parameter names by IRI, prefixed name or id, if it is one of the
        kept cases; None otherwise (labels and close matches are the resolver's)."""
        if value.startswith("case:"):
            value = str(CASE) + value[len("case:") :]
        elif "://" not in value:
            value = str(CASE) + value
        return value if value in self.position else None

    def _ranked(self, case: str) -> list[tuple[int, int, tuple[str, str, str]]]:
        """(-rank, case index, (shared, jaccard, shared_mechanisms) as text) for every
        other case sharing a mechanism with `case`, in the query's order."""
        own_index = self.position[case]
        own = self.groups[self.group_of[own_index]][0]
        size = own.bit_count()
        mech = str(MECH)
        columns: dict[tuple[int, int], tuple[str, str, str]] = {}
        found = []
        for mask, members in self.groups:
            shared = own & mask
            if not shared:
                continue
            k = shared.bit_count()
            d = size + mask.bit_count() - k
            r = (20000 * k + d) // (2 * d)  # ROUND(10000 * k / d), halves up, as fn:round
            texts = columns.get((shared, d))
            if texts is None:
                jaccard = f"{r // 10000}.{r % 10000:04d}".rstrip("0").rstrip(".")
                names = (
                    c.partition(mech)[2] for i, c in enumerate(self.concepts) if shared >> i & 1
                )
                texts = columns[shared, d] = (str(k), jaccard, " ".join(sorted(names)))
            found += [(-r, m, texts) for m in members if m != own_index]
        found.sort()  # by (-r, case), and cases are kept in IRI order
        return found

    def similar(self, case: str) -> Table:
        """The answer of similar-cases for the case IRI `case` (one of `self.position`)."""
        import pyoxigraph as ox

        from kg.store.oxigraph import TermCache

        integer, decimal = ox.NamedNode(_XSD + "integer"), ox.NamedNode(_XSD + "decimal")
        terms: dict[tuple[str, str, str], tuple] = {}
        rows = []
        for _, m, texts in self._ranked(case):
            found = terms.get(texts)
            if found is None:
                k, jaccard, slugs = texts
                found = terms[texts] = (
                    ox.Literal(k, datatype=integer),
                    ox.Literal(jaccard, datatype=decimal),
                    ox.Literal(slugs),
                )
            node = ox.NamedNode(self.cases[m])
            for title in self.titles[m] or [None]:
                label = None if title is None else ox.Literal(title[0], language=title[1])
                rows.append((node, label, *found))
        return Table(list(VARIABLES), native=rows, convert=TermCache())

    def similar_csv(self, case: str) -> bytes:
        """The answer as the CSV that pyoxigraph writes for it (SPARQL 1.1 CSV: values
        only, literals quoted when they hold a comma, a quote or a line break, IRIs never),
        without a term per cell: at 100k cases the terms cost more than the ranking."""
        lines = [",".join(VARIABLES) + "\r\n"]
        tails: dict[tuple[str, str, str], str] = {}
        for _, m, texts in self._ranked(case):
            tail = tails.get(texts)
            if tail is None:
                k, jaccard, slugs = texts
                tail = tails[texts] = f",{k},{jaccard},{_csv(slugs)}\r\n"
            iri = self.cases[m]  # IRIs unquoted
            for title in self.titles[m] or [None]:
                lines.append(f"{iri},{'' if title is None else _csv(title[0])}{tail}")
        return "".join(lines).encode("utf-8")


_NEEDS_QUOTES = re.compile('[,"\r\n]')


def _csv(value: str) -> str:
    if _NEEDS_QUOTES.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value
