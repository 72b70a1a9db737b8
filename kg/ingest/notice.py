"""The layout of an official notice (and its reposts): intro, section headings, item blocks.

A notice has an intro (batch ordinal 第N届, the approving meeting, often a list of
单位“标题” pairs ending in 等N个项目), section headings (一、监督工作方面) and items:

    项目一:标题 / 申报单位:... / 主要做法:一是...二是... / 入选理由:...

The parser works on the normalised copy (`NoticeText.norm`) and returns spans into the
original text. It tolerates page noise (marked by `kg.ingest.page.Page`), items written
on one line or many, Chinese or Arabic item numbers, missing fields, and texts cut off
mid-item (the last item is then flagged, never dropped). Other genres (news, commentary)
are read by `kg.ingest.mentions`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from kg.core.errors import KgError, Problem
from kg.ingest.batches import batch_mentions, year_of_batch
from kg.ingest.page import (
    FIELD_KIND,
    FIELD_NAMES,
    ITEM_NUMBER,
    SENTENCE_END,
    Page,
    PageMeta,
    TextSpan,
    boundary,
)
from kg.ingest.text import NoticeText
from kg.ingest.units import BODY_SUFFIXES, PlaceIndex, cn_int, cn_ordinal

_ITEM = re.compile(rf"项目\s*(?P<num>{ITEM_NUMBER})\s*(?:(?P<sep>[:.、])|(?=\s))")
_FIELD = re.compile(rf"(?P<name>{FIELD_NAMES})\s*:")
_SECTION = re.compile(
    r"(?:[一二三四五六七八九十]+\s*[、.]|\(\s*[一二三四五六七八九十]+\s*\))\s*(?P<name>[^。,;:!?]{2,20})$"
)
_COUNT = re.compile(rf"等\s*(?P<num>{ITEM_NUMBER})\s*个(?:创新)?(?:项目|案例)")
_NOTICE = re.compile(r"《(?P<title>[^《》]{2,80}?通知)》")
_NOTICE_LINE = re.compile(
    r"(?P<body>[^,;。!?:《》\s]{2,30}?)?(?P<title>关于[^,;。!?:《》\s]{2,60}?的通知)$"
)
_ISSUE = re.compile(r"(?:印发|下发|发布|公布|发出)《")
_CLAUSE_SEP = ",;:、"
_SUFFIX_AT_END = re.compile(
    "(?:" + "|".join(map(re.escape, sorted(BODY_SUFFIXES, key=len, reverse=True))) + ")$"
)
_SUFFIX_ANY = re.compile("|".join(map(re.escape, sorted(BODY_SUFFIXES, key=len, reverse=True))))
_STREET_TAIL = re.compile(r"[\u4e00-\u9fff]{1,8}?街道(?:人大)?(?:工作委员会|工委)")
_LEAD_VERBS = re.compile(
    r"^(?:经研究|研究|决定|确定|明确|同意|认定|评选|命名|包括|其中|以及|和|及|与)+"
)
_LIST_VERBS = re.compile(r"(?:确定|明确|同意|认定|评选出|评选|命名|将|把)")
Marker = Callable[[int], str]  # measure number -> its marker: 1 -> 一是


@dataclass
class Section:
    line: int
    span: TextSpan  # the heading text, numbering included
    name: TextSpan  # without numbering
    category: str | None


@dataclass
class MeasureBlock:
    """The text of one measure (一是...) inside 主要做法, and the marker rule that found it."""

    n: int
    span: TextSpan
    heading: TextSpan
    rule: str


@dataclass
class ItemBlock:
    """The fields of one item block (项目一:...) as offsets into the notice."""

    number: int
    line: int
    marker: TextSpan  # 项目一:
    title: TextSpan | None = None
    unit: TextSpan | None = None
    practice: TextSpan | None = None
    reason: TextSpan | None = None
    measures: list[MeasureBlock] = field(default_factory=list)
    section: Section | None = None
    truncated: bool = False
    truncation: list[str] = field(default_factory=list)  # why it is thought cut off


@dataclass
class IntroEntry:
    position: int  # 1-based place in the list
    unit: TextSpan
    title: TextSpan
    rule: str  # intro-list | intro-first-item


@dataclass
class IntroList:
    sentence: TextSpan
    count: int | None
    count_span: TextSpan | None
    entries: list[IntroEntry]


@dataclass
class Intro:
    span: TextSpan
    lists: list[IntroList] = field(default_factory=list)
    ordinal: tuple[int, TextSpan] | None = None
    year: tuple[int, TextSpan] | None = None
    notice_title: TextSpan | None = None
    title: TextSpan | None = None  # 省人大常委会办公厅印发《...通知》
    issuing_body: TextSpan | None = None

    @property
    def primary(self) -> IntroList | None:
        """The intro list naming the most cases."""
        lists = [x for x in self.lists if x.entries]
        return max(lists, key=lambda x: len(x.entries)) if lists else None


@dataclass
class Notice:
    """A parsed text: what the page says about itself, the intro, sections and items."""

    text: NoticeText
    meta: PageMeta
    intro: Intro
    sections: list[Section]
    items: list[ItemBlock]
    noise_lines: list[int]
    warnings: list[tuple[int | None, str]]  # (line, message)
    page: Page | None = None


class Parser:
    """Finds the layout of one notice; `category_of` names the category of a heading."""

    def __init__(
        self,
        page: Page,
        places: PlaceIndex,
        category_of: Callable[[str], str | None],
    ):
        self.page = page
        self.t = page.t
        self.norm = page.norm
        self.places = places
        self.category_of = category_of
        self.warnings: list[tuple[int | None, str]] = []
        self.noise = page.noise

    def warn(self, offset: int | None, message: str) -> None:
        self.warnings.append((self.t.line_of(offset) if offset is not None else None, message))

    # -- helpers --

    def _cut_at_noise(self, start: int, end: int) -> int:
        return self.page.cut_at_noise(start, end)

    def _line_end(self, pos: int) -> int:
        return self.t.lines[self.t.line_of(pos) - 1].end

    def _span(self, start: int, end: int) -> TextSpan | None:
        start, end = self.t.strip(start, end)
        return TextSpan(start, end) if end > start else None

    # -- sections --

    def sections(self) -> list[Section]:
        out = []
        for ln, noisy in zip(self.t.lines, self.noise, strict=True):
            if noisy:
                continue
            start, end = self.t.strip(ln.start, ln.end)
            m = _SECTION.match(self.norm, start, end)
            if not m or _ITEM.match(self.norm, start, end):
                continue
            name_span = TextSpan(m.start("name"), m.end("name"))
            name = self.norm[name_span.start : name_span.end]
            category = self.category_of(name)
            if category is None and not name.rstrip().endswith(("方面", "类")):
                continue
            out.append(Section(ln.number, TextSpan(start, end), name_span, category))
            if category is None:
                self.warn(start, f"section heading {name!r} names no known category")
        return out

    # -- items --

    def item_markers(self) -> list[tuple[int, re.Match]]:
        out = []
        for m in _ITEM.finditer(self.norm):
            line = self.t.lines[self.t.line_of(m.start()) - 1]
            at_line_start = not self.norm[line.start : m.start()].strip()
            if m.group("sep") is None and not at_line_start:
                continue
            if not (at_line_start or boundary(self.norm, m.start())):
                continue
            if self.noise[line.number - 1]:
                continue
            out.append((cn_int(m.group("num")), m))
        seen: dict[int, int] = {}
        duplicates = []
        for number, m in out:
            line = self.t.line_of(m.start())
            if number in seen:
                duplicates.append(
                    Problem(
                        str(self.t.path),
                        f"item number {number} appears twice (lines {seen[number]} and {line})",
                        line=line,
                        hint="each item of a notice has its own number; fix the numbering",
                    )
                )
            seen.setdefault(number, line)
        if duplicates:
            raise KgError(duplicates)
        return out

    def items(self, sections: list[Section]) -> list[ItemBlock]:
        markers = self.item_markers()
        items = []
        for i, (number, m) in enumerate(markers):
            end = markers[i + 1][1].start() if i + 1 < len(markers) else len(self.norm)
            heading = next((s for s in sections if m.end() <= s.span.start < end), None)
            if heading is not None:
                end = heading.span.start
            section = None
            for s in sections:
                if s.span.start < m.start():
                    section = s
            item = ItemBlock(number, self.t.line_of(m.start()), TextSpan(m.start(), m.end()))
            item.section = section
            self._fields(item, m.end(), end)
            items.append(item)
        numbers = [it.number for it in items]
        if numbers and numbers != list(range(1, len(numbers) + 1)):
            self.warn(items[0].marker.start, f"item numbers are {numbers}, not 1, 2, 3, ...")
        if items:
            self._truncation(items)
        return items

    def _fields(self, item: ItemBlock, start: int, end: int) -> None:
        found: list[tuple[str, re.Match]] = []
        for m in _FIELD.finditer(self.norm, start, end):
            if not boundary(self.norm, m.start(), start):
                continue
            kind = FIELD_KIND[m.group("name")]
            if any(k == kind for k, _ in found):
                self.warn(m.start(), f"item {item.number}: a second {m.group('name')} is ignored")
                continue
            found.append((kind, m))
        # The title: the rest of the marker's line, or the next line when that is empty.
        title_end = min([self._line_end(start)] + [m.start() for _, m in found])
        item.title = self._span(start, title_end)
        if item.title is None:
            nxt = self.t.line_of(start) + 1
            first_field = found[0][1].start() if found else end
            for ln in self.t.lines[nxt - 1 :]:
                if ln.start >= first_field or ln.start >= end:
                    break
                if not self.noise[ln.number - 1] and (span := self._span(ln.start, ln.end)):
                    item.title = TextSpan(span.start, min(span.end, first_field))
                    break
        bounds = [m.start() for _, m in found] + [end]
        for (kind, m), stop in zip(found, bounds[1:], strict=True):
            stop = self._cut_at_noise(m.end(), stop)
            if kind in ("unit", "reason"):
                first = self._span(m.end(), stop)
                if first is None:
                    continue
                line_end = self._line_end(first.start)
                span = self._span(first.start, min(stop, line_end))
                rest = self._span(min(stop, line_end), stop)
                if rest:
                    self.warn(
                        rest.start,
                        f"item {item.number}: text after the {m.group('name')} line is ignored: "
                        f"{self.t.text[rest.start : rest.end][:40]!r}",
                    )
            else:
                span = self._span(m.end(), stop)
            if span is None:
                continue
            setattr(item, kind, span)
        if item.practice:
            item.measures = self._measures(item.practice)

    # -- measures --

    def _find_marked(self, span: TextSpan, marker: Marker, rule: str) -> list[MeasureBlock]:
        found = []
        pos = span.start
        k = 1
        while True:
            token = marker(k)
            at = self.norm.find(token, pos, span.end)
            while at != -1 and not boundary(self.norm, at, span.start):
                at = self.norm.find(token, at + 1, span.end)
            if at == -1:
                break
            found.append((k, at, at + len(token)))
            pos = at + len(token)
            k += 1
        measures = []
        for i, (k, at, body) in enumerate(found):
            stop = found[i + 1][1] if i + 1 < len(found) else span.end
            stop = self._cut_at_noise(body, stop)
            quote = self._span(at, stop)
            if quote is None:
                continue
            measures.append(MeasureBlock(k, quote, self._heading(body, quote.end), rule))
        return measures

    def _heading(self, start: int, end: int) -> TextSpan:
        stop = start
        while stop < end and self.norm[stop] not in "。;:!?\n\r":
            stop += 1
        if stop - start > 50:
            comma = self.norm.find(",", start, stop)
            stop = comma if comma != -1 else start + 50
        return self._span(start, stop) or TextSpan(start, min(end, start + 1))

    def _measures(self, practice: TextSpan) -> list[MeasureBlock]:
        styles: list[tuple[Marker, str]] = [
            (lambda k: cn_ordinal(k) + "是", "measure-marker:一是"),
            (lambda k: f"({cn_ordinal(k)})", "measure-marker:(一)"),
            (lambda k: cn_ordinal(k) + "、", "measure-marker:一、"),
            (lambda k: f"{k}.", "measure-marker:1."),
        ]
        for marker, rule in styles:
            measures = self._find_marked(practice, marker, rule)
            if measures:
                return measures
        stop = self._cut_at_noise(practice.start, practice.end)
        quote = self._span(practice.start, stop)
        if quote is None:
            return []
        return [MeasureBlock(1, quote, self._heading(quote.start, quote.end), "measure-unnumbered")]

    # -- truncation --

    def _truncation(self, items: list[ItemBlock]) -> None:
        last = items[-1]
        reasons = []
        parts = [s for s in (last.title, last.unit, last.practice, last.reason) if s]
        if last.measures:
            parts.append(last.measures[-1].span)
        end = max((s.end for s in parts), default=last.marker.end)
        tail = self.norm[max(0, end - 3) : end]
        if tail.endswith(("...", "…")) or re.search(r"[(（]?未完", self.norm[end : end + 8]):
            reasons.append("the text ends with an ellipsis")
        elif tail[-1:] not in SENTENCE_END:
            reasons.append(f"the last sentence stops without punctuation ({tail!r})")
        if last.unit is None:
            reasons.append("no 申报单位")
        if last.practice is None:
            reasons.append("no 主要做法")
        if last.reason is None and items[:-1] and all(it.reason for it in items[:-1]):
            reasons.append("no 入选理由, which every other item has")
        if reasons:
            last.truncated = True
            last.truncation = reasons
        for item in items:
            for kind, name in (("unit", "申报单位"), ("practice", "主要做法")):
                if getattr(item, kind) is None and not item.truncated:
                    self.warn(item.marker.start, f"item {item.number} has no {name}")

    # -- intro --

    def intro(self, end: int) -> Intro:
        """The intro: the notice's title and issuer, the batch, the lists of cases."""
        intro = Intro(TextSpan(0, end))
        norm = self.norm
        content = [p for p in self.page.paragraphs() if p.start < end]
        content = [TextSpan(p.start, min(p.end, end)) for p in content]
        for span in content:
            if intro.notice_title is None:
                a, b = span.start, span.end
                if (m := _NOTICE_LINE.match(norm, a, b)) and m.end() == b:
                    intro.notice_title = TextSpan(m.start("title"), m.end("title"))
                    intro.title = TextSpan(a, b)
                    if m.group("body"):
                        intro.issuing_body = TextSpan(m.start("body"), m.end("body"))
        regions = self.page.paragraphs()
        mentions = batch_mentions(norm, content) or batch_mentions(norm, regions)
        if mentions:
            first = mentions[0]
            intro.ordinal = (first.ordinal, first.span)
            intro.year = year_of_batch(norm, regions, first.ordinal)
        if intro.notice_title is None and (m := _NOTICE.search(norm, 0, end)):
            intro.notice_title = TextSpan(m.start("title"), m.end("title"))
            issue = _ISSUE.search(norm, max(0, m.start() - 4), m.start() + 1)
            if issue:
                clause = m.start()
                while clause > 0 and norm[clause - 1] not in ",;。!?\n\r":
                    clause -= 1
                intro.title = self._span(clause, m.end())
                intro.issuing_body = self._span(clause, issue.start())
        for span in content:
            sentence_start = span.start
            for pos in range(span.start, span.end + 1):
                if pos == span.end or norm[pos] in "。!?":
                    self._intro_sentence(intro, sentence_start, pos)
                    sentence_start = pos + 1
        return intro

    def _intro_sentence(self, intro: Intro, start: int, end: int) -> None:
        count = _COUNT.search(self.norm, start, end)
        if not count:
            return
        entries = self._quoted_entries(start, count.start())
        if not entries:
            entry = self._first_item(start, count.start())
            entries = [entry] if entry else []
        value = cn_int(count.group("num"))
        intro.lists.append(
            IntroList(
                TextSpan(start, end),
                value,
                TextSpan(count.start(), count.end()),
                entries,
            )
        )

    def _unit_run(self, quote_pos: int, lo: int) -> TextSpan | None:
        """The declaring unit right before an opening quote, or None."""
        norm = self.norm
        start = quote_pos
        while start > lo and "\u4e00" <= norm[start - 1] <= "\u9fff":
            start -= 1
        run = norm[start:quote_pos]
        if not run or not _SUFFIX_AT_END.search(run):
            return None
        if start > lo and norm[start - 1] in "“”\"'‘’":
            return None  # a quoted phrase inside a title, not a unit
        offset = next(
            (i for i in range(len(run)) if self.places.names_at_full(run, i)),
            None,
        )
        if offset is None:
            lead = _LEAD_VERBS.match(run)
            offset = lead.end() if lead else 0
        if len(run) - offset < 3:
            return None
        return TextSpan(start + offset, quote_pos)

    def _quoted_entries(self, start: int, end: int) -> list[IntroEntry]:
        norm = self.norm
        units = []
        for pos in range(start, end):
            if norm[pos] in '“"' and (unit := self._unit_run(pos, start)):
                units.append((unit, pos))
        entries = []
        for i, (unit, quote_pos) in enumerate(units):
            stop = units[i + 1][0].start if i + 1 < len(units) else end
            while stop > quote_pos + 1 and (
                norm[stop - 1].isspace() or norm[stop - 1] in _CLAUSE_SEP
            ):
                stop -= 1
            for connector in ("以及", "和", "及", "与"):
                if norm.endswith(connector, quote_pos + 1, stop):
                    stop -= len(connector)
            rule = "intro-list"
            if norm[stop - 1 : stop] in ("”", '"'):
                title = self._span(quote_pos + 1, stop - 1)
            elif len(units) == 1:
                # 明确X人大常委会“双联系”工作机制等3个项目: a quote inside an unquoted title
                title, rule = self._span(quote_pos, stop), "intro-first-item"
            else:
                title = self._span(quote_pos + 1, stop)
                self.warn(quote_pos, "an intro title has no closing quotation mark")
            if title:
                entries.append(IntroEntry(len(entries) + 1, unit, title, rule))
        return entries

    def _first_item(self, start: int, end: int) -> IntroEntry | None:
        """`明确{unit}{title}等N个项目`: the intro names the first case only."""
        norm = self.norm
        clause = end
        while clause > start and norm[clause - 1] not in ",;:\n":
            clause -= 1
        verb = None
        for m in _LIST_VERBS.finditer(norm, clause, end):
            verb = m
            break
        lo = verb.end() if verb else clause
        name = next((i for i in range(lo, end) if self.places.names_at_full(norm, i)), None)
        if name is None:
            return None
        suffix = _SUFFIX_ANY.search(norm, name, end)
        if suffix is None:
            return None
        unit_end = suffix.end()
        if street := _STREET_TAIL.match(norm, unit_end, end):
            unit_end = street.end()
        title = self._span(unit_end, end)
        if title is None:
            return None
        return IntroEntry(1, TextSpan(name, unit_end), title, "intro-first-item")

    # -- all --

    def parse(self) -> Notice:
        sections = self.sections()
        items = self.items(sections)
        starts = [it.marker.start for it in items] + [s.span.start for s in sections]
        intro = self.intro(min(starts) if starts else len(self.norm))
        return Notice(
            self.t,
            self.page.meta(),
            intro,
            sections,
            items,
            self.page.noise_lines,
            self.warnings,
            self.page,
        )
