"""Cases named in running prose: single-case news, list news, commentary.

Most texts about the programme are not the notice: a county's news item (我县人大常委会
“…”成功入选第八届…创新案例), a city's list (台山市人大常委会“…”、开平市…“…”入选…), a
commentary that walks through several batches (第三届入选的台山市人大常委会“…”…). What
they share is a *mention*: a declaring unit, a short connector (的, 报送的, 凭借) and a
quoted title, in a sentence about selection (入选, 被评为, 获评) or about a batch (第N届).
This module finds mentions; `kg.ingest.assemble` drafts them as `news-mention` records.

A quoted phrase counts only with a unit before it and such a sentence around it, and only
in a text that names the programme (…创新案例): a liaison-station news item or a seminar
report with quoted slogans yields nothing, and `why_none` says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kg.ingest.batches import batch_mentions
from kg.ingest.page import Page, TextSpan
from kg.ingest.text import compact
from kg.ingest.units import BODY_SUFFIXES, PlaceIndex

_SUFFIX = re.compile("|".join(map(re.escape, sorted(BODY_SUFFIXES, key=len, reverse=True))))
# Between a unit and its quoted title: nothing, 的, or a verb phrase ending in 的; 凭借/以.
_CONNECTOR = re.compile(
    r"(?:的?(?:申报|报送|推出|探索|打造|创新|实施|推行|开展|建立|首创|构建|推动|开创)"
    r"(?:实施|推出|推行|建立|打造)?的?|的|凭借|以|凭)?(?:项目|做法|案例)?"
)
_PRONOUN = re.compile(r"我(?P<kind>县|区|市|镇|乡|街道)")
_SELECTION = re.compile(r"入选|评为|获评|确定为|列为|荣获|获得|当选|入围|被评|获选|创新案例")
_ENUMERATION = re.compile(r"如|例如|比如|其中|像|再如|又如")
_PROGRAMME = re.compile(r"创新(?:案例|项目)")
_SENTENCE_END = "。!?;"
_OPEN = "“‘"
_CLOSE = "”’"


@dataclass
class Mention:
    """One case named in prose: the unit as written, the title inside its quotes.

    `resolve_as` is the unit's name with a pronoun (我县) replaced by what it stands for,
    for resolving the place (`resolve_rule` says where that came from); None when the
    unit is named in full. `batch` is the ordinal the text ties the case to (None when it
    does not), `batch_rule` how. `regions` are the spans that describe the case, for
    tagging mechanisms and quantities.
    """

    unit: TextSpan
    title: TextSpan
    sentence: TextSpan
    batch: int | None = None
    batch_rule: str = ""
    resolve_as: str | None = None
    resolve_rule: str = ""
    regions: list[TextSpan] = field(default_factory=list)

    @property
    def pronoun(self) -> bool:
        return self.resolve_as is not None or self.resolve_rule != ""


@dataclass
class Mentions:
    """The mentions of a text, in order, and why there are none when there are none."""

    found: list[Mention]
    why_none: str = ""


def _sentences(norm: str, span: TextSpan) -> list[TextSpan]:
    out, start, depth = [], span.start, 0
    for pos in range(span.start, span.end):
        ch = norm[pos]
        depth += ch in _OPEN
        depth -= ch in _CLOSE and depth > 0
        if ch in _SENTENCE_END and depth == 0:
            out.append(TextSpan(start, pos + 1))
            start = pos + 1
    if start < span.end:
        out.append(TextSpan(start, span.end))
    return out


def _quoted(norm: str, span: TextSpan) -> list[TextSpan]:
    """Top-level quotations “…” or ‘…’ in `span` (nested quotes kept inside), as the
    inner span; a closing mark closes only its own kind of opening mark."""
    out: list[TextSpan] = []
    stack: list[tuple[str, int]] = []
    for pos in range(span.start, span.end):
        ch = norm[pos]
        if ch in _OPEN:
            stack.append((ch, pos))
        elif ch in _CLOSE and stack and _OPEN.index(stack[-1][0]) == _CLOSE.index(ch):
            _, opened = stack.pop()
            if not stack:
                out.append(TextSpan(opened + 1, pos))
    return out


class MentionFinder:
    """Finds the mentions of one page; `places` tells place names from other words."""

    def __init__(self, page: Page, places: PlaceIndex):
        self.page = page
        self.norm = page.norm
        self.places = places

    def _unit_before(self, quote_start: int, lo: int) -> TextSpan | None:
        """The unit right before an opening quote (through a connector), or None."""
        norm = self.norm
        clause = quote_start - 1
        while clause > lo and norm[clause - 1] not in ",;:、。!?”’\n":
            clause -= 1
        last = None
        for m in _SUFFIX.finditer(norm, clause, quote_start - 1):
            if _CONNECTOR.fullmatch(norm, m.end(), quote_start - 1):
                last = m
        if last is None:
            return None
        end = last.end()
        start = next(
            (i for i in range(clause, last.start()) if self.places.names_at_full(norm, i)),
            None,
        )
        pronoun = next(
            (m for i in range(clause, last.start()) if (m := _PRONOUN.match(norm, i))), None
        )
        if pronoun is not None and (start is None or pronoun.end() < start):
            start = pronoun.start()  # 我县人大常委会; but 我市台山市人大常委会 is 台山市…
        if start is None or end - start < 4:
            return None
        return TextSpan(start, end)

    def _mentions_in(self, sentence: TextSpan, paragraph: TextSpan) -> list[Mention]:
        norm = self.norm
        text = norm[sentence.start : sentence.end]
        cue = _SELECTION.search(text) or batch_mentions(norm, [sentence])
        if not cue:
            para_cue = _SELECTION.search(norm, paragraph.start, paragraph.end)
            if not (para_cue and _ENUMERATION.search(text)):
                return []
        out = []
        for title in _quoted(norm, sentence):
            quoted = norm[title.start : title.end]
            if len(compact(quoted)) < 4 or _PROGRAMME.search(quoted):
                continue
            unit = self._unit_before(title.start, sentence.start)
            if unit is not None:
                out.append(Mention(unit, title, sentence))
        return out

    def _batch(self, mention: Mention, paragraph: TextSpan, ordinals: set[int]) -> None:
        norm = self.norm
        in_sentence = batch_mentions(norm, [mention.sentence])
        before = [b for b in in_sentence if b.span.start < mention.unit.start]
        if before:
            mention.batch, mention.batch_rule = before[-1].ordinal, "第N届 before it"
            return
        if in_sentence:
            mention.batch, mention.batch_rule = in_sentence[0].ordinal, "第N届 in its sentence"
            return
        earlier = batch_mentions(norm, [TextSpan(paragraph.start, mention.sentence.start)])
        if earlier:
            mention.batch = earlier[-1].ordinal
            mention.batch_rule = "第N届 earlier in its paragraph"
            return
        if len(ordinals) == 1:
            mention.batch = next(iter(ordinals))
            mention.batch_rule = "the one 第N届 the text names"

    def _pronoun(self, mention: Mention, named: list[Mention]) -> None:
        """Resolve 我县/我区/我镇 from a mention naming the unit in full, the headline or
        the page's publisher."""
        norm = self.norm
        unit = norm[mention.unit.start : mention.unit.end]
        m = _PRONOUN.match(unit)
        if not m:
            return
        rest = unit[m.end() :]
        title = compact(norm[mention.title.start : mention.title.end])
        for other in named:
            if compact(norm[other.title.start : other.title.end]) == title:
                full = norm[other.unit.start : other.unit.end]
                mention.resolve_as = full
                mention.resolve_rule = (
                    f"{m.group()} = {full} (line {self.page.t.line_of(other.unit.start)})"
                )
                return
        meta = self.page.meta()
        candidates = []
        if meta.headline:
            candidates.append(("the headline", norm[meta.headline.start : meta.headline.end]))
        if meta.publisher:
            candidates.append(("the publisher", meta.publisher))
        for where, text in candidates:
            for i in range(len(text)):
                names = self.places.names_at_full(text, i)
                if names and names[0].endswith(m.group("kind")):
                    mention.resolve_as = names[0] + rest
                    mention.resolve_rule = f"{m.group()} = {names[0]} ({where})"
                    return
        mention.resolve_rule = f"{m.group()}: no place found in the headline or publisher"

    def find(self) -> Mentions:
        norm = self.norm
        paragraphs = self.page.paragraphs()
        if not any(_PROGRAMME.search(norm, p.start, p.end) for p in paragraphs):
            return Mentions([], "the text never names the programme (…创新案例 or …创新项目)")
        found: list[tuple[Mention, TextSpan]] = []
        for paragraph in paragraphs:
            for sentence in _sentences(norm, paragraph):
                found += [(m, paragraph) for m in self._mentions_in(sentence, paragraph)]
        if not found:
            return Mentions(
                [],
                "the text names the programme but no case: no declaring unit (…人大常委会, "
                "…镇人大, …街道工委) followed by a quoted title (“…”) in a sentence about "
                "selection (入选, 被评为, 获评) or a batch (第N届)",
            )
        ordinals = {b.ordinal for b in batch_mentions(norm, paragraphs)}
        for mention, paragraph in found:
            self._batch(mention, paragraph, ordinals)
        named = [m for m, _ in found if not _PRONOUN.match(norm, m.unit.start)]
        for mention, _ in found:
            self._pronoun(mention, named)
        unique = self._unique([m for m, _ in found])
        self._regions(unique, paragraphs, single=len(unique) == 1)
        return Mentions(unique)

    def _unique(self, mentions: list[Mention]) -> list[Mention]:
        """One mention per case (unit place + title): the first with the unit in full."""
        norm = self.norm
        by_title: dict[str, Mention] = {}
        for m in mentions:
            key = compact(norm[m.title.start : m.title.end])
            kept = by_title.get(key)
            if kept is None or (kept.pronoun and not m.pronoun):
                if kept is not None and m.batch is None:
                    m.batch, m.batch_rule = kept.batch, kept.batch_rule
                by_title[key] = m
        return sorted(by_title.values(), key=lambda m: m.unit.start)

    def _regions(self, mentions: list[Mention], paragraphs: list[TextSpan], single: bool) -> None:
        """What describes each case: for a single case, every paragraph from its mention
        on; otherwise its sentence up to the next mention, within the paragraph."""
        if single and mentions:
            m = mentions[0]
            after = [p for p in paragraphs if p.end > m.title.end]
            m.regions = [m.title] + [TextSpan(max(p.start, m.title.end + 1), p.end) for p in after]
            return
        for i, m in enumerate(mentions):
            stop = m.sentence.end
            nxt = mentions[i + 1] if i + 1 < len(mentions) else None
            para = next(p for p in paragraphs if p.start <= m.title.start < p.end)
            if nxt is not None and nxt.unit.start < para.end:
                stop = max(stop, nxt.unit.start) if nxt.sentence != m.sentence else nxt.unit.start
            m.regions = [TextSpan(m.title.start, m.title.end), TextSpan(m.title.end, stop)]
