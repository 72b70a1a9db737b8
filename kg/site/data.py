"""What the site shows, read from the graph with the site's own SPARQL queries.

Everything comes through `QueryGraph.query`, so any store works (memory, Oxigraph, a
remote endpoint). Properties that only some graphs have are asked with OPTIONAL: the
evidence level and the several sources of a case (added by the records and the build),
the facets, scope notes and deprecations of the mechanism vocabulary v2, claim strength,
quantity qualifiers and periods. Source texts are not in the graph: the caller hands them
over by source id (`kg.sources.documents.load_sources`), and they are checked against the
SHA-256 the graph holds, since every offset counts code points of that exact text.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rdflib import Literal

from kg.core.errors import KgError, Problem
from kg.core.namespaces import BASE, PREFIXES

if TYPE_CHECKING:
    from kg.query.graph import QueryGraph

#: Where each kind of page lives: site/<kind>/<local name>.html, local name = the IRI
#: after this namespace (the query page of `kg serve` links to the same paths).
KINDS = {
    "case": BASE + "case/",
    "mechanism": BASE + "mechanism/",
    "body": BASE + "body/",
    "place": BASE + "place/",
    "source": BASE + "source/",
    "batch": BASE + "batch/",
}
EVIDENCE_NS = BASE + "evidence/"
#: Not in every graph yet: a case's evidence level (full | intro-only | news-mention |
#: truncated), asked with OPTIONAL so older graphs render too.
EVIDENCE_LEVEL = PREFIXES["rkg"] + "evidenceLevel"

_LABELS = """
SELECT ?s ?label WHERE {
  VALUES ?p { rdfs:label skos:prefLabel dcterms:title }
  ?s ?p ?label .
  FILTER(isIRI(?s) && isLiteral(?label) && !STRSTARTS(STR(?s), STR(evid:)))
}
"""
_CASES = """
SELECT ?case ?batch ?item ?category ?body ?start_year ?reason ?evidence_level WHERE {
  ?case a rkg:InnovationCase ; rkg:inBatch ?batch ; rkg:category ?category ;
        rkg:declaredBy ?body .
  OPTIONAL { ?case rkg:itemNumber ?item }
  OPTIONAL { ?case rkg:startYear ?start_year }
  OPTIONAL { ?case rkg:selectionReason ?reason }
  OPTIONAL { ?case <EVIDENCE_LEVEL> ?evidence_level }
}
""".replace("EVIDENCE_LEVEL", EVIDENCE_LEVEL)
_CASE_SOURCES = """
SELECT ?case ?source WHERE { ?case a rkg:InnovationCase ; dcterms:source ?source }
"""
_BODIES = """
SELECT ?body ?type ?level ?place WHERE {
  ?case rkg:declaredBy ?body .
  ?body rkg:jurisdiction ?place .
  OPTIONAL { ?body rkg:level ?level }
  OPTIONAL { ?body a ?type . ?type rdfs:subClassOf rkg:CongressBody }
}
"""
_BODY_NAMES = """
SELECT ?body ?name WHERE { ?case rkg:declaredBy ?body . ?body skos:altLabel ?name }
"""
_PLACES = """
SELECT ?place ?rank ?code ?parent ?region ?latitude ?longitude WHERE {
  ?place rkg:level ?level .
  ?level rkg:rank ?rank .
  OPTIONAL { ?place rkg:divisionCode ?code }
  OPTIONAL { ?place rkg:partOf ?parent }
  OPTIONAL { ?place rkg:region ?region }
  OPTIONAL { ?place schema:latitude ?latitude ; schema:longitude ?longitude }
}
"""
_MECHANISMS = """
SELECT ?m ?broader ?definition ?scope ?alt ?deprecated ?replaced ?top WHERE {
  { ?m a rkg:Mechanism } UNION { ?m skos:inScheme scheme:mechanisms }
  OPTIONAL { ?m skos:broader ?broader }
  OPTIONAL { ?m skos:definition ?definition }
  OPTIONAL { ?m skos:scopeNote ?scope }
  OPTIONAL { ?m skos:altLabel ?alt }
  OPTIONAL { ?m owl:deprecated ?deprecated }
  OPTIONAL { ?m dcterms:isReplacedBy ?replaced }
  OPTIONAL { ?m skos:topConceptOf ?top }
}
"""
_FACETS = """
SELECT ?facet ?member WHERE {
  ?facet a skos:Collection ; skos:member ?member .
  FILTER(STRSTARTS(STR(?facet), STR(scheme:facet-)))
}
"""
_EVIDENCE = """
SELECT ?ev ?subject ?predicate ?object ?quote ?start ?end ?source ?strength WHERE {
  ?ev a rkg:Evidence ; rdf:subject ?subject ; rdf:predicate ?predicate ; rdf:object ?object ;
      rkg:quote ?quote ; rkg:startOffset ?start ; rkg:endOffset ?end ;
      prov:wasQuotedFrom ?source .
  OPTIONAL { ?ev rkg:strength ?strength }
}
"""
_MEASURES = """
SELECT ?case ?measure ?n ?quote ?start ?end ?source WHERE {
  ?case rkg:hasMeasure ?measure .
  ?measure rkg:ordinal ?n ; rkg:quote ?quote ; rkg:startOffset ?start ; rkg:endOffset ?end .
  OPTIONAL { ?measure prov:wasQuotedFrom ?source }
}
"""
_HEADINGS = """
SELECT ?measure ?heading WHERE { ?case rkg:hasMeasure ?measure . ?measure rkg:heading ?heading }
"""
_QUANTITIES = """
SELECT ?case ?q ?value ?unit ?what ?year ?qualifier ?period ?low ?high WHERE {
  ?case rkg:reportsQuantity ?q .
  ?q schema:value ?value .
  OPTIONAL { ?q schema:unitText ?unit }
  OPTIONAL { ?q rkg:countedThing ?what }
  OPTIONAL { ?q rkg:year ?year }
  OPTIONAL { ?q rkg:qualifier ?qualifier }
  OPTIONAL { ?q rkg:period ?period }
  OPTIONAL { ?q schema:minValue ?low }
  OPTIONAL { ?q schema:maxValue ?high }
}
"""
_SOURCES = """
SELECT ?source ?publisher ?issued ?sha ?file ?notice ?creator ?url WHERE {
  ?source a rkg:SourceDocument .
  OPTIONAL { ?source dcterms:publisher ?publisher }
  OPTIONAL { ?source dcterms:issued ?issued }
  OPTIONAL { ?source rkg:sha256 ?sha }
  OPTIONAL { ?source rkg:fileName ?file }
  OPTIONAL { ?source rkg:noticeTitle ?notice }
  OPTIONAL { ?source dcterms:creator ?creator }
  OPTIONAL { ?source schema:url|dcat:landingPage ?url }
}
"""
_BATCHES = """
SELECT ?batch ?ordinal ?year ?province ?source WHERE {
  ?batch a rkg:Batch .
  OPTIONAL { ?batch rkg:ordinal ?ordinal }
  OPTIONAL { ?batch rkg:year ?year }
  OPTIONAL { ?batch rkg:province ?province }
  OPTIONAL { ?batch dcterms:source ?source }
}
"""


@dataclass
class Text:
    """A string in Chinese and English (English falls back to the Chinese)."""

    zh: str = ""
    en: str = ""

    def __bool__(self) -> bool:
        return bool(self.zh or self.en)


@dataclass
class Evidence:
    id: str  # local name of the evidence IRI: the anchor on both pages
    subject: str
    predicate: str
    object: str
    quote: str
    start: int
    end: int
    source: str  # source id
    strength: str = ""  # core | mention | ""


@dataclass
class Measure:
    id: str
    n: int
    heading: Text
    quote: str
    start: int
    end: int
    source: str


@dataclass
class Quantity:
    id: str
    value: object
    unit: str
    what: Text
    label: Text
    year: str = ""
    qualifier: str = ""  # IRI of rkg:AtLeast ...
    period: str = ""


@dataclass
class Case:
    id: str
    title: Text
    batch: str
    item: int | None
    category: str
    body: str
    start_year: str = ""
    reason: Text = field(default_factory=Text)
    evidence_level: str = ""
    sources: list[str] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    quantities: list[Quantity] = field(default_factory=list)
    mechanisms: list[str] = field(default_factory=list)  # direct tags, sorted


@dataclass
class Body:
    id: str
    label: Text
    type: str
    level: str
    place: str
    cases: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # other names (skos:altLabel)


@dataclass
class Place:
    id: str
    label: Text
    rank: int
    code: str = ""
    parent: str = ""
    region: str = ""
    lat: float | None = None
    lon: float | None = None
    children: list[str] = field(default_factory=list)


@dataclass
class Mechanism:
    id: str
    label: Text
    definition: Text = field(default_factory=Text)
    scope: Text = field(default_factory=Text)
    alt: list[str] = field(default_factory=list)
    broader: list[str] = field(default_factory=list)
    narrower: list[str] = field(default_factory=list)
    facet: str = ""
    deprecated: bool = False
    replaced_by: str = ""


@dataclass
class Source:
    id: str
    title: Text
    publisher: str = ""
    issued: str = ""
    sha256: str = ""
    file: str = ""
    notice: str = ""
    creator: Text = field(default_factory=Text)
    url: str = ""
    text: str | None = None


@dataclass
class Batch:
    id: str
    label: Text
    ordinal: int | None = None
    year: str = ""
    province: str = ""
    sources: list[str] = field(default_factory=list)


@dataclass
class SiteData:
    """Everything the pages show, keyed by local name (the page's file name)."""

    cases: dict[str, Case]
    bodies: dict[str, Body]
    places: dict[str, Place]
    mechanisms: dict[str, Mechanism]
    facets: dict[str, Text]  # facet local name (facet-instrument) -> label; {} for v1
    sources: dict[str, Source]
    batches: dict[str, Batch]
    evidence: list[Evidence]
    labels: dict[str, Text]  # any IRI -> its labels

    def label(self, iri: str) -> Text:
        return self.labels.get(iri) or Text(local(iri), local(iri))

    def place_chain(self, place: str) -> list[str]:
        """The place and its ancestors, nearest first."""
        chain: list[str] = []
        while place and place in self.places and place not in chain:
            chain.append(place)
            place = self.places[place].parent
        return chain

    def case_place(self, case: str) -> str:
        return self.bodies[self.cases[case].body].place

    def families(self, mechanism: str) -> list[str]:
        """The top concepts above a mechanism (itself if it is one)."""
        seen, stack, tops = set(), [mechanism], []
        while stack:
            m = stack.pop()
            if m in seen or m not in self.mechanisms:
                continue
            seen.add(m)
            up = self.mechanisms[m].broader
            if not up:
                tops.append(m)
            stack.extend(up)
        return sorted(tops) or [mechanism]


def local(iri: str) -> str:
    """The page name of an IRI: what follows its namespace."""
    for ns in (*KINDS.values(), EVIDENCE_NS, BASE + "scheme/"):
        if iri.startswith(ns):
            return iri[len(ns) :]
    return iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _rows(kg: QueryGraph, text: str) -> list[tuple]:
    return kg.query_own(text).rows  # ours, read-only, no deadline: big graphs take their time


def _s(term) -> str:
    return "" if term is None else str(term)


def _lang_text(values: list) -> Text:
    """One Text from several literals: the smallest per language, for stable output."""
    zh = sorted(str(v) for v in values if isinstance(v, Literal) and v.language != "en")
    en = sorted(str(v) for v in values if isinstance(v, Literal) and v.language == "en")
    return Text(zh[0] if zh else (en[0] if en else ""), en[0] if en else "")


def _grouped(rows, key: int = 0, value: int = 1) -> dict[str, list]:
    out: dict[str, list] = defaultdict(list)
    for row in rows:
        if row[value] is not None:
            out[str(row[key])].append(row[value])
    return out


def load_site_data(kg: QueryGraph, texts: Mapping[str, str] | None = None) -> SiteData:
    """Read the graph (and the source texts, by source id) into what the pages show."""
    labels = {iri: _lang_text(vs) for iri, vs in _grouped(_rows(kg, _LABELS)).items()}

    def text_of(iri) -> Text:
        return labels.get(str(iri)) or Text(local(str(iri)), "")

    cases: dict[str, Case] = {}
    reasons: dict[str, list] = defaultdict(list)
    for case, batch, item, cat, body, year, reason, level in _rows(kg, _CASES):
        cid = local(str(case))
        if cid not in cases:
            cases[cid] = Case(
                cid,
                text_of(case),
                local(str(batch)),
                int(item) if item is not None else None,
                str(cat),
                local(str(body)),
                _s(year),
                evidence_level=_s(level),
            )
        if reason is not None:
            reasons[cid].append(reason)
        if level is not None and str(level) < cases[cid].evidence_level:
            cases[cid].evidence_level = str(level)
    for cid, values in reasons.items():
        cases[cid].reason = _lang_text(values)
    for case, source in _rows(kg, _CASE_SOURCES):
        c = cases.get(local(str(case)))
        if c is not None and local(str(source)) not in c.sources:
            c.sources.append(local(str(source)))

    bodies: dict[str, Body] = {}
    for body, btype, level, place in _rows(kg, _BODIES):
        b = bodies.setdefault(
            local(str(body)), Body(local(str(body)), text_of(body), "", "", local(str(place)))
        )
        if btype is not None and (not b.type or str(btype) < b.type):
            b.type = str(btype)
        b.level = b.level or _s(level)
    for c in sorted(cases.values(), key=lambda c: c.id):
        if c.body in bodies:
            bodies[c.body].cases.append(c.id)
    for body, name in _rows(kg, _BODY_NAMES):
        b = bodies.get(local(str(body)))
        if b is not None and str(name) not in b.names and str(name) != b.label.zh:
            b.names.append(str(name))
    for b in bodies.values():
        b.names.sort()

    places: dict[str, Place] = {}
    for place, rank, code, parent, region, lat, lon in _rows(kg, _PLACES):
        pid = local(str(place))
        if pid in places:
            continue
        places[pid] = Place(
            pid,
            text_of(place),
            int(rank),
            _s(code),
            local(str(parent)) if parent is not None else "",
            _s(region),
            float(lat) if lat is not None else None,
            float(lon) if lon is not None else None,
        )
    for p in sorted(places.values(), key=lambda p: (p.code, p.id)):
        if p.parent in places:
            places[p.parent].children.append(p.id)

    mechanisms = _mechanisms(kg, text_of)
    facets: dict[str, Text] = {}
    for facet, member in _rows(kg, _FACETS):
        facets.setdefault(local(str(facet)), text_of(facet))
        m = mechanisms.get(local(str(member)))
        if m is not None and not m.facet:
            m.facet = local(str(facet))

    evidence = [
        Evidence(
            local(str(ev)),
            str(subject),
            str(predicate),
            str(obj),
            str(quote),
            int(start),
            int(end),
            local(str(source)),
            {"CoreClaim": "core", "MentionClaim": "mention"}.get(local(_s(strength)), ""),
        )
        for ev, subject, predicate, obj, quote, start, end, source, strength in _rows(kg, _EVIDENCE)
    ]
    evidence.sort(key=lambda e: (e.source, e.start, e.end, e.id))
    uses = PREFIXES["rkg"] + "usesMechanism"
    for e in evidence:
        c = cases.get(local(e.subject)) if e.subject.startswith(KINDS["case"]) else None
        if c is not None and e.predicate == uses and local(e.object) not in c.mechanisms:
            c.mechanisms.append(local(e.object))
    for c in cases.values():
        c.mechanisms.sort()
    _measures(kg, cases)
    _quantities(kg, cases, text_of)
    sources = _sources(kg, text_of, texts or {})
    batches: dict[str, Batch] = {}
    for batch, ordinal, year, province, source in _rows(kg, _BATCHES):
        b = batches.setdefault(
            local(str(batch)),
            Batch(
                local(str(batch)),
                text_of(batch),
                int(ordinal) if ordinal is not None else None,
                _s(year),
                local(str(province)) if province is not None else "",
            ),
        )
        if source is not None and local(str(source)) not in b.sources:
            b.sources.append(local(str(source)))
    return SiteData(
        dict(sorted(cases.items())),
        dict(sorted(bodies.items())),
        dict(sorted(places.items())),
        mechanisms,
        dict(sorted(facets.items())),
        sources,
        dict(sorted(batches.items())),
        evidence,
        labels,
    )


def _mechanisms(kg: QueryGraph, text_of) -> dict[str, Mechanism]:
    found: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row in _rows(kg, _MECHANISMS):
        m = local(str(row[0]))
        for name, value in zip(
            ("broader", "definition", "scope", "alt", "deprecated", "replaced", "top"),
            row[1:],
            strict=True,
        ):
            if value is not None and value not in found[m][name]:
                found[m][name].append(value)
    out: dict[str, Mechanism] = {}
    for m, f in sorted(found.items()):
        out[m] = Mechanism(
            m,
            text_of(KINDS["mechanism"] + m),
            _lang_text(f["definition"]),
            _lang_text(f["scope"]),
            sorted({str(a) for a in f["alt"]}),
            sorted(local(str(b)) for b in f["broader"]),
            deprecated=any(str(d).lower() in ("true", "1") for d in f["deprecated"]),
            replaced_by=local(str(f["replaced"][0])) if f["replaced"] else "",
        )
    for m in out.values():
        for b in m.broader:
            if b in out:
                out[b].narrower.append(m.id)
    return out


def _measures(kg: QueryGraph, cases: dict[str, Case]) -> None:
    headings = {iri: _lang_text(vs) for iri, vs in _grouped(_rows(kg, _HEADINGS)).items()}
    for case, measure, n, quote, start, end, source in _rows(kg, _MEASURES):
        c = cases.get(local(str(case)))
        if c is None:
            continue
        c.measures.append(
            Measure(
                str(measure).rsplit("/", 1)[-1],
                int(n),
                headings.get(str(measure), Text()),
                str(quote),
                int(start),
                int(end),
                local(str(source)) if source is not None else (c.sources or [""])[0],
            )
        )
    for c in cases.values():
        c.measures.sort(key=lambda m: (m.n, m.start))


def _quantities(kg: QueryGraph, cases: dict[str, Case], text_of) -> None:
    found: dict[str, Quantity] = {}
    whats: dict[str, list] = defaultdict(list)
    for case, q, value, unit, what, year, qualifier, period, _, _ in _rows(kg, _QUANTITIES):
        c = cases.get(local(str(case)))
        if c is None:
            continue
        if what is not None and what not in whats[str(q)]:
            whats[str(q)].append(what)
        if str(q) in found:
            continue
        found[str(q)] = quantity = Quantity(
            str(q),
            value.toPython() if isinstance(value, Literal) else value,
            _s(unit),
            Text(),
            text_of(q),
            _s(year),
            _s(qualifier),
            _s(period),
        )
        c.quantities.append(quantity)
    for iri, quantity in found.items():
        quantity.what = _lang_text(whats[iri])
    for c in cases.values():
        c.quantities.sort(key=lambda q: (len(q.id), q.id))


def _sources(kg: QueryGraph, text_of, texts: Mapping[str, str]) -> dict[str, Source]:
    out: dict[str, Source] = {}
    creators: dict[str, list] = defaultdict(list)
    for src, publisher, issued, sha, file, notice, creator, url in _rows(kg, _SOURCES):
        sid = local(str(src))
        s = out.setdefault(sid, Source(sid, text_of(src)))
        s.publisher = s.publisher or _s(publisher)
        s.issued, s.sha256, s.file = s.issued or _s(issued), s.sha256 or _s(sha), s.file or _s(file)
        s.notice, s.url = s.notice or _s(notice), s.url or _s(url)
        if creator is not None:
            creators[sid].append(creator)
    for sid, values in creators.items():
        out[sid].creator = _lang_text(values)
    for sid, s in out.items():
        text = texts.get(sid)
        if text is None:
            continue
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if s.sha256 and digest != s.sha256:
            raise KgError(
                Problem(
                    s.file or sid,
                    f"the text's SHA-256 is {digest}, the graph says {s.sha256}",
                    hint="rebuild the graph from the same data/sources (kg build)",
                )
            )
        s.text = text
    return dict(sorted(out.items()))
