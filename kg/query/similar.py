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
_XSD = "http://www.w3.org/2001/XMLSchema#"


def closure_part(store) -> bytes:
    """The kept table: JSON of the concepts and, per case (sorted), its IRI, its zh titles
    as [text, language] and its set as indexes into the concepts."""
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
    number = {c: i for i, c in enumerate(concepts)}
    cases = [
        [iri, sorted(titles[iri]), sorted(number[c] for c in sets[iri])] for iri in sorted(sets)
    ]
    doc = {"concepts": concepts, "cases": cases}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class CaseClosures:
    """The kept table, read once; cases with the same set are grouped, so an answer costs
    one intersection per distinct set."""

    def __init__(self, data: bytes):
        doc = json.loads(data)
        self.concepts: list[str] = doc["concepts"]
        self.cases: list[str] = []
        self.titles: list[list] = []
        self.position: dict[str, int] = {}
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, (iri, titles, closure) in enumerate(doc["cases"]):
            self.cases.append(iri)
            self.titles.append(titles)
            self.position[iri] = i
            groups.setdefault(tuple(closure), []).append(i)
        self.groups = [(frozenset(key), members) for key, members in groups.items()]
        self.set_of: dict[int, frozenset[int]] = {
            m: closure for closure, members in self.groups for m in members
        }

    def case_iri(self, value: str) -> str | None:
        """The case a parameter names by IRI, prefixed name or id, if it is one of the
        kept cases; None otherwise (labels and close matches are the resolver's)."""
        if value.startswith("case:"):
            value = PREFIXES["case"] + value[len("case:") :]
        elif "://" not in value:
            value = str(CASE) + value
        return value if value in self.position else None

    def similar(self, case: str) -> Table:
        """The answer of similar-cases for the case IRI `case` (one of `self.position`)."""
        import pyoxigraph as ox

        from kg.store.oxigraph import TermCache

        own_index = self.position[case]
        own = self.set_of[own_index]
        integer, decimal = ox.NamedNode(_XSD + "integer"), ox.NamedNode(_XSD + "decimal")
        found = []
        for theirs, members in self.groups:
            shared = own & theirs
            k = len(shared)
            if not k:
                continue
            d = len(own) + len(theirs) - k
            r = (20000 * k + d) // (2 * d)  # ROUND(10000 * k / d), halves up, as fn:round
            jaccard = f"{r // 10000}.{r % 10000:04d}".rstrip("0").rstrip(".")
            slugs = sorted(self.concepts[c].partition(str(MECH))[2] for c in shared)
            terms = (
                ox.Literal(str(k), datatype=integer),
                ox.Literal(jaccard, datatype=decimal),
                ox.Literal(" ".join(slugs)),
            )
            found += [(-r, self.cases[m], m, terms) for m in members if m != own_index]
        found.sort(key=lambda row: (row[0], row[1]))
        rows = []
        for _, iri, m, terms in found:
            node = ox.NamedNode(iri)
            for title in sorted(self.titles[m]) or [None]:
                label = None if title is None else ox.Literal(title[0], language=title[1])
                rows.append((node, label, *terms))
        return Table(list(VARIABLES), native=rows, convert=TermCache())
