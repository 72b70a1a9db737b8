"""Curated case records (`data/cases/*.yaml`) read into typed, located objects.

Loading checks structure and ids (types, required fields, known vocabulary and
places); whether quotes match the source is checked in `kg.validate.checks`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kg.core.errors import KgError, Problem
from kg.core.fields import Fields, suggest
from kg.core.yamlstrict import load_yaml

BODY_TYPES = ("county-standing-committee", "township-congress", "street-working-committee")
ACTOR_ROLES = ("leads", "supports", "participates", "evaluates", "supervised")
UNIT_LABELS = {  # record unit -> (zh, en) for labels; schema:unitText keeps the code
    "CNY": ("元", "yuan"),
    "person": ("人", "people"),
    "person-time": ("人次", "person-times"),
    "item": ("件", "items"),
    "station": ("个站", "stations"),
    "event": ("场", "events"),
    "group": ("个组", "groups"),
    "percent": ("%", "percent"),
    "point": ("分", "points"),
    "year": ("年", "years"),
    "time": ("次", "times"),
}
UNITS = tuple(UNIT_LABELS)


@dataclass(frozen=True)
class Span:
    """A verbatim quote and its [start, end) code-point offsets in the case's source."""

    quote: str
    start: int
    end: int
    file: str
    field: str
    line: int | None


@dataclass(frozen=True)
class Measure:
    n: int
    heading: str
    heading_en: str
    span: Span


@dataclass(frozen=True)
class Claim:
    """A claim that a case uses a vocabulary concept (mechanism or actor), with evidence."""

    id: str
    span: Span
    role: str = ""


@dataclass(frozen=True)
class ProblemClaim:
    label: str
    en: str
    span: Span


@dataclass(frozen=True)
class PlatformClaim:
    name: str
    en: str
    type: str
    span: Span


@dataclass(frozen=True)
class QuantityClaim:
    value: int | float
    unit: str
    what: str
    what_en: str
    year: int | None
    span: Span


@dataclass(frozen=True)
class BodyRef:
    type: str
    place: str
    en: str
    span: Span


@dataclass(frozen=True)
class Case:
    id: str
    file: str
    source: str
    item: int
    category: str
    title: Span
    title_en: str
    body: BodyRef
    measures: list[Measure]
    mechanisms: list[Claim]
    selection_reason: Span | None = None
    selection_reason_en: str = ""
    start_year: int | None = None
    start_year_span: Span | None = None
    actors: list[Claim] = field(default_factory=list)
    problems: list[ProblemClaim] = field(default_factory=list)
    platforms: list[PlatformClaim] = field(default_factory=list)
    quantities: list[QuantityClaim] = field(default_factory=list)

    def spans(self) -> list[Span]:
        """Every evidence span of the record, in file order of the fields."""
        out = [self.title, self.body.span]
        out += [s for s in (self.start_year_span, self.selection_reason) if s]
        out += [m.span for m in self.measures]
        for claims in (
            self.mechanisms,
            self.actors,
            self.problems,
            self.platforms,
            self.quantities,
        ):
            out += [c.span for c in claims]
        return out


@dataclass(frozen=True)
class KnownIds:
    """The ids a record may refer to, taken from the vocabulary, places and sources."""

    sources: dict[str, str]  # source id -> batch id
    categories: frozenset[str]
    mechanisms: frozenset[str]
    actors: frozenset[str]
    platform_types: frozenset[str]
    places: frozenset[str]


def _span(f: Fields) -> Span:
    quote = f.text("quote")
    start = f.integer("start", minimum=0)
    end = f.integer("end", minimum=1)
    if end <= start:
        f.fail("end", f"end ({end}) must be greater than start ({start})")
    return Span(quote, start, end, f.file, f.path, f.line)


def _vocab_id(f: Fields, key: str, known: frozenset[str], what: str, where: str) -> str:
    value = f.slug(key)
    if value not in known:
        f.fail(
            key,
            f"unknown {what} id {value!r}",
            suggest(value, known) or f"use an id defined in {where}",
        )
    return value


def load_case(path: Path, known: KnownIds) -> Case:
    """Read one case record; a `KgError` names the file, line and field on any problem."""
    f = Fields(load_yaml(path), str(path))
    case_id = f.slug("id")
    source = f.choice("source", known.sources)
    item = f.integer("item", minimum=1)
    expected_id = f"{known.sources[source]}-{item:02d}"
    if case_id != expected_id:
        f.fail(
            "id",
            f"id {case_id!r} does not match batch and item: expected {expected_id!r}",
            "the id is {batch id}-{item, two digits}",
        )
    if path.stem != case_id:
        f.fail(
            "id",
            f"file name {path.name!r} does not match id {case_id!r}",
            f"rename the file to {case_id}.yaml",
        )
    category = _vocab_id(f, "category", known.categories, "category", "data/vocab/categories.ttl")

    t = f.sub("title")
    title, title_en = _span(t), t.text("en")
    t.done()

    b = f.sub("body")
    body = BodyRef(b.choice("type", BODY_TYPES), "", b.text("en", ""), _span(b))
    place = b.text("place")
    if place not in known.places:
        b.fail(
            "place",
            f"unknown place {place!r}",
            suggest(place, known.places)
            or "use a GB/T 2260 code (quoted) or a town key from data/places/places.yaml",
        )
    body = BodyRef(body.type, place, body.en, body.span)
    b.done()

    start_year = start_year_span = None
    if f.has("start_year"):
        s = f.sub("start_year")
        start_year, start_year_span = s.integer("year", minimum=1949), _span(s)
        s.done()
    else:
        f.get("start_year", None)

    measures = []
    for m in f.items("measures"):
        heading = m.text("heading")
        measure = Measure(m.integer("n", minimum=1), heading, m.text("heading_en", ""), _span(m))
        if heading not in measure.span.quote:
            m.fail("heading", "the heading must occur verbatim inside the measure's quote")
        if measure.n != len(measures) + 1:
            m.fail("n", f"measures must be numbered 1, 2, 3, ... in order; found {measure.n}")
        measures.append(measure)
        m.done()

    reason = reason_en = None
    if f.has("selection_reason"):
        r = f.sub("selection_reason")
        reason, reason_en = _span(r), r.text("en", "")
        r.done()
    else:
        f.get("selection_reason", None)

    mechanisms = []
    for m in f.items("mechanisms"):
        mid = _vocab_id(m, "id", known.mechanisms, "mechanism", "data/vocab/mechanisms.ttl")
        mechanisms.append(Claim(mid, _span(m)))
        m.done()

    actors = []
    for a in f.items("actors", required=False):
        aid = _vocab_id(a, "id", known.actors, "actor", "data/vocab/actors.ttl")
        actors.append(Claim(aid, _span(a), a.choice("role", ACTOR_ROLES)))
        a.done()

    problems = []
    for p in f.items("problems", required=False):
        problems.append(ProblemClaim(p.text("label"), p.text("en", ""), _span(p)))
        p.done()

    platforms = []
    for p in f.items("platforms", required=False):
        ptype = _vocab_id(
            p, "type", known.platform_types, "platform type", "data/vocab/platform-types.ttl"
        )
        platforms.append(PlatformClaim(p.text("name"), p.text("en", ""), ptype, _span(p)))
        p.done()

    quantities = []
    for q in f.items("quantities", required=False):
        year = q.integer("year", None, minimum=1949)
        quantities.append(
            QuantityClaim(
                q.number("value"),
                q.choice("unit", UNITS),
                q.text("what"),
                q.text("what_en", ""),
                year,
                _span(q),
            )
        )
        q.done()
    f.done()
    return Case(
        case_id,
        str(path),
        source,
        item,
        category,
        title,
        title_en,
        body,
        measures,
        mechanisms,
        reason,
        reason_en or "",
        start_year,
        start_year_span,
        actors,
        problems,
        platforms,
        quantities,
    )


def load_cases(folder: Path, known: KnownIds) -> list[Case]:
    """Every record in `folder`, sorted by id; all files' problems are reported together."""
    cases: list[Case] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, int], str] = {}
    paths = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    for path in paths:
        try:
            case = load_case(path, known)
        except KgError as exc:
            problems += exc.problems
            continue
        key = (case.source, case.item)
        if key in seen:
            problems.append(
                Problem(
                    str(path),
                    f"duplicate case: item {case.item} of {case.source} is also in {seen[key]}",
                    "item",
                    hint="each item of a notice has exactly one record",
                )
            )
            continue
        seen[key] = str(path)
        cases.append(case)
    if problems:
        raise KgError(problems)
    return sorted(cases, key=lambda c: c.id)
