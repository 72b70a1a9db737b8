"""Case records (`data/cases/*.yaml`) read into the typed, located objects of
`kg.records.schema`.

Loading checks structure and ids (types, required fields, known vocabulary and
places); whether quotes match the source is checked in `kg.validate.checks`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kg.core.errors import KgError, Problem
from kg.core.fields import Fields, suggest
from kg.core.yamlstrict import load_yaml
from kg.records.schema import (
    ACTOR_ROLES,
    BODY_TYPES,
    EVIDENCE_LEVELS,
    FULL,
    PLACEHOLDER,
    QUALIFIERS,
    UNITS,
    BodyRef,
    Case,
    CategoryInference,
    Claim,
    KnownIds,
    Measure,
    OtherSource,
    PlatformClaim,
    ProblemClaim,
    QuantityClaim,
    Span,
    case_ids,
)


def _span(f: Fields) -> Span:
    quote = f.text("quote")
    start = f.integer("start", minimum=0)
    end = f.integer("end", minimum=1)
    if end <= start:
        f.fail("end", f"end ({end}) must be greater than start ({start})")
    return Span(quote, start, end, f.file, f.path, f.line)


def _optional_span(f: Fields, key: str) -> Span | None:
    """The span under `key`, or None when the key is absent or null (marked as read)."""
    if not f.has(key):
        f.get(key, None)
        return None
    sub = f.sub(key)
    span = _span(sub)
    sub.done()
    return span


def _vocab_id(f: Fields, key: str, known: frozenset[str], what: str, where: str) -> str:
    value = f.slug(key)
    if value not in known:
        f.fail(
            key,
            f"unknown {what} id {value!r}",
            suggest(value, known) or f"use an id defined in {where}",
        )
    return value


def _quantity(q: Fields) -> QuantityClaim:
    value = q.number("value")
    qualifier = q.choice("qualifier", QUALIFIERS, "exact")
    high = q.number("high") if q.has("high") else q.get("high", None)
    if (qualifier == "range") != (high is not None):
        q.fail("high", "give `high` (the upper bound) exactly when the qualifier is range")
    if high is not None and high <= value:
        q.fail("high", f"the upper bound {high} must be greater than the value {value}")
    period = _optional_span(q, "period")
    return QuantityClaim(
        value,
        q.choice("unit", UNITS),
        q.text("what"),
        q.text("what_en", ""),
        q.integer("year", None, minimum=1949),
        _span(q),
        qualifier,
        high,
        period,
    )


def _batch_of(f: Fields, source: str, known: KnownIds) -> str:
    """The case's batch: its own `batch:` field, else its source's batch."""
    if f.has("batch"):
        batch = f.slug("batch")
        if batch not in known.batch_ids():
            f.fail(
                "batch",
                f"unknown batch {batch!r}",
                suggest(batch, known.batch_ids())
                or "use the batch id of a source's metadata (batch.id or batches[].id)",
            )
        return batch
    f.get("batch", None)
    batch = known.sources[source]
    if not batch:
        f.fail(
            "batch",
            f"the source {source!r} names no single batch, so the record must",
            "add `batch: gd-bN` (the batch the text gives for this case)",
        )
    return batch


def _other_source(o: Fields, primary: str, known: KnownIds) -> OtherSource:
    source = o.choice("source", known.sources)
    if source == primary:
        o.fail("source", f"{source!r} is the record's own source", "list other sources only")
    item = o.integer("item", None, minimum=1)
    evidence = o.choice("evidence", EVIDENCE_LEVELS)
    t = o.sub("title")
    title = _span(t)
    t.done()
    return OtherSource(source, evidence, title, _optional_span(o, "body"), item)


def load_case(path: Path, known: KnownIds) -> Case:
    """Read one case record; a `KgError` names the file, line and field on any problem."""
    f = Fields(load_yaml(path), str(path))
    case_id = f.slug("id")
    source = f.choice("source", known.sources)
    batch = _batch_of(f, source, known)
    item = f.integer("item", None, minimum=1)
    evidence = f.choice("evidence", EVIDENCE_LEVELS, FULL)
    if path.stem != case_id:
        f.fail(
            "id",
            f"file name {path.name!r} does not match id {case_id!r}",
            f"rename the file to {case_id}.yaml",
        )
    category = _vocab_id(f, "category", known.categories, "category", "data/vocab/categories.ttl")
    inferred = None
    if f.has("category_inferred"):
        c = f.sub("category_inferred")
        inferred = CategoryInference(c.text("rule"), _span(c))
        c.done()
    else:
        f.get("category_inferred", None)

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
            or "use a GB/T 2260 code (quoted), a 9-digit township code (quoted) or a town key "
            "from data/places/places.yaml",
        )
    body = BodyRef(body.type, place, body.en, body.span)
    b.done()
    expected = case_ids(batch, item, place, body.type)
    if case_id not in expected:
        f.fail(
            "id",
            f"id {case_id!r} does not match batch, item and body: expected "
            + " or ".join(repr(e) for e in expected),
            "the id is {batch id}-{item, two digits}, or {batch id}-{body key} for a case "
            "whose text gives no item number",
        )
    partial = evidence != FULL

    start_year = start_year_span = None
    if f.has("start_year"):
        s = f.sub("start_year")
        start_year, start_year_span = s.integer("year", minimum=1949), _span(s)
        s.done()
    else:
        f.get("start_year", None)

    measures = []
    for m in f.items("measures", required=not partial):
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
    for m in f.items("mechanisms", required=not partial):
        if m.has("id") and m.get("id") in known.replaced:
            new = known.replaced[m.get("id")]
            m.fail(
                "id",
                f"mechanism {m.get('id')!r} is deprecated in data/vocab/mechanisms.ttl",
                f"use {new!r}, which replaces it" if new else "choose a live mechanism",
            )
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
        quantities.append(_quantity(q))
        q.done()

    others: list[OtherSource] = []
    for o in f.items("other_sources", required=False):
        other = _other_source(o, source, known)
        if any(x.source == other.source for x in others):
            o.fail("source", f"{other.source!r} is listed twice", "merge the two entries")
        others.append(other)
        o.done()
    f.done()
    return Case(
        id=case_id,
        file=str(path),
        source=source,
        item=item,
        category=category,
        title=title,
        title_en=title_en,
        body=body,
        measures=measures,
        mechanisms=mechanisms,
        selection_reason=reason,
        selection_reason_en=reason_en or "",
        start_year=start_year,
        start_year_span=start_year_span,
        actors=actors,
        problems=problems,
        platforms=platforms,
        quantities=quantities,
        batch=batch if f.has("batch") else None,
        evidence=evidence,
        category_inferred=inferred,
        other_sources=others,
    )


def load_cases(folder: Path, known: KnownIds) -> list[Case]:
    """Every record in `folder`, sorted by id; all files' problems are reported together."""
    cases: list[Case] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, int | str], str] = {}
    paths = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    for path in paths:
        try:
            case = load_case(path, known)
        except KgError as exc:
            problems += exc.problems
            continue
        key = (case.source, case.item if case.item is not None else case.id)
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


def placeholders_in(data: Any, path: str = "") -> list[str]:
    """Field paths of parsed YAML whose value is still the placeholder `TODO`."""
    if isinstance(data, dict):
        return [
            p for k, v in data.items() for p in placeholders_in(v, f"{path}.{k}" if path else k)
        ]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in placeholders_in(v, f"{path}[{i}]")]
    return [path] if data == PLACEHOLDER else []
