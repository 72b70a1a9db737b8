"""The record format of `data/cases/*.yaml`: the one reference of what a case record holds.

A record is one case of a notice. Each claim it makes carries a `Span`: the verbatim
quote from the source text and its code-point offsets, so every triple built from it can
be traced to its sentence. `kg.records.load` reads YAML into these classes,
`kg.records.write` writes them in the layout below, `kg ingest` drafts them, and
`data/cases/README.md` shows the format to curators (a test holds its example to `LAYOUT`).

Values not known yet: a draft written by `kg ingest` may lack a value the format requires
(the notice does not say). Such a value is `None` here and the placeholder `TODO` in the
file, with a `# fill:` comment saying what to write; `kg ingest --accept` refuses a draft
that still holds one. A record read by `load_case` is complete: no required field is None.
Optional text fields (`en`, `heading_en`, `what_en`) are "" when absent.

What a record rests on is its `evidence` level: the full item block of a notice
(`full`), a list that only names the case (`intro-only`), news or commentary that
describes it in prose (`news-mention`), or a text cut off inside it (`truncated`). Only a
`full` record must have measures and mechanisms; the others hold what their text says and
nothing more. A case named by several texts has one primary `source` and a list of
`other_sources`, each with the span that names the case there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PLACEHOLDER = "TODO"  # in a file: a required value the curator must still fill in

BODY_TYPES = ("county-standing-committee", "township-congress", "street-working-committee")
#: body type -> the suffix of its key (`440604-sc`): body IRIs and item-less case ids use it.
BODY_KEY_SUFFIX = {
    "county-standing-committee": "sc",
    "township-congress": "congress",
    "street-working-committee": "wc",
}
#: What a record rests on: a notice's item block, a list naming the case, news or
#: commentary describing it in prose, or a text that stops inside it.
EVIDENCE_LEVELS = ("full", "intro-only", "news-mention", "truncated")
FULL = "full"
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
    "month": ("个月", "months"),
}
UNITS = tuple(UNIT_LABELS)
#: How a reported number relates to the quantity: the source's 以上/余/多, 约, 以内, 1-2.
QUALIFIERS = ("exact", "at-least", "about", "at-most", "range")

#: The keys of a record file and of each of its mappings (by top-level key; list entries
#: by their list's key), in the order the writer lays them out.
LAYOUT: dict[str, tuple[str, ...]] = {
    "": (
        "id",
        "source",
        "batch",
        "item",
        "evidence",
        "category",
        "category_inferred",
        "title",
        "body",
        "start_year",
        "measures",
        "selection_reason",
        "mechanisms",
        "actors",
        "problems",
        "platforms",
        "quantities",
        "other_sources",
    ),
    "category_inferred": ("rule", "quote", "start", "end"),
    "title": ("quote", "start", "end", "en"),
    "body": ("quote", "start", "end", "en", "type", "place"),
    "start_year": ("year", "quote", "start", "end"),
    "measures": ("n", "heading", "heading_en", "quote", "start", "end"),
    "selection_reason": ("quote", "start", "end", "en"),
    "mechanisms": ("id", "quote", "start", "end"),
    "actors": ("id", "role", "quote", "start", "end"),
    "problems": ("label", "en", "quote", "start", "end"),
    "platforms": ("name", "en", "type", "quote", "start", "end"),
    "quantities": (
        "value",
        "high",
        "unit",
        "qualifier",
        "what",
        "what_en",
        "year",
        "period",
        "quote",
        "start",
        "end",
    ),
    "quantities.period": ("quote", "start", "end"),
    "other_sources": ("source", "item", "evidence", "title", "body"),
    "other_sources.title": ("quote", "start", "end"),
    "other_sources.body": ("quote", "start", "end"),
}


def body_key(place: str, body_type: str) -> str:
    """The key of a body: its place key and a suffix for its type (`440604-sc`)."""
    return f"{place}-{BODY_KEY_SUFFIX[body_type]}"


def case_ids(batch: str, item: int | None, place: str | None, body_type: str | None) -> list[str]:
    """The ids a case may have: `{batch}-{item, two digits}` when its item number is known,
    and `{batch}-{body key}` (`gd-b4-441322-sc`) for a case first known from a text that
    gives no item number. Either stays the case's id once it is recorded."""
    ids = [f"{batch}-{item:02d}"] if item is not None else []
    if place and body_type in BODY_KEY_SUFFIX:
        ids.append(f"{batch}-{body_key(place, body_type)}")
    return ids


def _location(default: str | None) -> Any:
    """A field saying where a value was read: reported in messages, not compared."""
    return field(default=default, compare=False)


@dataclass(frozen=True)
class Span:
    """Evidence: `quote` is `source_text[start:end]`.

    Offsets count Unicode code points from the start of the source file decoded as UTF-8
    (no newline translation); `start` is inclusive, `end` exclusive. `file`, `field` and
    `line` say where the span was read (for messages; "" and None for a span made in
    code) and take no part in equality.
    """

    quote: str
    start: int
    end: int
    file: str = _location("")
    field: str = _location("")
    line: int | None = _location(None)


@dataclass(frozen=True)
class Measure:
    """One measure of 主要做法, numbered `n` = 1, 2, ... in order (一是 = 1).

    `heading` is the measure's short name, verbatim inside `span.quote`; `heading_en` its
    translation ("" when absent).
    """

    n: int
    heading: str
    heading_en: str
    span: Span


@dataclass(frozen=True)
class Claim:
    """The case uses a vocabulary concept: a mechanism, or an actor in a `role`.

    `id` is the concept's id in data/vocab/mechanisms.ttl or actors.ttl; `role` (actors
    only, one of `ACTOR_ROLES`) is "" for mechanisms.
    """

    id: str
    span: Span
    role: str = ""


@dataclass(frozen=True)
class ProblemClaim:
    """A problem the practice addresses: `label` in the source's words, `en` translated."""

    label: str
    en: str
    span: Span


@dataclass(frozen=True)
class PlatformClaim:
    """A named tool or channel (`name`, `en`); `type` is an id of platform-types.ttl."""

    name: str
    en: str
    type: str
    span: Span


@dataclass(frozen=True)
class QuantityClaim:
    """A reported number: `value` in `unit` (one of `UNITS`; 100万元 is 1000000 CNY).

    `qualifier` (one of `QUALIFIERS`) says how the number bounds the quantity: 6场以上 is
    6 at-least, 20余次 20 at-least, 约100人 100 about, 两个月内 2 at-most, 1-2名 the
    range 1 to `high` 2. `what` says what is counted (zh), `what_en` in English (""
    when absent); `year` is the year it refers to, None when the text gives none;
    `period` the span that says over which time it was counted (自2018年以来, 3年来,
    每年), None when the text gives none.
    """

    value: int | float
    unit: str
    what: str
    what_en: str
    year: int | None
    span: Span
    qualifier: str = "exact"
    high: int | float | None = None
    period: Span | None = None


@dataclass(frozen=True)
class BodyRef:
    """The declaring unit (申报单位) as quoted in `span`.

    `type` is one of `BODY_TYPES`; `place` a key of the places (a GB/T 2260 code such as
    "440604", or a town key of data/places/places.yaml); `en` its English name or "".
    `type` and `place` are None in a draft whose unit could not be resolved.
    """

    type: str | None
    place: str | None
    en: str
    span: Span


@dataclass(frozen=True)
class CategoryInference:
    """How a category no section heading states was inferred: the `rule` (a cue word of
    the title, the measures or the reason, or a mechanism's facet) and the `span` it read."""

    rule: str
    span: Span


@dataclass(frozen=True)
class OtherSource:
    """A further text that names the case: a repost, a news item, a commentary.

    `source` is a source id; `evidence` the level of that text for the case (one of
    `EVIDENCE_LEVELS`); `title` the span that names the case there (its title as that text
    writes it), `body` the declaring unit as written there (None when the text names it
    only by a pronoun such as 我县); `item` its item number there, None when it has none.
    """

    source: str
    evidence: str
    title: Span
    body: Span | None = None
    item: int | None = None


@dataclass(frozen=True, kw_only=True)
class Case:
    """One case record, in the file `id + ".yaml"`; `id` is one of `case_ids(...)`.

    `source` is the id of the primary data/sources/*.yaml record and `item` the item number
    in that text (项目一 = 1), None when the text gives none. `batch` is the case's batch id
    when the record states it (it must when the source names several batches or none);
    None means the source's batch. `evidence` is one of `EVIDENCE_LEVELS`: measures and
    mechanisms may be empty unless it is `full`. `category` is an id of
    data/vocab/categories.ttl; `title` quotes the title, `title_en` translates it; `body`
    is the declaring unit. `measures` are the measures of 主要做法 in order,
    `selection_reason` the 入选理由 (`selection_reason_en` its translation); `start_year` is
    the year the practice started where the text states it, quoted in `start_year_span`.
    The claims: `mechanisms` (at least one in a `full` record), `actors`, `problems`,
    `platforms`, `quantities`. `category_inferred` says how the category was
    inferred when no section heading states it (None: read from a heading). `other_sources`
    are the further texts that name the case.

    In a draft, `category`, `title`, `title_en`, `body`, `measures` and `mechanisms` may be
    None (not known yet). `file` is where the record was read ("" if made in code); it
    takes no part in equality.
    """

    id: str
    source: str
    item: int | None
    category: str | None
    title: Span | None
    title_en: str | None
    body: BodyRef | None
    measures: list[Measure] | None
    mechanisms: list[Claim] | None
    file: str = _location("")
    selection_reason: Span | None = None
    selection_reason_en: str = ""
    start_year: int | None = None
    start_year_span: Span | None = None
    actors: list[Claim] = field(default_factory=list)
    problems: list[ProblemClaim] = field(default_factory=list)
    platforms: list[PlatformClaim] = field(default_factory=list)
    quantities: list[QuantityClaim] = field(default_factory=list)
    batch: str | None = None
    evidence: str = FULL
    category_inferred: CategoryInference | None = None
    other_sources: list[OtherSource] = field(default_factory=list)

    def spans(self) -> list[Span]:
        """Every evidence span of the record in its primary source, in file order."""
        out = [self.category_inferred.span] if self.category_inferred else []
        out += [s for s in (self.title, self.body and self.body.span) if s]
        out += [s for s in (self.start_year_span, self.selection_reason) if s]
        out += [m.span for m in self.measures or []]
        for claims in (
            self.mechanisms or [],
            self.actors,
            self.problems,
            self.platforms,
            self.quantities,
        ):
            out += [c.span for c in claims]
        out += [q.period for q in self.quantities if q.period]
        return out

    def spans_by_source(self) -> dict[str, list[Span]]:
        """Every evidence span of the record by the source it quotes: the primary source's
        spans (`spans()`), then each other source's title and body spans."""
        out = {self.source: self.spans()}
        for other in self.other_sources:
            spans = [other.title] + ([other.body] if other.body else [])
            out.setdefault(other.source, []).extend(spans)
        return out

    def source_ids(self) -> list[str]:
        """The primary source and the other sources, in record order."""
        return [self.source] + [o.source for o in self.other_sources]


@dataclass(frozen=True)
class KnownIds:
    """The ids a record may refer to, taken from the vocabulary, places and sources."""

    sources: dict[str, str]  # source id -> batch id ("" for a source that names no batch)
    categories: frozenset[str]
    mechanisms: frozenset[str]
    actors: frozenset[str]
    platform_types: frozenset[str]
    places: frozenset[str]
    replaced: dict[str, str] = field(default_factory=dict)  # deprecated mechanism -> new
    batches: frozenset[str] = frozenset()  # further batch ids the sources define

    def batch_ids(self) -> frozenset[str]:
        """Every batch id a record may name: the sources' batches and the further ones."""
        return self.batches | frozenset(b for b in self.sources.values() if b)

    @classmethod
    def of(
        cls,
        batches: dict[str, str],
        vocabulary: dict[str, frozenset[str]],
        places: frozenset[str],
        replaced: dict[str, str] | None = None,
        further_batches: frozenset[str] = frozenset(),
    ) -> KnownIds:
        """From source id -> batch id, the vocabulary's live ids by scheme, place keys,
        the deprecated mechanisms with their replacements and further batch ids."""
        return cls(
            sources=batches,
            categories=vocabulary["categories"],
            mechanisms=vocabulary["mechanisms"],
            actors=vocabulary["actors"],
            platform_types=vocabulary["platform_types"],
            places=places,
            replaced=dict(replaced or {}),
            batches=frozenset(further_batches),
        )
