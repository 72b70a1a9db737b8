"""Draft records from a parsed notice: item blocks and intro list combined, claims tagged.

A draft is a record of `kg.records.schema` (`Case`), with None for what the notice does
not say. Each value says where it came from: its `rules` entry names the rule that
produced it (kept in the draft's metadata and as `# rule:` comments in the record).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kg.ingest.mentions import Mention
from kg.ingest.notice import IntroEntry, ItemBlock, Notice, TextSpan
from kg.ingest.report import DraftCase
from kg.ingest.sections import infer_category
from kg.ingest.tag import Tag, Tagger
from kg.ingest.text import NoticeText, compact
from kg.ingest.units import (
    NewPlace,
    PlaceIndex,
    QuantityMatch,
    UnitResolution,
    YearMatch,
    find_quantities,
    find_start_year,
    majority_province,
    resolve_unit,
)
from kg.records.schema import (
    FULL,
    PLACEHOLDER,
    BodyRef,
    Case,
    CategoryInference,
    Claim,
    Measure,
    PlatformClaim,
    ProblemClaim,
    QuantityClaim,
    Span,
    case_ids,
)

INTRO_ONLY, NEWS_MENTION, TRUNCATED = "intro-only", "news-mention", "truncated"


@dataclass
class NoticeCase:
    """What the text says about one case: its item block, its intro entry, or both; or
    its mention in prose (news, commentary)."""

    number: int
    item: ItemBlock | None = None
    entry: IntroEntry | None = None
    conflicts: list[str] = field(default_factory=list)
    mention: Mention | None = None

    @property
    def evidence(self) -> str:
        """The evidence level of the record (`kg.records.schema.EVIDENCE_LEVELS`)."""
        if self.mention is not None:
            return NEWS_MENTION
        if self.item is None:
            return INTRO_ONLY
        return TRUNCATED if self.item.truncated else FULL


def _same_title(a: str, b: str) -> bool:
    a, b = compact(a), compact(b)
    return a in b or b in a


class Assembler:
    """Turns a parsed notice into draft cases, given the project's places and vocabulary."""

    def __init__(
        self,
        notice: Notice,
        places: PlaceIndex,
        tagger: Tagger,
        curated_bodies: dict[tuple[str, str], list[str]],
        mentions: list[Mention] | None = None,
    ):
        self.notice = notice
        self.mentions = mentions or []
        self.t: NoticeText = notice.text
        self.places = places
        self.tagger = tagger
        self.curated_bodies = curated_bodies
        self.resolved: dict[tuple[int, int], UnitResolution] = {}
        self.province: str | None = None
        self.conflicts: list[tuple[int | None, str]] = []
        self.new_places: dict[str, NewPlace] = {}

    def quote(self, span: TextSpan) -> str:
        return self.t.text[span.start : span.end]

    def line(self, offset: int) -> int:
        return self.t.line_of(offset)

    # -- units --

    def _units(self) -> list[tuple[TextSpan, str]]:
        """Every unit span with the name to resolve (a pronoun replaced, for mentions)."""
        spans = [it.unit for it in self.notice.items if it.unit]
        for lst in self.notice.intro.lists:
            spans += [e.unit for e in lst.entries]
        named = [(s, self.t.norm[s.start : s.end]) for s in spans]
        for m in self.mentions:
            named.append((m.unit, m.resolve_as or self.t.norm[m.unit.start : m.unit.end]))
        return named

    def resolve_units(self) -> None:
        """Resolve every unit twice: once to learn the notice's province, then with it."""
        units = self._units()
        first = [resolve_unit(name, self.places, None) for _, name in units]
        province = majority_province(first)
        if province is None:
            text = self.t.norm
            for code, row in sorted(self.places.table.items()):
                if code.endswith("0000") and row[0] in text:
                    province = code
                    break
        self.province = province
        for span, name in units:
            res = resolve_unit(name, self.places, province)
            self.resolved[(span.start, span.end)] = res
            if res.new_place:
                self.new_places[res.new_place.key] = res.new_place

    def unit(self, span: TextSpan) -> UnitResolution:
        return self.resolved[(span.start, span.end)]

    # -- pairing intro entries with items --

    def _entry_matches(self, entry: IntroEntry, item: ItemBlock) -> bool:
        if item.title and _same_title(self.quote(entry.title), self.quote(item.title)):
            return True
        if item.unit:
            a, b = self.unit(entry.unit), self.unit(item.unit)
            return a.place is not None and (a.place, a.type) == (b.place, b.type)
        return False

    def _compare(self, case: NoticeCase, entry: IntroEntry) -> None:
        item = case.item
        if item is None:
            return
        where = f"the intro (line {self.line(entry.unit.start)})"
        if item.title:
            mine = self.quote(item.title)
            theirs = self.quote(entry.title)
            if not _same_title(mine, theirs):
                case.conflicts.append(
                    f"title: {where} says {theirs!r}, the item block "
                    f"(line {self.line(item.title.start)}) says {mine!r}; the item block is used"
                )
        if item.unit:
            a, b = self.unit(entry.unit), self.unit(item.unit)
            if (a.place, a.type) != (b.place, b.type):
                case.conflicts.append(
                    f"body: {where} names {self.quote(entry.unit)!r} ({a.type}, {a.place}), "
                    f"the item block (line {self.line(item.unit.start)}) names "
                    f"{self.quote(item.unit)!r} ({b.type}, {b.place}); the item block is used"
                )

    def _pair(
        self, entry: IntroEntry, cases: dict[int, NoticeCase], used: set[int]
    ) -> NoticeCase | None:
        """The item block an intro entry speaks of: same place in the list, else same content."""

        def free(case: NoticeCase | None) -> bool:
            return case is not None and case.item is not None and case.number not in used

        by_position = cases.get(entry.position)
        if free(by_position) and self._entry_matches(entry, by_position.item):
            return by_position
        other = next(
            (c for c in cases.values() if free(c) and self._entry_matches(entry, c.item)), None
        )
        if other is not None:
            self.conflicts.append(
                (
                    self.line(entry.unit.start),
                    f"the intro lists {self.quote(entry.unit)!r} in place {entry.position}, "
                    f"its item block is number {other.number}",
                )
            )
            return other
        return by_position if free(by_position) else None  # compared: differences reported

    def cases(self) -> list[NoticeCase]:
        """The notice's cases: item blocks, paired with intro entries, plus intro-only ones."""
        items = self.notice.items
        intro = self.notice.intro
        primary = intro.primary
        cases = {it.number: NoticeCase(it.number, item=it) for it in items}
        used: set[int] = set()
        for entry in primary.entries if primary else []:
            target = self._pair(entry, cases, used)
            if target is None:
                if entry.position in cases:
                    self.conflicts.append(
                        (
                            self.line(entry.unit.start),
                            f"the intro lists {self.quote(entry.unit)!r} "
                            f"“{self.quote(entry.title)}”, which no item block matches",
                        )
                    )
                    continue
                target = cases[entry.position] = NoticeCase(entry.position)
                if items and items[-1].truncated:
                    target.conflicts.append(
                        "the intro lists this case; the text is cut off before its item block"
                    )
                elif items:
                    target.conflicts.append(
                        "the intro lists this case but the notice has no item block for it"
                    )
            target.entry = entry
            used.add(target.number)
            self._compare(target, entry)
        for lst in intro.lists:
            if lst is primary:
                continue
            for entry in lst.entries:  # 明确X等N个项目: a mention of the first case
                target = cases.get(entry.position)
                if target is not None and target.item is not None:
                    self._compare(target, entry)
        total = len(cases)
        for lst in intro.lists:
            if lst.count is not None and lst.count != total:
                cut = " (the text is cut off)" if any(it.truncated for it in items) else ""
                self.conflicts.append(
                    (
                        self.line(lst.count_span.start),
                        f"the intro announces {lst.count} cases, the notice has {total}{cut}",
                    )
                )
                break
        return [cases[n] for n in sorted(cases)]

    def mention_cases(self) -> list[NoticeCase]:
        """One case per mention in prose, numbered in text order."""
        return [NoticeCase(i, mention=m) for i, m in enumerate(self.mentions, start=1)]

    # -- one record --

    def _category(
        self, case: NoticeCase, regions: list[tuple[int, int]], rules: dict, fill: dict
    ) -> tuple[str | None, CategoryInference | None]:
        """The category from the section heading, else inferred from cue words."""
        item, t = case.item, self.t
        section = item.section if item else None
        if section and section.category:
            rules["category"] = f"section-heading:{t.text[section.span.start : section.span.end]}"
            return section.category, None
        title = [TextSpan(*regions[0])] if regions else []
        fields = [("title", title)]
        if item and item.reason:
            fields.append(("reason", [item.reason]))
        if item and item.measures:
            fields.append(("measures", [m.span for m in item.measures]))
        if case.mention:
            fields.append(("text around the mention", case.mention.regions[1:]))
        found = infer_category(t.norm, fields)
        if found is None:
            why = "no section heading and no cue word"
            fill["category"] = f"supervision, deputy-work or publicity ({why})"
            return None, None
        rules["category"] = f"inferred: {found.rule}"
        span = Span(t.text[found.span.start : found.span.end], found.span.start, found.span.end)
        return found.category, CategoryInference(found.rule, span)

    def case_id(self, case: NoticeCase, batch_id: str, body: BodyRef | None) -> str:
        """`{batch}-{item}` for a case of a notice, `{batch}-{body key}` for a mention (a
        provisional `{batch}-mention-N` until its body's place is known)."""
        if case.mention is None:
            return case_ids(batch_id, case.number, None, None)[0]
        place = body.place if body else None
        ids = case_ids(batch_id, None, place, body.type if body else None)
        return ids[0] if ids else f"{batch_id}-mention-{case.number}"

    def draft(
        self, case: NoticeCase, source_id: str, batch_id: str, *, own_batch: bool = False
    ) -> DraftCase:
        """The draft record of one case: a `kg.records.schema.Case`, None where unknown.

        `batch_id` is the case's batch; `own_batch` writes it into the record (a case of a
        text that names several batches, or none).
        """
        t = self.t
        rules: dict[str, str] = {}
        fill: dict[str, str] = {}  # field not known yet -> what to fill in
        evidence = case.evidence
        partial = evidence != FULL

        def unknown(path: str, what: str) -> None:
            fill[path] = what
            return None

        def span(found: TextSpan | Tag | QuantityMatch | YearMatch) -> Span:
            return Span(t.text[found.start : found.end], found.start, found.end)

        item, entry, mention = case.item, case.entry, case.mention
        if mention is not None:
            rules["item"] = "mention-in-prose"
            title_span, unit = mention.title, mention.unit
            rules["title"] = "mention:unit-quoted-title"
        else:
            rules["item"] = "item-heading" if item else "intro-list-position"
            title_span = item.title if item and item.title else (entry.title if entry else None)
            unit = item.unit if item and item.unit else (entry.unit if entry else None)
            if title_span:
                rules["title"] = "item-heading" if item and item.title else entry.rule
        title = title_en = None
        if title_span:
            title = span(title_span)
            title_en = unknown("title.en", "English translation")
        else:
            unknown("title", "the title, as a span of the source")
        warnings: list[str] = []
        new_places: list[str] = []
        repeat_of: list[str] = []
        body = None
        if unit:
            res = self.unit(unit)
            body = BodyRef(
                res.type
                or unknown(
                    "body.type",
                    "county-standing-committee, township-congress or street-working-committee",
                ),
                res.place
                or unknown(
                    "body.place",
                    "a GB/T 2260 code, a 9-digit township code or a town key of "
                    "data/places/places.yaml",
                ),
                "",
                span(unit),
            )
            if mention is not None:
                rules["body"] = "mention:unit-before-quote"
                if mention.resolve_rule:
                    rules["body"] += f" ({mention.resolve_rule})"
            else:
                rules["body"] = "unit-field" if item and item.unit else entry.rule
            rules["body.type"] = res.rules[0]
            if res.place:
                rules["body.place"] = ", ".join(res.rules[1:])
            warnings += res.warnings
            if res.new_place:
                new_places.append(res.new_place.yaml_line())
            repeat_of = sorted(self.curated_bodies.get((res.place or "", res.type or ""), []))
        else:
            unknown("body", "the declaring unit (申报单位), as a span")
        regions: list[tuple[int, int]] = []
        if title_span:
            regions.append((title_span.start, title_span.end))
        if item and item.practice:
            regions.append((item.practice.start, item.practice.end))
        if item and item.reason:
            regions.append((item.reason.start, item.reason.end))
        if mention is not None:
            regions += [(r.start, r.end) for r in mention.regions[1:] if r]
        category, inferred = self._category(case, regions, rules, fill)
        start_year = None
        if item and item.practice:
            start_year = find_start_year(t.norm, item.practice.start, item.practice.end)
        if start_year:
            rules["start_year"] = start_year.rule
        measures = None
        if item and item.measures:
            measures = []
            for m in item.measures:
                heading = t.text[m.heading.start : m.heading.end]
                measures.append(Measure(m.n, heading, "", span(m.span)))
                rules[f"measures[{m.n - 1}]"] = m.rule
        elif partial:
            measures = []  # the text gives none, and the evidence level says so
        else:
            unknown("measures", "the measures (主要做法): no 主要做法")
        if item and item.reason:
            rules["selection_reason"] = "reason-field"
        tags = self.tagger.claims(t, regions)
        for i, tag in enumerate(tags["mechanisms"]):
            rules[f"mechanisms[{i}]"] = tag.rule
        mechanisms = [Claim(tag.concept, span(tag)) for tag in tags["mechanisms"]]
        if not mechanisms and not partial:
            mechanisms = unknown(
                "mechanisms", "at least one mechanism id of data/vocab/mechanisms.ttl, with a quote"
            )
        actors = []
        for i, tag in enumerate(tags["actors"]):
            role, rule = attendance_role(t.norm, tag, regions)
            rules[f"actors[{i}]"] = rule or tag.rule
            actors.append(Claim(tag.concept, span(tag), role or tag.role))
        for kind in ("problems", "platforms"):
            rules.update({f"{kind}[{i}]": tag.rule for i, tag in enumerate(tags[kind])})
        quantities = []
        for lo, hi in regions:
            for q in find_quantities(t.norm, lo, hi):
                rules[f"quantities[{len(quantities)}]"] = q.rule
                quantities.append(QuantityClaim(q.value, q.unit, q.what, "", q.year, span(q)))
        if own_batch and batch_id == PLACEHOLDER:
            unknown("batch", "the batch id (gd-bN) the text gives for this case")
        elif own_batch and mention is not None:
            rules["batch"] = mention.batch_rule
        cid = self.case_id(case, batch_id, body)
        record = Case(
            id=cid,
            source=source_id,
            item=None if mention is not None else case.number,
            category=category,
            title=title,
            title_en=title_en,
            body=body,
            measures=measures,
            mechanisms=mechanisms,
            selection_reason=span(item.reason) if item and item.reason else None,
            start_year=start_year.year if start_year else None,
            start_year_span=span(start_year) if start_year else None,
            actors=actors,
            problems=[ProblemClaim(tag.label, "", span(tag)) for tag in tags["problems"]],
            platforms=[
                PlatformClaim(tag.name, "", tag.concept, span(tag)) for tag in tags["platforms"]
            ],
            quantities=quantities,
            batch=batch_id if own_batch else None,
            evidence=evidence,
            category_inferred=inferred,
        )
        anchor = item.marker.start if item else (entry.unit.start if entry else unit.start)
        meta: dict[str, Any] = {
            "case": cid,
            "source": source_id,
            "notice_line": self.line(anchor),
            "evidence": evidence,
            "truncated": bool(item and item.truncated),
            "truncation": list(item.truncation) if item else [],
            "intro_only": evidence == INTRO_ONLY,
            "conflicts": list(case.conflicts),
            "placeholders": [f"{k}: {v}" for k, v in fill.items()],
            "new_places": new_places,
            "repeat_of": repeat_of,
            "warnings": warnings,
            "rules": rules,
            # for the curator: add to mechanisms what holds, propose what is new
            "suggested": _learned(t.text, tags["suggested"]),
            "doubted": _learned(t.text, tags["doubted"]),
            "candidates": [tag.label for tag in tags["candidates"]],
        }
        comments = {k: f"rule: {v}" for k, v in rules.items() if k != "item"}
        comments.update({k: f"fill: {v}" for k, v in fill.items()})
        if inferred is not None:
            comments["category_inferred"] = "rule: no section heading; check the category"
        return DraftCase(record, comments, meta)


def _learned(text: str, tags: list[Tag]) -> list[dict[str, Any]]:
    """The learned layer's opinions of a case: concept, score, quote and its offsets."""
    return [
        {
            "id": t.concept,
            "rule": t.rule,
            "quote": text[t.start : t.end],
            "start": t.start,
            "end": t.end,
        }
        for t in tags
    ]


_INVITED = re.compile(r"邀请[^。;,!?]{0,30}?(?:列席|参加|出席|参与)")


def attendance_role(norm: str, tag: Tag, regions: list[tuple[int, int]]) -> tuple[str, str]:
    """`participates` for an actor invited to sit in (邀请…列席/参加): being invited to a
    meeting is not being supervised. ("", "") when the cue is absent."""
    for lo, hi in regions:
        if not lo <= tag.start < hi:
            continue
        clause = tag.start
        while clause > lo and norm[clause - 1] not in "。;,!?":
            clause -= 1
        end = tag.end
        while end < hi and norm[end] not in "。;,!?":
            end += 1
        if _INVITED.search(norm, clause, end):
            return "participates", "role-cue:邀请…列席"
    return "", ""
