"""A text as found on the web: page chrome, the page's own metadata, paragraphs.

Whatever the genre, a text copied from a page carries chrome (menus, breadcrumbs,
字体:大|中|小, share buttons, related links, copyright lines) and a header naming the
page's date, 来源 and author. `Page` marks chrome and header lines as noise (quotes never
come from them), reads the metadata from them, and splits the rest into paragraphs.
Everything works on the normalised copy (`NoticeText.norm`), whose offsets are those of
the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kg.ingest.text import NoticeText

_NOISE = [
    re.compile(r"字[体号]\s*:?\s*[\[【]?\s*大\s*\|?\s*中\s*\|?\s*小"),
    re.compile(r"扫一扫|分享到|分享至|打印本页|关闭窗口|返回顶部|【打印】|【关闭】|\[打印\]"),
    re.compile(
        r"^\s*[\[【]?(?:来源|发布时间|发布日期|浏览次数|阅读次数|点击数|访问量|责任编辑)\s*:"
    ),
    re.compile(r"^\s*(?:当前位置|您当前的位置|您的位置|所在位置)\s*:"),
    re.compile(r"^\s*(?:上一篇|下一篇|相关阅读|相关新闻|编辑|审核|校对)\s*:"),
    re.compile(r"^\s*(?:19|20)\d\d[-/.]\d{1,2}[-/.]\d{1,2}\s+来源\s*:\s*\S{1,20}\s*$"),
    # a dateline with a time: 2023-01-03 10:21  来源:广东人大网
    re.compile(
        r"^\s*(?:19|20)\d\d[-/.年]\d{1,2}[-/.月]\d{1,2}日?\s+\d{1,2}:\d{2}(?::\d{2})?\s+来源\s*:"
    ),
]
# Chrome of portals and reposts: search boxes, original titles, disclaimers, related
# lists, copyright and footer lines, author lines, app banners, newspaper mastheads.
_CHROME = [
    re.compile(r"^\s*(?:热门搜索|原标题|声明|相关文章|相关新闻|相关阅读|作者|编者)\s*[::]?"),
    re.compile(r"Copyright|©|版权所有|All Rights Reserved", re.IGNORECASE),
    re.compile(r"^\s*·\s*\S"),
    re.compile(r"^\s*(?:【[^】]{1,8}】\s*){2,}$"),
    re.compile(r"^\s*\(\s*(?:本文)?(?:转载自|来源\s*:)[^)]{1,40}\)\s*$"),
    re.compile(r"^\s*\(\s*(?:文/图|文|图|记者|通讯员|作者)[\s:/].{0,80}\)\s*$"),
    re.compile(r"^\s*《[^》]{2,20}》\s*(?:19|20)\d\d年\d{1,2}月\d{1,2}日.{0,12}$"),
    re.compile(r"(?:关于我们|网站地图|广告服务|免责声明|联系方式|联系我们)\s*\|"),
    re.compile(
        r"(?:来源|作者|编辑|通讯员)\s*:.{0,40}(?:发布时间|发布日期|阅读|浏览|编辑|字号|作者)"
    ),
]
#: The labelled fields of an item block (申报单位: ...), by what each holds; the notice
#: parser reads them, and the page reader never takes a line that starts one for chrome.
FIELD_KIND = {
    "申报单位": "unit",
    "主要做法": "practice",
    "具体做法": "practice",
    "主要内容": "practice",
    "入选理由": "reason",
    "推荐理由": "reason",
}
FIELD_NAMES = "|".join(FIELD_KIND)
ITEM_NUMBER = r"\d+|[〇零一二三四五六七八九十百]+"  # 项目3 or 项目三
_ITEM_START = re.compile(rf"\s*项目\s*(?:{ITEM_NUMBER})\s*[:.、\s]")
_FIELD_START = re.compile(rf"\s*(?:{FIELD_NAMES})\s*:")
_MENU_SPLIT = re.compile(r"\s*[|>›»·/]\s*|\s{2,}|\s")
_MENU_WORDS = ("首页", "网站首页", "联系我们", "新闻中心", "English", "登录", "注册")
SENTENCE_END = "。!?;”’\"')…"  # a text that ends otherwise may be cut off
_DATE = re.compile(r"((?:19|20)\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_DATE_LINE = re.compile(
    r"\s*\(?\s*((?:19|20)\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})日?\s*\)?\s*$"
)
_SOURCE_FIELD = re.compile(r"来源\s*:\s*([^\s|]+?)(?=\s|$|\|)")
_MASTHEAD = re.compile(r"^\s*《(?P<name>[^》]{2,20})》\s*(?:19|20)\d\d年")
_COPYRIGHT = re.compile(
    r"(?:Copyright\s*)?©\s*(?:\d{4}\s*(?:-\s*\d{4})?\s*)?(?P<site>[^\s©]{2,20}?)\s*"
    r"(?:版权所有|All Rights|$)",
    re.IGNORECASE,
)
_SITE_IN_NAV = re.compile(r"^\s*(?P<site>[^\s|>]{2,12}?)\s*(?:\||\s)\s*首页")
_REPOST_CUES = re.compile(r"转载|原标题|转自|转发自")


@dataclass(frozen=True)
class TextSpan:
    """[start, end) offsets into the text (the quote, `records.schema.Span`, comes later)."""

    start: int
    end: int

    def __bool__(self) -> bool:
        return self.end > self.start


def is_noise(line: str) -> bool:
    """Whether a line (normalised) is page chrome or a header line, not content."""
    text = line.strip()
    if not text:
        return False
    if any(p.search(text) for p in _NOISE) or any(p.search(text) for p in _CHROME):
        return True
    if any(ch in text for ch in "。,;:") or _ITEM_START.match(text) or _FIELD_START.match(text):
        return False
    tokens = [t for t in _MENU_SPLIT.split(text) if t]
    separators = any(ch in text for ch in "|>›»")
    if len(tokens) >= 3 and all(len(t) <= 8 for t in tokens):
        return separators or len(tokens) >= 5 or any(t in _MENU_WORDS for t in tokens)
    return text in _MENU_WORDS


def boundary(norm: str, pos: int, lo: int = 0) -> bool:
    """True when a marker at `pos` starts a line, a sentence or follows a space."""
    if pos <= lo:
        return True
    prev = norm[pos - 1]
    return prev.isspace() or prev in '。;!?”"):'


def _date(match: re.Match) -> str | None:
    y, mo, d = (int(g) for g in match.groups())
    return f"{y:04d}-{mo:02d}-{d:02d}" if 1 <= mo <= 12 and 1 <= d <= 31 else None


@dataclass
class PageMeta:
    """What the page says about itself; None where it does not say."""

    headline: TextSpan | None = None  # a short first content line
    publisher: str | None = None  # the site or outlet carrying this copy
    publisher_rule: str = ""
    original_publisher: str | None = None  # the outlet a repost names as its origin
    date: str | None = None
    date_rule: str = ""
    repost_cues: list[str] = field(default_factory=list)


class Page:
    """The lines of a text with chrome marked, its paragraphs and its own metadata."""

    def __init__(self, text: NoticeText):
        self.t = text
        self.norm = text.norm
        self.noise = [is_noise(text.norm[ln.start : ln.end]) for ln in text.lines]
        self.noise_starts = [
            ln.start for ln, noisy in zip(text.lines, self.noise, strict=True) if noisy
        ]

    @property
    def noise_lines(self) -> list[int]:
        return [ln.number for ln, noisy in zip(self.t.lines, self.noise, strict=True) if noisy]

    def paragraphs(self) -> list[TextSpan]:
        """The content lines (not chrome, not blank), stripped, in order."""
        out = []
        for ln, noisy in zip(self.t.lines, self.noise, strict=True):
            if noisy:
                continue
            start, end = self.t.strip(ln.start, ln.end)
            if end > start:
                out.append(TextSpan(start, end))
        return out

    def cut_at_noise(self, start: int, end: int) -> int:
        """`end`, or the start of the first noise line inside [start, end)."""
        for pos in self.noise_starts:
            if start < pos < end:
                return pos
        return end

    def ends_cut_off(self) -> TextSpan | None:
        """The last paragraph when the text stops mid-sentence (no closing punctuation).

        A closing date line or a short line without punctuation (a signature) does not
        count: the text before it is what must end a sentence.
        """
        paragraphs = self.paragraphs()
        while paragraphs:
            last = paragraphs[-1]
            line = self.norm[last.start : last.end]
            dated = _DATE_LINE.match(line)
            if not (dated or (len(line) <= 25 and not any(ch in line for ch in "。,;:!?"))):
                break
            paragraphs.pop()
        if not paragraphs:
            return None
        last = paragraphs[-1]
        tail = self.norm[max(last.start, last.end - 3) : last.end]
        if tail.endswith(("...", "…")) or tail[-1:] not in SENTENCE_END:
            return last
        return None

    def meta(self) -> PageMeta:
        meta = PageMeta()
        norm, lines = self.norm, self.t.lines
        header_source = site = None
        for ln, noisy in zip(lines, self.noise, strict=True):
            line = norm[ln.start : ln.end]
            if noisy:
                if header_source is None and (m := _SOURCE_FIELD.search(line)):
                    header_source = self.t.text[ln.start + m.start(1) : ln.start + m.end(1)]
                if meta.publisher is None and (m := _MASTHEAD.match(line)):
                    meta.publisher = self.t.text[ln.start + m.start(1) : ln.start + m.end(1)]
                    meta.publisher_rule = "《…》 masthead of a newspaper clipping"
                if site is None and (m := _COPYRIGHT.search(line)):
                    site = self.t.text[ln.start + m.start("site") : ln.start + m.end("site")]
                if meta.date is None and (m := _DATE.search(line)):
                    meta.date = _date(m)
                    meta.date_rule = f"the date on a page-header line (line {ln.number})"
            if ln.number == 1 and (m := _SITE_IN_NAV.match(line)) and "首页" not in m["site"]:
                site = site or self.t.text[ln.start + m.start("site") : ln.start + m.end("site")]
            meta.repost_cues += sorted(set(_REPOST_CUES.findall(line)) - set(meta.repost_cues))
        content = self.paragraphs()
        if content:
            first = content[0]
            line = norm[first.start : first.end]
            if 4 <= first.end - first.start <= 60 and not any(ch in line for ch in "。,;:"):
                meta.headline = first
        for span in content:
            m = _DATE_LINE.match(norm, span.start, span.end)
            if meta.date is None and m and m.end() >= span.end:
                meta.date = _date(m)
                meta.date_rule = f"a line holding only a date (line {self.t.line_of(span.start)})"
        own_site = site and ("人大" in site or site == header_source)
        if site and header_source and not own_site:
            meta.repost_cues.append(f"the site {site} names another 来源 ({header_source})")
        if meta.repost_cues and site and not own_site:
            meta.publisher, meta.publisher_rule = site, "the site that reposts the text"
            meta.original_publisher = header_source
        elif header_source and meta.publisher is None:
            meta.publisher, meta.publisher_rule = header_source, "来源: on a page-header line"
        return meta
