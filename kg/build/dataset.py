"""Build: sources + case records + vocabulary + ontology -> an RDF dataset.

One named graph per source document (its batch, cases, bodies and evidence), plus graphs
for the ontology, the vocabulary and the places. IRIs come from stable keys only and no
blank nodes are made, so the same input always serialises to the same bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SDO, SKOS, XSD

from kg.build import serialize
from kg.core.layout import Project
from kg.core.namespaces import (
    ACTOR,
    BATCH,
    BODY,
    CASE,
    CAT,
    EVID,
    GRAPH,
    MECH,
    PLACE,
    PTYPE,
    REGION,
    RKG,
    SRC,
    bind_prefixes,
)
from kg.core.rdfio import new_graph, parse_turtle
from kg.records.load import load_cases
from kg.records.schema import UNIT_LABELS, Case, KnownIds, OtherSource, QuantityClaim, Span
from kg.sources.documents import Source, load_sources
from kg.sources.places import Gazetteer, Place
from kg.sources.vocabulary import load_vocabulary, replacements, vocabulary_ids

ROLE_PROPERTY = {
    "leads": RKG.hasLeadingActor,
    "supports": RKG.hasSupportingActor,
    "participates": RKG.hasParticipatingActor,
    "evaluates": RKG.hasEvaluatingActor,
    "supervised": RKG.supervises,
}
BODY_CLASS = {
    "county-standing-committee": (RKG.CountyStandingCommittee, RKG.CountyLevel, "sc"),
    "township-congress": (RKG.TownshipCongress, RKG.TownshipLevel, "congress"),
    "street-working-committee": (RKG.StreetWorkingCommittee, RKG.TownshipLevel, "wc"),
}
BODY_NAME = {  # zh suffix, en pattern ({0}: the place, {1}: its parents)
    "county-standing-committee": ("人大常委会", "Standing Committee of the {0} People's Congress"),
    "township-congress": ("人大", "{0} People's Congress"),
    "street-working-committee": ("人大工委", "{0} Working Committee of the People's Congress"),
}
PLACE_CLASS = {
    "province": (RKG.Province, RKG.ProvincialLevel),
    "prefecture": (RKG.PrefectureCity, RKG.PrefectureLevel),
    "county": (RKG.CountyLevelDivision, RKG.CountyLevel),
    "town": (RKG.TownshipLevelDivision, RKG.TownshipLevel),
    "township": (RKG.TownshipLevelDivision, RKG.TownshipLevel),
    "street": (RKG.TownshipLevelDivision, RKG.TownshipLevel),
}
ONTOLOGY_GRAPH = GRAPH["ontology"]
VOCABULARY_GRAPH = GRAPH["vocabulary"]
PLACES_GRAPH = GRAPH["places"]
# Bodies recur across sources (repeat winners): one graph holds them, so that no triple
# sits in two graphs (a union default graph would then return it twice).
BODIES_GRAPH = GRAPH["bodies"]


@dataclass
class Inputs:
    paths: Project
    sources: dict[str, Source]
    ontology: Graph
    vocabulary: Graph
    gazetteer: Gazetteer
    cases: list[Case]


def load_inputs(root: Path | Project) -> Inputs:
    """Read and check every input of a project; all record problems are raised together."""
    paths = root if isinstance(root, Project) else Project(Path(root))
    paths.check()
    sources = load_sources(paths.sources)
    ontology = parse_turtle(paths.ontology, into=new_graph())
    vocabulary = load_vocabulary(paths.vocab)
    gazetteer = Gazetteer(paths.places)
    ids = vocabulary_ids(vocabulary)
    known = KnownIds.of(
        {s.id: s.batch.id if s.batch else "" for s in sources.values()},
        ids,
        gazetteer.keys(),
        replacements(vocabulary, str(MECH)),
        frozenset(b.id for s in sources.values() for b in s.batches),
    )
    cases = load_cases(paths.cases, known)
    return Inputs(paths, sources, ontology, vocabulary, gazetteer, cases)


@dataclass
class Build:
    """The built dataset and, for error reports, the record field each node came from."""

    dataset: Dataset
    inputs: Inputs
    origins: dict[URIRef, tuple[str, str]] = field(default_factory=dict)

    def union(self) -> Graph:
        """All named graphs merged into one graph (what `kg.ttl` holds)."""
        return serialize.union(self.dataset)

    def sorted_quads(self) -> serialize.Quads:
        return serialize.sorted_quads(self.dataset)

    def triple_count(self) -> int:
        """The number of distinct triples over all graphs (those of `union()`), counted
        without making the merged graph (a third of a seed build's time)."""
        return len({triple for graph in self.dataset.graphs() for triple in graph})


@dataclass
class StreamedBuild:
    """A build kept as its sorted quads (`build_streamed`): what is written, with no
    rdflib dataset to query. The record field of each node is kept, and with
    `graphs` the triples of each named graph, which `union` gives to the checks that
    need rdflib (SHACL and QC, when their findings are not cached)."""

    quads: serialize.Quads
    inputs: Inputs
    origins: dict[URIRef, tuple[str, str]] = field(default_factory=dict)
    graphs: tuple[serialize.TripleSet, ...] | None = None

    def sorted_quads(self) -> serialize.Quads:
        return self.quads

    def union(self) -> Graph:
        """All triples in one rdflib graph, as `Build.union` gives them."""
        if self.graphs is None:
            raise ValueError("this build kept no triples: make it with keep_graphs=True")
        return serialize.union_of(self.graphs)

    def triple_count(self) -> int:
        """Distinct triples of the union: the quads, since no triple sits in two graphs
        (bodies recur across sources, so they have a graph of their own)."""
        return self.quads.count


AnyBuild = Build | StreamedBuild  # what validation and the writers accept


def _lit(text: str, lang: str) -> list[Literal]:
    return [Literal(text, lang=lang)] if text else []


def body_iri(place_key: str, body_type: str) -> URIRef:
    return BODY[f"{place_key}-{BODY_CLASS[body_type][2]}"]


def evidence_iri(
    case_id: str, predicate: URIRef, obj: object, span: Span, source: str = "", subject: str = ""
) -> URIRef:
    """The IRI of an evidence node; `source` is given for the evidence of an other source
    (a mirror can quote the same offsets as the primary source), `subject` for a claim about
    a node other than the case (two quantities can share the span of their period)."""
    key = f"{predicate}|{obj}|{span.start}|{span.end}" + (f"|{source}" if source else "")
    key += f"|{subject}" if subject else ""
    key = key.encode()
    return EVID[f"{case_id}-{hashlib.sha256(key).hexdigest()[:12]}"]


class _CaseWriter:
    """Adds one case's triples, with an evidence statement per claim, to a graph."""

    def __init__(
        self,
        g: Graph,
        bodies: Graph,
        origins: dict[URIRef, tuple[str, str]],
        case: Case,
        source: Source,
    ):
        self.g, self.bodies, self.origins, self.case, self.source = g, bodies, origins, case, source
        self.iri = CASE[case.id]

    def add(self, s: URIRef, p: URIRef, objects: object) -> None:
        for o in objects if isinstance(objects, list) else [objects]:
            self.g.add((s, p, o))

    def evidence(self, predicate: URIRef, obj, span: Span, subject: URIRef | None = None) -> URIRef:
        other = self.source.id if self.source.id != self.case.source else ""
        about = str(subject) if subject is not None and subject != self.iri else ""
        subject = subject or self.iri
        ev = evidence_iri(self.case.id, predicate, obj, span, other, about)
        self.origins[ev] = (span.file, span.field)
        self.add(ev, RDF.type, RKG.Evidence)
        self.add(ev, RDF.subject, subject)
        self.add(ev, RDF.predicate, predicate)
        self.add(ev, RDF.object, obj if isinstance(obj, URIRef | Literal) else Literal(obj))
        self._span(ev, span)
        return ev

    def _span(self, node: URIRef, span: Span) -> None:
        self.add(node, RKG.quote, Literal(span.quote, lang="zh"))
        self.add(node, RKG.startOffset, Literal(span.start, datatype=XSD.integer))
        self.add(node, RKG.endOffset, Literal(span.end, datatype=XSD.integer))
        self.add(node, PROV.wasQuotedFrom, SRC[self.source.id])

    def claim(self, predicate: URIRef, obj: URIRef, span: Span) -> URIRef:
        self.add(self.iri, predicate, obj)
        return self.evidence(predicate, obj, span)

    def core_spans(self) -> list[tuple[int, int]]:
        """Where a claim is core: the title, the selection reason, the measure headings."""
        c = self.case
        out = [(s.start, s.end) for s in (c.title, c.selection_reason) if s is not None]
        for m in c.measures or []:
            at = m.span.quote.find(m.heading)
            if at >= 0:
                out.append((m.span.start + at, m.span.start + at + len(m.heading)))
        return out

    def write(self) -> None:
        c, s = self.case, self.iri
        self.origins[s] = (c.file, "")
        self.add(s, RDF.type, RKG.InnovationCase)
        self.add(s, DCTERMS.identifier, Literal(c.id))
        for p in (DCTERMS.title, RDFS.label):
            self.add(s, p, _lit(c.title.quote, "zh") + _lit(c.title_en, "en"))
        self.evidence(DCTERMS.title, Literal(c.title.quote, lang="zh"), c.title)
        self.add(s, DCTERMS.source, SRC[self.source.id])
        self.add(s, RKG.inBatch, BATCH[c.batch or self.source.batch.id])
        if c.item is not None:
            self.add(s, RKG.itemNumber, Literal(c.item))
        if c.evidence in EVIDENCE_LEVEL:
            self.add(s, RKG.evidenceLevel, EVIDENCE_LEVEL[c.evidence])
        self.add(s, RKG.category, CAT[c.category])
        if c.category_inferred is not None:
            ev = self.evidence(RKG.category, CAT[c.category], c.category_inferred.span)
            self.add(ev, RKG.inferenceRule, Literal(c.category_inferred.rule))
        body = body_iri(c.body.place, c.body.type)
        self.claim(RKG.declaredBy, body, c.body.span)
        self.bodies.add((body, SKOS.altLabel, Literal(c.body.span.quote, lang="zh")))
        for label in _lit(c.body.en, "en"):
            self.bodies.add((body, SKOS.altLabel, label))
        if c.start_year is not None and c.start_year_span:
            year = Literal(str(c.start_year), datatype=XSD.gYear)
            self.add(s, RKG.startYear, year)
            self.evidence(RKG.startYear, year, c.start_year_span)
        if c.selection_reason:
            text = Literal(c.selection_reason.quote, lang="zh")
            self.add(s, RKG.selectionReason, [text] + _lit(c.selection_reason_en, "en"))
            self.evidence(RKG.selectionReason, text, c.selection_reason)
        for m in c.measures:
            node = URIRef(f"{s}/measure/{m.n}")
            self.origins[node] = (c.file, m.span.field)
            self.add(s, RKG.hasMeasure, node)
            self.add(node, RDF.type, RKG.Measure)
            self.add(node, RKG.ordinal, Literal(m.n))
            self.add(node, RKG.heading, _lit(m.heading, "zh") + _lit(m.heading_en, "en"))
            self.add(node, RDFS.label, _lit(m.heading, "zh") + _lit(m.heading_en, "en"))
            self._span(node, m.span)
        core = self.core_spans()
        for claim in c.mechanisms:
            ev = self.claim(RKG.usesMechanism, MECH[claim.id], claim.span)
            inside = any(a < claim.span.end and claim.span.start < b for a, b in core)
            self.add(ev, RKG.strength, RKG.CoreClaim if inside else RKG.MentionClaim)
        for claim in c.actors:
            self.claim(ROLE_PROPERTY[claim.role], ACTOR[claim.id], claim.span)
        for i, p in enumerate(c.problems, 1):
            node = URIRef(f"{s}/problem/{i}")
            self.origins[node] = (c.file, p.span.field)
            self.add(node, RDF.type, RKG.Problem)
            self.add(node, RDFS.label, _lit(p.label, "zh") + _lit(p.en, "en"))
            self.claim(RKG.addressesProblem, node, p.span)
        for i, p in enumerate(c.platforms, 1):
            node = URIRef(f"{s}/platform/{i}")
            self.origins[node] = (c.file, p.span.field)
            self.add(node, RDF.type, RKG.Platform)
            self.add(node, RDFS.label, _lit(p.name, "zh") + _lit(p.en, "en"))
            self.add(node, RKG.platformType, PTYPE[p.type])
            self.claim(RKG.usesPlatform, node, p.span)
        for i, q in enumerate(c.quantities, 1):
            node = URIRef(f"{s}/quantity/{i}")
            self.origins[node] = (c.file, q.span.field)
            self.add(node, RDF.type, RKG.Quantity)
            self.add(node, SDO.value, _number(q.value))
            self.add(node, SDO.unitText, Literal(q.unit))
            self.add(node, RKG.countedThing, _lit(q.what, "zh") + _lit(q.what_en, "en"))
            zh, en = quantity_labels(q)
            self.add(node, RDFS.label, _lit(f"{zh}:{q.what}", "zh"))
            self.add(node, RDFS.label, _lit(f"{en}: {q.what_en}" if q.what_en else "", "en"))
            if q.qualifier != "exact":
                self.add(node, RKG.qualifier, QUALIFIER[q.qualifier])
            low, high = _bounds(q)
            if low is not None:
                self.add(node, SDO.minValue, _number(low))
            if high is not None:
                self.add(node, SDO.maxValue, _number(high))
            if q.year is not None:
                self.add(node, RKG.year, Literal(str(q.year), datatype=XSD.gYear))
            if q.period is not None:
                period = Literal(q.period.quote, lang="zh")
                self.add(node, RKG.period, period)
                self.evidence(RKG.period, period, q.period, subject=node)
            self.claim(RKG.reportsQuantity, node, q.span)


#: Evidence levels other than the full item block (which a case states by having none).
EVIDENCE_LEVEL = {
    "intro-only": RKG.IntroOnly,
    "news-mention": RKG.NewsMention,
    "truncated": RKG.TruncatedItem,
}


class _OtherSourceWriter(_CaseWriter):
    """What a further source says of a case, in that source's named graph: the case is
    `rkg:alsoReportedIn` it, with its title and unit as that text writes them."""

    def write_other(self, other: OtherSource) -> None:
        c, s = self.case, self.iri
        src = SRC[self.source.id]
        self.add(s, RKG.alsoReportedIn, src)
        ev = self.evidence(RKG.alsoReportedIn, src, other.title)
        level = EVIDENCE_LEVEL.get(other.evidence)
        if level is not None:
            self.add(ev, RKG.evidenceLevel, level)
        if other.item is not None:
            self.add(ev, RKG.itemNumber, Literal(other.item))
        if other.body is not None:
            body = body_iri(c.body.place, c.body.type)
            self.evidence(RKG.declaredBy, body, other.body)
            self.bodies.add((body, SKOS.altLabel, Literal(other.body.quote, lang="zh")))


QUALIFIER = {
    "at-least": RKG.AtLeast,
    "about": RKG.About,
    "at-most": RKG.AtMost,
    "range": RKG.Range,
}


def _number(value: int | float) -> Literal:
    return Literal(value) if isinstance(value, int) else Literal(Decimal(str(value)))


def _bounds(q: QuantityClaim) -> tuple[int | float | None, int | float | None]:
    """schema:minValue and schema:maxValue of a quantity, from its qualifier."""
    return {
        "at-least": (q.value, None),
        "at-most": (None, q.value),
        "range": (q.value, q.high),
    }.get(q.qualifier, (None, None))


def quantity_labels(q: QuantityClaim) -> tuple[str, str]:
    """The number with its measure word and qualifier: 6场以上 / at least 6 events."""
    zh_unit, en_unit = UNIT_LABELS[q.unit]
    n = f"{q.value:,}"
    if q.qualifier == "range":
        return f"{n}-{q.high:,}{zh_unit}", f"{n}–{q.high:,} {en_unit}"
    return {
        "at-least": (f"{n}{zh_unit}以上", f"at least {n} {en_unit}"),
        "about": (f"约{n}{zh_unit}", f"about {n} {en_unit}"),
        "at-most": (f"{n}{zh_unit}以内", f"at most {n} {en_unit}"),
    }.get(q.qualifier, (f"{n}{zh_unit}", f"{n} {en_unit}"))


def _place_triples(g: Graph, gaz: Gazetteer, place: Place) -> None:
    iri = PLACE[place.key]
    cls, level = PLACE_CLASS[place.kind]
    g.add((iri, RDF.type, cls))
    for lit in _lit(place.name, "zh") + _lit(place.en, "en"):
        g.add((iri, RDFS.label, lit))
    g.add((iri, RKG.level, level))
    g.add((iri, DCTERMS.source, Literal(place.origin)))
    if place.code:
        g.add((iri, RKG.divisionCode, Literal(place.code)))
    if place.parent:
        g.add((iri, RKG.partOf, PLACE[place.parent]))
    if place.lat is not None and place.lon is not None:
        g.add((iri, SDO.latitude, Literal(Decimal(str(place.lat)))))
        g.add((iri, SDO.longitude, Literal(Decimal(str(place.lon)))))
    region = next((p.region for p in gaz.chain(place.key) if p.region), None)
    if region:  # inherited from the prefecture so that queries need no path
        g.add((iri, RKG.region, REGION[region]))


def _body_triples(g: Graph, gaz: Gazetteer, place_key: str, body_type: str, name: str) -> None:
    """A body, labelled in Chinese as its first case's source names it (廉江市人大常委会,
    not 湛江市廉江市人大常委会); its full name down the place chain is an altLabel."""
    iri = body_iri(place_key, body_type)
    cls, level, _ = BODY_CLASS[body_type]
    chain = gaz.chain(place_key)
    named = [p for p in reversed(chain) if p.kind != "province"]
    zh_suffix, en_pattern = BODY_NAME[body_type]
    g.add((iri, RDF.type, cls))
    g.add((iri, RDFS.label, Literal(name, lang="zh")))
    g.add((iri, SKOS.altLabel, Literal("".join(p.name for p in named) + zh_suffix, lang="zh")))
    if all(p.en for p in named):
        parents = ", ".join(p.en for p in reversed(named[:-1]))
        label = en_pattern.format(named[-1].en) + (f" ({parents})" if parents else "")
        g.add((iri, RDFS.label, Literal(label, lang="en")))
    g.add((iri, RKG.level, level))
    g.add((iri, RKG.jurisdiction, PLACE[place_key]))


def _source_triples(g: Graph, source: Source) -> None:
    s = SRC[source.id]
    g.add((s, RDF.type, RKG.SourceDocument))
    g.add((s, DCTERMS.identifier, Literal(source.id)))
    g.add((s, DCTERMS.title, Literal(source.title, lang="zh")))
    g.add((s, DCTERMS.title, Literal(source.title_en, lang="en")))
    g.add((s, RDFS.label, Literal(source.title, lang="zh")))
    g.add((s, DCTERMS.publisher, Literal(source.publisher, lang="zh")))
    if source.date:
        g.add((s, DCTERMS.issued, Literal(source.date, datatype=XSD.date)))
    for lit in _lit(source.issuing_body, "zh") + _lit(source.issuing_body_en, "en"):
        g.add((s, DCTERMS.creator, lit))
    for lit in _lit(source.notice_title, "zh"):
        g.add((s, RKG.noticeTitle, lit))
    if source.url:
        g.add((s, SDO.url, Literal(source.url, datatype=XSD.anyURI)))
    if source.genre:
        g.add((s, RKG.genre, Literal(source.genre)))
    for lit in _lit(source.original_publisher, "zh"):
        g.add((s, RKG.originalPublisher, lit))
    g.add((s, RKG.sha256, Literal(source.sha256)))
    g.add((s, RKG.fileName, Literal(source.path.name)))
    for batch in source.defined_batches():
        b = BATCH[batch.id]
        g.add((b, RDF.type, RKG.Batch))
        g.add((b, RDFS.label, Literal(batch.label, lang="zh")))
        for lit in _lit(batch.label_en, "en"):
            g.add((b, RDFS.label, lit))
        g.add((b, RKG.ordinal, Literal(batch.ordinal)))
        g.add((b, RKG.year, Literal(str(batch.year), datatype=XSD.gYear)))
        g.add((b, RKG.province, PLACE[batch.province]))
        g.add((b, DCTERMS.source, s))


def build(inputs: Inputs) -> Build:
    """Turn checked inputs into a dataset with one named graph per source."""
    dataset = Dataset()
    bind_prefixes(dataset.namespace_manager)
    result = Build(dataset, inputs)
    for _ in build_graphs(inputs, result.origins, dataset.graph):
        pass  # each graph is made inside the dataset
    return result


def build_streamed(inputs: Inputs, *, keep_graphs: bool = False) -> StreamedBuild:
    """`build`, one named graph at a time: each is turned into quads and dropped before
    the next is made, so a corpus whose rdflib dataset would not fit in memory (~2 KB a
    triple: 100k cases are ~9.6 M triples) is built in one process (`kg build
    --no-validate`). Same quads, same bytes written.

    With `keep_graphs` each graph's triples are kept as plain sets (a third of the cost
    of rdflib's store), so the build can be validated: `kg build` and `kg run` take this
    path, and make an rdflib graph (`StreamedBuild.union`) only when SHACL has to run."""
    origins: dict[URIRef, tuple[str, str]] = {}
    graphs = build_graphs(inputs, origins, serialize.TripleSet)
    if not keep_graphs:
        return StreamedBuild(serialize.quads_of(graphs), inputs, origins)
    kept = tuple(graphs)
    return StreamedBuild(serialize.quads_of(kept), inputs, origins, kept)


def build_graphs(
    inputs: Inputs,
    origins: dict[URIRef, tuple[str, str]],
    make: Callable[[URIRef], Graph] = lambda name: Graph(identifier=name),
) -> Iterator[Graph]:
    """The named graphs of the build, each made by `make` and yielded once complete:
    the ontology, the vocabulary, the places, one per source, and last the bodies (which
    every source's cases add to). A consumer may drop a graph once it has read it."""
    yield _copy(inputs.ontology, make(ONTOLOGY_GRAPH))
    yield _copy(inputs.vocabulary, make(VOCABULARY_GRAPH))
    gaz = inputs.gazetteer
    place_keys = {p.key for c in inputs.cases for p in gaz.chain(c.body.place)}
    place_keys |= {
        p.key
        for s in inputs.sources.values()
        for b in s.defined_batches()
        for p in gaz.chain(b.province)
    }
    places = make(PLACES_GRAPH)
    for key in sorted(place_keys):
        _place_triples(places, gaz, gaz.place(key))
    yield places
    bodies = make(BODIES_GRAPH)
    told: dict[str, list[tuple[Case, OtherSource | None]]] = {}  # source -> what it tells
    for case in inputs.cases:
        told.setdefault(case.source, []).append((case, None))
        for other in case.other_sources:
            told.setdefault(other.source, []).append((case, other))
    for source_id in sorted(inputs.sources):
        source = inputs.sources[source_id]
        g = make(GRAPH[f"source/{source_id}"])
        _source_triples(g, source)
        for case, other in told.get(source_id, []):
            if other is None:
                _CaseWriter(g, bodies, origins, case, source).write()
            else:
                _OtherSourceWriter(g, bodies, origins, case, source).write_other(other)
        yield g
    first_named: dict[tuple[str, str], str] = {}  # body -> its name in its first case
    for case in inputs.cases:  # sorted by id
        first_named.setdefault((case.body.place, case.body.type), case.body.span.quote)
    for (place, body_type), name in sorted(first_named.items()):
        _body_triples(bodies, gaz, place, body_type, name)
    yield bodies


def _copy(src: Graph, dst: Graph) -> Graph:
    for triple in src:
        dst.add(triple)
    return dst


def output_files(result: AnyBuild, out: Path) -> list[tuple[Path, bytes]]:
    """The files `kg build` writes, fully rendered in memory before anything is written."""
    quads = result.sorted_quads()
    return [
        (out / "kg.ttl", serialize.write_quads(quads, "ttl")),
        (out / "kg.trig", serialize.write_quads(quads, "trig")),
    ]
